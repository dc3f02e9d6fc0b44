"""Pruning benchmark: compute saved and best value reached, hpo-queue's pruners vs Optuna's.

One learning-curve objective, the same for every run: two parameters x, y in [-5, 5] give a
final loss ``q = (x - 1)^2 + (y + 0.5)^2`` (optimum 0); at step s = 1..``--steps`` the trial
reports ``q + (2 + q) * exp(-s / tau) + noise`` where ``tau = 10 + 2 * (y + 5)`` (trials with
a larger y learn more slowly, so curves cross and early values mislead a little) and the noise
is N(0, 0.05), drawn from a stream fixed by (seed, trial number). A trial that runs to the end
returns q, the quality its training reached, so "best value" is the distance to the optimum.
Each run is one study of ``--trials`` trials, run in one process by ``optimize(n_jobs=1)``,
with the library's default TPE sampler seeded with the run's seed and one pruner at its
defaults; hpo-queue uses its in-memory storage, Optuna an in-memory study.

Reported per pruner, as medians over ``--seeds`` seeds: the objective steps used (reports
made, summed over trials), the share saved against the same library's NopPruner on the same
seed, and the best final value of a COMPLETE trial. Runs go to a pool of processes, one run
per process at a time; the numbers do not depend on the pool size.

    pip install -e .[bench]
    python benchmarks/pruning.py [--seeds 5] [--trials 60] [--steps 100] [--processes 4]
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import statistics
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

PRUNERS = ("NopPruner", "MedianPruner", "SuccessiveHalvingPruner", "HyperbandPruner")
LIBRARIES = ("hpo-queue", "Optuna")


@dataclass(frozen=True)
class RunResult:
    """What one study run used and reached."""

    library: str
    pruner: str
    seed: int
    steps: int
    pruned: int
    best_value: float
    seconds: float


def make_objective(
    seed: int, n_steps: int, pruned_exception: type[Exception], counter: list[int]
) -> Callable[[Any], float]:
    """The learning-curve objective; ``counter[0]`` counts the steps (reports) it makes."""

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_float("y", -5.0, 5.0)
        q = (x - 1.0) ** 2 + (y + 0.5) ** 2
        tau = 10.0 + 2.0 * (y + 5.0)
        noise = random.Random(seed * 100_003 + trial.number)
        for step in range(1, n_steps + 1):
            value = q + (2.0 + q) * math.exp(-step / tau) + noise.gauss(0.0, 0.05)
            counter[0] += 1
            trial.report(value, step)
            if trial.should_prune():
                raise pruned_exception()
        return q

    return objective


def run_hpo_queue(pruner_name: str, seed: int, n_trials: int, n_steps: int) -> RunResult:
    import hpo_queue as hq
    from hpo_queue import pruners
    from hpo_queue.logging import set_verbosity
    from hpo_queue.samplers import TPESampler
    from hpo_queue.trial import TrialState

    set_verbosity(logging.WARNING)
    pruner = getattr(pruners, pruner_name)()
    study = hq.create_study(sampler=TPESampler(seed=seed), pruner=pruner)
    counter = [0]
    start = time.perf_counter()
    study.optimize(make_objective(seed, n_steps, hq.TrialPruned, counter), n_trials=n_trials)
    seconds = time.perf_counter() - start
    trials = study.trials
    return RunResult(
        "hpo-queue",
        pruner_name,
        seed,
        counter[0],
        sum(t.state == TrialState.PRUNED for t in trials),
        study.best_value,
        seconds,
    )


def run_optuna(pruner_name: str, seed: int, n_trials: int, n_steps: int) -> RunResult:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")  # experimental-feature warnings
    pruner = getattr(optuna.pruners, pruner_name)()
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
    counter = [0]
    start = time.perf_counter()
    study.optimize(make_objective(seed, n_steps, optuna.TrialPruned, counter), n_trials=n_trials)
    seconds = time.perf_counter() - start
    trials = study.trials
    return RunResult(
        "Optuna",
        pruner_name,
        seed,
        counter[0],
        sum(t.state == optuna.trial.TrialState.PRUNED for t in trials),
        study.best_value,
        seconds,
    )


def run_one(args: tuple[str, str, int, int, int]) -> RunResult:
    library, pruner_name, seed, n_trials, n_steps = args
    if library == "hpo-queue":
        return run_hpo_queue(pruner_name, seed, n_trials, n_steps)
    return run_optuna(pruner_name, seed, n_trials, n_steps)


def markdown(results: list[RunResult], n_trials: int, n_steps: int) -> str:
    """One row per (library, pruner): medians over seeds."""
    nop = {(r.library, r.seed): r.steps for r in results if r.pruner == "NopPruner"}
    lines = [
        "| Library | Pruner | Steps used | Saved vs NopPruner | Pruned trials "
        "| Best value | Seconds per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for pruner_name in PRUNERS:
        for library in LIBRARIES:
            runs = [r for r in results if r.library == library and r.pruner == pruner_name]
            if not runs:
                continue
            saved = statistics.median(1.0 - r.steps / nop[(library, r.seed)] for r in runs)
            lines.append(
                f"| {library} | {pruner_name} "
                f"| {statistics.median(r.steps for r in runs):.0f} of {n_trials * n_steps} "
                f"| {100 * saved:.0f}% "
                f"| {statistics.median(r.pruned for r in runs):.0f} of {n_trials} "
                f"| {statistics.median(r.best_value for r in runs):.3f} "
                f"| {statistics.median(r.seconds for r in runs):.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    jobs = [
        (library, pruner_name, seed, args.trials, args.steps)
        for seed in range(args.seeds)
        for pruner_name in PRUNERS
        for library in LIBRARIES
    ]
    with ProcessPoolExecutor(max_workers=args.processes) as pool:
        results = list(pool.map(run_one, jobs))
    print(
        f"{args.trials} trials x {args.steps} steps, seeds 0-{args.seeds - 1}, "
        "medians over seeds; best value = best final value of a COMPLETE trial (optimum 0)"
    )
    print(markdown(results, args.trials, args.steps))


if __name__ == "__main__":
    main()
