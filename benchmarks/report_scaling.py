"""Report scaling benchmark: the cost of ``report`` + ``should_prune`` as curves grow long.

A study on MariaDB with the median rule (``MedianPruner(n_startup_trials=1)``): one COMPLETE
trial with a full curve, then ``--running`` trials that are all RUNNING at once and report
steps 0..``--steps``-1 in turn, each report followed by ``should_prune`` (which is never
true here). Reported: milliseconds per report + should_prune over the first and over the last
tenth of the steps, for hpo-queue and for Optuna (``mysql+pymysql://``, the same database
server), in the same run. A cost that stays flat means a long training run pays the same per
step at its end as at its start.

    pip install -e .[bench]
    python benchmarks/report_scaling.py [--steps 300] [--running 8]
        [--mysql mysql://root@127.0.0.1:3306] [--libraries hpo-queue,Optuna]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import sqlalchemy


def fresh_database(server: str) -> str:
    """Create an empty database on ``server``; return its URL."""
    name = f"hq_bench_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(server.replace("mysql://", "mysql+pymysql://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    engine.dispose()
    return f"{server.rstrip('/')}/{name}"


def drop_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    engine = sqlalchemy.create_engine(server.replace("mysql://", "mysql+pymysql://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
    engine.dispose()


def time_reports(
    trials: list[Any], n_steps: int, on_step: Callable[[Any, int], None]
) -> list[float]:
    """Milliseconds per report + should_prune at each step, averaged over the trials."""
    per_step = []
    for step in range(n_steps):
        start = time.perf_counter()
        for trial in trials:
            on_step(trial, step)
        per_step.append((time.perf_counter() - start) / len(trials) * 1000)
    return per_step


def report_and_check(trial: Any, step: int) -> None:
    trial.report(1.0 - step * 1e-4, step)
    if trial.should_prune():
        raise AssertionError("the benchmark's trials are never worse than the median")


def time_running_trials(study: Any, n_steps: int, n_running: int) -> list[float]:
    """One COMPLETE full curve, then ``n_running`` trials timed as they report in turn.

    ``study`` is an hpo-queue or an Optuna study: both speak ask/report/tell.
    """
    first = study.ask()
    for step in range(n_steps):
        first.report(2.0, step)
    study.tell(first, 2.0)
    trials = [study.ask() for _ in range(n_running)]
    per_step = time_reports(trials, n_steps, report_and_check)
    for trial in trials:
        study.tell(trial, 1.0)
    return per_step


def run_hpo_queue(url: str, n_steps: int, n_running: int) -> list[float]:
    import hpo_queue as hq
    from hpo_queue.logging import set_verbosity
    from hpo_queue.pruners import MedianPruner

    set_verbosity(logging.WARNING)
    study = hq.create_study(storage=url, pruner=MedianPruner(n_startup_trials=1))
    return time_running_trials(study, n_steps, n_running)


def run_optuna(url: str, n_steps: int, n_running: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    storage = url.replace("mysql://", "mysql+pymysql://", 1)
    study = optuna.create_study(
        storage=storage, pruner=optuna.pruners.MedianPruner(n_startup_trials=1)
    )
    return time_running_trials(study, n_steps, n_running)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps each trial reports")
    parser.add_argument("--running", type=int, default=8, help="trials running at once")
    parser.add_argument("--mysql", default="mysql://root@127.0.0.1:3306", help="server URL")
    parser.add_argument(
        "--libraries", default="hpo-queue,Optuna", help="comma-separated: hpo-queue, Optuna"
    )
    args = parser.parse_args(argv)
    if args.steps < 10 or args.running < 1:
        parser.error("--steps must be at least 10 and --running at least 1")

    tenth = args.steps // 10
    print(
        f"{args.running} running trials x {args.steps} steps, MedianPruner, MariaDB; "
        "ms per report + should_prune"
    )
    print("| Library | first tenth of the steps | last tenth | last / first |")
    print("|---|---|---|---|")
    runners = {"hpo-queue": run_hpo_queue, "Optuna": run_optuna}
    names = [n.strip() for n in args.libraries.split(",") if n.strip()]
    if not names or any(n not in runners for n in names):
        parser.error(f"--libraries takes a comma-separated subset of {', '.join(runners)}")
    for name in names:
        run = runners[name]
        url = fresh_database(args.mysql)
        try:
            per_step = run(url, args.steps, args.running)
        finally:
            drop_database(url)
        early = sum(per_step[:tenth]) / tenth
        late = sum(per_step[-tenth:]) / tenth
        print(f"| {name} | {early:.2f} | {late:.2f} | {late / early:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
