"""Sampler quality benchmark: our TPE vs Optuna's TPE vs random search, 8 trials in flight.

Each run simulates an asynchronous worker pool: 8 trials are always running, a random one of
them finishes next, is told, and a new trial is asked, until ``--trials`` have finished. The
score of a run is its regret: best value found minus the known optimum. ``--in-flight 1`` is
a sequential study (one process, ``optimize(n_jobs=1)``).

    pip install -e .[bench]
    python benchmarks/sampler_quality.py [--seeds 10] [--trials 100] [--in-flight 8]
        [--update-doc]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.samplers import BaseSampler, RandomSampler, TPESampler
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

DEFAULT_IN_FLIGHT = 8
SAMPLERS = ("hpo-queue TPE", "Optuna TPE", "hpo-queue Random")
SECTION = "## Sampler quality"


@dataclass(frozen=True)
class Problem:
    name: str
    space: dict[str, BaseDistribution]
    func: Callable[[dict[str, Any]], float]
    optimum: float


def _branin(p: dict[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def _rosenbrock(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(4)])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _styblinski_tang(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(5)])
    return float(np.sum(x**4 - 16 * x**2 + 5 * x) / 2)


_MIXED_OFFSETS = {"adam": 0.0, "sgd": 0.6, "rmsprop": 0.3, "adagrad": 1.0}


def _mixed(p: dict[str, Any]) -> float:
    # A toy "training loss": the learning rate matters on a log scale, the layer count and
    # batch size are integers, and the optimizer is a categorical choice.
    lr_term = (math.log10(p["lr"]) + 2.5) ** 2
    layers_term = ((p["layers"] - 6) / 3) ** 2
    batch_term = (math.log2(p["batch"]) - 7) ** 2 / 4
    return lr_term + layers_term + batch_term + _MIXED_OFFSETS[p["optimizer"]]


PROBLEMS = [
    Problem(
        "Branin (2-D)",
        {"x1": FloatDistribution(-5, 10), "x2": FloatDistribution(0, 15)},
        _branin,
        0.397887357729739,
    ),
    Problem(
        "Hartmann6 (6-D)",
        {f"x{i}": FloatDistribution(0, 1) for i in range(6)},
        _hartmann6,
        -3.32236801141551,
    ),
    Problem(
        "Rosenbrock (4-D)",
        {f"x{i}": FloatDistribution(-5, 10) for i in range(4)},
        _rosenbrock,
        0.0,
    ),
    Problem(
        "Styblinski-Tang (5-D)",
        {f"x{i}": FloatDistribution(-5, 5) for i in range(5)},
        _styblinski_tang,
        -39.16616570377142 * 5,
    ),
    Problem(
        "Mixed (log-float, int, log-int, categorical)",
        {
            "lr": FloatDistribution(1e-5, 1.0, log=True),
            "layers": IntDistribution(1, 16),
            "batch": IntDistribution(8, 1024, log=True),
            "optimizer": CategoricalDistribution(list(_MIXED_OFFSETS)),
        },
        _mixed,
        0.0,
    ),
]


def _run_ours(
    sampler: BaseSampler, problem: Problem, n_trials: int, seed: int, n_in_flight: int
) -> float:
    """The async loop, driving one of our samplers through hand-built TrialHistory objects."""
    order_rng = np.random.default_rng([seed, 999])
    trials: list[FrozenTrial] = []  # trials[number]; a changed trial replaces its entry
    in_flight: list[int] = []

    def ask() -> None:
        # As a worker does: the history is read once, at the trial's first suggestion, and
        # holds every other trial (RUNNING ones with the params they were given).
        number = len(trials)
        trial = FrozenTrial(number=number, state=TrialState.RUNNING)
        history = TrialHistory((StudyDirection.MINIMIZE,), list(trials))
        trials.append(trial)
        space = sampler.infer_relative_search_space(history, trial)
        space = {k: v for k, v in space.items() if k in problem.space}
        relative = sampler.sample_relative(history, trial, space)
        for name, dist in problem.space.items():
            if name in relative:
                value = relative[name]
            else:
                value = sampler.sample_independent(history, trial, name, dist)
            trial = trials[number] = dataclasses.replace(
                trial,
                params={**trial.params, name: value},
                distributions={**trial.distributions, name: dist},
            )
        in_flight.append(number)

    finished = 0
    best = math.inf
    while finished < n_trials:
        while len(in_flight) < n_in_flight and len(trials) < n_trials:
            ask()
        number = in_flight.pop(int(order_rng.integers(len(in_flight))))
        value = problem.func(trials[number].params)
        trials[number] = dataclasses.replace(
            trials[number], state=TrialState.COMPLETE, values=[value]
        )
        best = min(best, value)
        finished += 1
    return best


def _run_optuna(problem: Problem, n_trials: int, seed: int, n_in_flight: int) -> float:
    """The same async loop on an in-memory Optuna study (ask/tell)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    dists: dict[str, Any] = {}
    for name, d in problem.space.items():
        if isinstance(d, CategoricalDistribution):
            dists[name] = optuna.distributions.CategoricalDistribution(list(d.choices))
        elif isinstance(d, IntDistribution):
            dists[name] = optuna.distributions.IntDistribution(
                d.low, d.high, log=d.log, step=d.step
            )
        else:
            dists[name] = optuna.distributions.FloatDistribution(
                d.low, d.high, log=d.log, step=d.step
            )
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    order_rng = np.random.default_rng([seed, 999])
    in_flight: list[Any] = []
    asked = finished = 0
    best = math.inf
    while finished < n_trials:
        while len(in_flight) < n_in_flight and asked < n_trials:
            in_flight.append(study.ask(dists))
            asked += 1
        trial = in_flight.pop(int(order_rng.integers(len(in_flight))))
        value = problem.func(trial.params)
        study.tell(trial, value)
        best = min(best, value)
        finished += 1
    return best


def _one_run(job: tuple[str, int, int, int, int]) -> tuple[str, int, int, float, float]:
    sampler_name, problem_index, seed, n_trials, n_in_flight = job
    problem = PROBLEMS[problem_index]
    start = time.perf_counter()
    if sampler_name == "Optuna TPE":
        best = _run_optuna(problem, n_trials, seed, n_in_flight)
    elif sampler_name == "hpo-queue TPE":
        best = _run_ours(TPESampler(seed=seed), problem, n_trials, seed, n_in_flight)
    else:
        best = _run_ours(RandomSampler(seed=seed), problem, n_trials, seed, n_in_flight)
    return sampler_name, problem_index, seed, best - problem.optimum, time.perf_counter() - start


def _format_table(regrets: dict[tuple[str, int], list[float]]) -> str:
    header = "| Function | " + " | ".join(SAMPLERS) + " | vs Optuna TPE | vs random |"
    lines = [header, "|" + "---|" * (len(SAMPLERS) + 3)]
    for index, problem in enumerate(PROBLEMS):
        medians = {s: float(np.median(regrets[s, index])) for s in SAMPLERS}
        ours, optuna_tpe, rand = (medians[s] for s in SAMPLERS)
        vs_optuna = "win" if ours < optuna_tpe else "tie" if ours == optuna_tpe else "lose"
        vs_random = "win" if ours < rand else "tie" if ours == rand else "lose"
        cells = " | ".join(f"{medians[s]:.4g}" for s in SAMPLERS)
        lines.append(f"| {problem.name} | {cells} | {vs_optuna} | {vs_random} |")
    return "\n".join(lines)


def _update_doc(path: Path, body: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{SECTION}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="runs per function and sampler")
    parser.add_argument("--trials", type=int, default=100, help="finished trials per run")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds run from here (tune on others than 0-9)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=DEFAULT_IN_FLIGHT,
        help="trials running at once (1: a sequential study)",
    )
    parser.add_argument(
        "--update-doc", action="store_true", help="rewrite the section in BENCHMARKS.md"
    )
    args = parser.parse_args(argv)
    if args.in_flight < 1:
        parser.error(f"--in-flight must be at least 1, got {args.in_flight}")
    if args.update_doc and args.in_flight != DEFAULT_IN_FLIGHT:
        parser.error(f"--update-doc rewrites the {DEFAULT_IN_FLIGHT}-in-flight section only")

    jobs = [
        (s, p, seed, args.trials, args.in_flight)
        for p in range(len(PROBLEMS))
        for seed in range(args.first_seed, args.first_seed + args.seeds)
        for s in SAMPLERS
    ]
    regrets: dict[tuple[str, int], list[float]] = {}
    seconds: dict[str, float] = dict.fromkeys(SAMPLERS, 0.0)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for name, p, _seed, regret, elapsed in pool.map(_one_run, jobs):
            regrets.setdefault((name, p), []).append(regret)
            seconds[name] += elapsed
    wall = time.perf_counter() - start

    table = _format_table(regrets)
    timing = ", ".join(f"{s} {seconds[s]:.0f} s" for s in SAMPLERS)
    print(table)
    print(f"\nsampler time: {timing}; wall time {wall:.0f} s")
    if args.update_doc:
        import optuna

        command = "python benchmarks/sampler_quality.py"
        if args.seeds != 10 or args.trials != 100:
            command += f" --seeds {args.seeds} --trials {args.trials}"
        if args.first_seed:
            command += f" --first-seed {args.first_seed}"
        body = (
            f"Median regret (best value found minus the known optimum; lower is better) over "
            f"{args.seeds} seeds, {args.trials} trials per run, with {DEFAULT_IN_FLIGHT} trials "
            "always "
            "in flight (a random one of them finishes next; RUNNING trials are visible to the "
            "sampler). All samplers use their defaults; Optuna "
            f"{optuna.__version__} runs through ask/tell on an in-memory study.\n\n"
            f"Command (after `pip install -e .[bench]`): `{command} --update-doc`\n\n"
            f"{table}\n\nSampler time summed over runs: {timing}.\n"
        )
        _update_doc(Path(__file__).resolve().parent.parent / "BENCHMARKS.md", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
