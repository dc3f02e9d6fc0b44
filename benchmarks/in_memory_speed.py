"""In-memory speed benchmark: CPU time of a whole ``storage=None`` study, hpo-queue vs Optuna.

One process, both libraries imported up front. Each repetition runs, for each library in
turn (the order alternates between repetitions), ``create_study`` + ``optimize`` of
``--trials`` trials on an in-memory study with TPE (seed 0) and the median pruner, and
measures the process CPU time it took (every thread of the process counts). The objective
suggests a float x in [-10, 10], an int n in [1, 20] and a categorical c in {a, b, c}; the
"report" workload also calls ``trial.report`` + ``should_prune`` ``--steps`` times per trial.
Logging of both libraries is set to WARNING, so it is not measured. Printed: the median CPU
seconds of each library per workload, and the ratio hpo-queue / Optuna. ``--sampler random``
runs both with ``RandomSampler(seed=0)`` instead: what a study costs besides its TPE.
``--sampler default`` runs each library's default sampler, seeded: hpo-queue's AutoSampler
against Optuna's TPESampler.

    pip install -e .[bench]
    python benchmarks/in_memory_speed.py [--trials 300] [--steps 20] [--repeats 7]
        [--workloads plain,report] [--sampler tpe|random|default]
"""

from __future__ import annotations

import argparse
import gc
import logging
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

CHOICE_COST = {"a": 0.0, "b": 1.0, "c": 2.0}


def make_objective(n_steps: int, pruned: type[BaseException]) -> Callable[[Any], float]:
    """The benchmark's objective, for either library's trial (the same calls on both)."""

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        n = trial.suggest_int("n", 1, 20)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        value = x * x + n + CHOICE_COST[c]
        for step in range(n_steps):
            trial.report(value + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise pruned()
        return value

    return objective


def cpu_seconds(run: Callable[[], None]) -> float:
    """Process CPU time (all threads) that ``run`` takes, after a collection."""
    gc.collect()
    start = time.process_time()
    run()
    return time.process_time() - start


def hpo_queue_run(n_trials: int, n_steps: int, sampler: str = "tpe") -> Callable[[], None]:
    import hpo_queue as hq
    from hpo_queue.pruners import MedianPruner
    from hpo_queue.samplers import AutoSampler, RandomSampler, TPESampler

    objective = make_objective(n_steps, hq.TrialPruned)
    make_sampler = {"tpe": TPESampler, "random": RandomSampler, "default": AutoSampler}[sampler]

    def run() -> None:
        study = hq.create_study(sampler=make_sampler(seed=0), pruner=MedianPruner())
        study.optimize(objective, n_trials=n_trials)

    return run


def optuna_run(n_trials: int, n_steps: int, sampler: str = "tpe") -> Callable[[], None]:
    import optuna

    objective = make_objective(n_steps, optuna.TrialPruned)
    samplers = optuna.samplers
    make_sampler = samplers.RandomSampler if sampler == "random" else samplers.TPESampler

    def run() -> None:
        study = optuna.create_study(
            sampler=make_sampler(seed=0), pruner=optuna.pruners.MedianPruner()
        )
        study.optimize(objective, n_trials=n_trials)

    return run


def quiet_logs() -> None:
    import optuna

    from hpo_queue.logging import set_verbosity

    set_verbosity(logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")  # Optuna's experimental-feature warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300, help="trials per study")
    parser.add_argument("--steps", type=int, default=20, help="reports per trial (report)")
    parser.add_argument("--repeats", type=int, default=7, help="studies per library")
    parser.add_argument("--workloads", default="plain,report", help="plain, report or both")
    parser.add_argument(
        "--sampler",
        choices=("tpe", "random", "default"),
        default="tpe",
        help="both libraries' sampler (default: each library's default sampler)",
    )
    args = parser.parse_args(argv)
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    if args.trials < 1 or args.repeats < 1 or not set(workloads) <= {"plain", "report"}:
        parser.error("--trials and --repeats must be >= 1; --workloads: plain and/or report")
    quiet_logs()

    sampler_name = {
        "tpe": "TPESampler",
        "random": "RandomSampler",
        "default": "the default sampler (AutoSampler / Optuna's TPESampler)",
    }[args.sampler]
    print(
        f"{args.trials} trials, {sampler_name}(seed=0) + MedianPruner, storage=None; "
        f"process CPU seconds of create_study + optimize, median of {args.repeats}"
    )
    print()
    print("| workload | hpo-queue (s) | Optuna (s) | hpo-queue / Optuna |")
    print("|---|---:|---:|---:|")
    for workload in workloads:
        steps = args.steps if workload == "report" else 0
        runs = {
            "hpo-queue": hpo_queue_run(args.trials, steps, args.sampler),
            "Optuna": optuna_run(args.trials, steps, args.sampler),
        }
        # A short untimed run each first: lazy imports and first-call caches are not measured.
        for make in (hpo_queue_run, optuna_run):
            make(20, steps, args.sampler)()
        times: dict[str, list[float]] = {name: [] for name in runs}
        for repeat in range(args.repeats):
            order = list(runs) if repeat % 2 == 0 else list(reversed(runs))
            for name in order:
                times[name].append(cpu_seconds(runs[name]))
        ours, theirs = statistics.median(times["hpo-queue"]), statistics.median(times["Optuna"])
        label = "plain" if workload == "plain" else f"report ({args.steps} steps)"
        print(f"| {label} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
