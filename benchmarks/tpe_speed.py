"""TPE speed micro-benchmark: milliseconds per suggestion on a large finished history.

One suggestion = the relative search space plus a joint sample over 5 parameters (float,
log-float, int, stepped float, categorical), as a trial's first suggest_* call does. Our
sampler is timed in steady state (the history grows by one trial between calls, as in a real
study, so its caches do the incremental work they do in production); Optuna's TPESampler
samples on an in-memory study holding the same trials.

    python benchmarks/tpe_speed.py [--sizes 1000 5000] [--repeats 20] [--no-optuna]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from typing import Any

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.samplers import TPESampler
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

SPACE: dict[str, BaseDistribution] = {
    "a": FloatDistribution(0.0, 1.0),
    "b": FloatDistribution(1e-3, 1.0, log=True),
    "c": IntDistribution(0, 100),
    "d": FloatDistribution(0.0, 1.0, step=0.01),
    "e": CategoricalDistribution(["x", "y", "z"]),
}


def _random_trial(number: int, rng: np.random.Generator) -> FrozenTrial:
    params: dict[str, Any] = {
        "a": float(rng.random()),
        "b": float(10 ** rng.uniform(-3, 0)),
        "c": int(rng.integers(101)),
        "d": round(float(rng.integers(101)) / 100, 2),
        "e": ["x", "y", "z"][int(rng.integers(3))],
    }
    return FrozenTrial(
        number=number,
        state=TrialState.COMPLETE,
        values=[float(rng.random())],
        params=params,
        distributions=dict(SPACE),
    )


def time_ours(n: int, repeats: int) -> float:
    rng = np.random.default_rng(0)
    trials = [_random_trial(i, rng) for i in range(n)]
    sampler = TPESampler(seed=0)
    elapsed = 0.0
    for r in range(repeats + 1):
        current = FrozenTrial(number=len(trials), state=TrialState.RUNNING)
        history = TrialHistory((StudyDirection.MINIMIZE,), [*trials, current])
        start = time.perf_counter()
        space = sampler.infer_relative_search_space(history, current)
        sampler.sample_relative(history, current, space)
        if r > 0:  # the first call builds the caches once for the whole history
            elapsed += time.perf_counter() - start
        trials.append(_random_trial(len(trials), rng))
    return 1000 * elapsed / repeats


def time_optuna(n: int, repeats: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    dists: dict[str, Any] = {
        "a": optuna.distributions.FloatDistribution(0.0, 1.0),
        "b": optuna.distributions.FloatDistribution(1e-3, 1.0, log=True),
        "c": optuna.distributions.IntDistribution(0, 100),
        "d": optuna.distributions.FloatDistribution(0.0, 1.0, step=0.01),
        "e": optuna.distributions.CategoricalDistribution(["x", "y", "z"]),
    }
    rng = np.random.default_rng(0)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    for i in range(n):
        t = _random_trial(i, rng)
        study.add_trial(
            optuna.trial.create_trial(params=t.params, distributions=dists, value=t.value)
        )
    sampler = study.sampler
    elapsed = 0.0
    for _ in range(repeats):
        trial = study.ask()
        frozen = study._storage.get_trial(trial._trial_id)
        start = time.perf_counter()
        space = sampler.infer_relative_search_space(study, frozen)
        sampler.sample_relative(study, frozen, space)
        elapsed += time.perf_counter() - start
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return 1000 * elapsed / repeats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-optuna", action="store_true", help="time our sampler only")
    args = parser.parse_args(argv)
    print("| Finished trials | hpo-queue TPE (ms/suggestion) | Optuna TPE (ms/suggestion) |")
    print("|---|---|---|")
    for n in args.sizes:
        ours = time_ours(n, args.repeats)
        theirs = "-" if args.no_optuna else f"{time_optuna(n, args.repeats):.1f}"
        print(f"| {n} | {ours:.1f} | {theirs} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
