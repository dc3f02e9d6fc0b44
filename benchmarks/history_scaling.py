"""History scaling: does the cost of a trial grow with the number of trials before it?

One process runs a single study of ``--trials`` trials with five parameters (three floats, one
of them on a log scale, an int and a categorical), a cheap objective and TPESampler
(``--sampler auto``: hpo-queue's AutoSampler). The time of each trial is the gap
between consecutive optimize callbacks; the table shows the mean ms per trial over each block
of 1,000 trials and the ratio last block / first.

    pip install -e .[bench]
    python benchmarks/history_scaling.py [--trials 5000] [--block 1000]
        [--storage memory sqlite mysql optuna-memory] [--optuna-trials 2000]
        [--mysql mysql://root@127.0.0.1/bench_history] [--profile FILE] [--sampler tpe|auto]

``mysql`` drops and re-creates the database named in --mysql (default bench_history); ``sqlite``
uses a fresh file in a temporary directory; ``optuna-memory`` runs Optuna 5's default sampler on
its in-memory storage for reference, with --optuna-trials trials.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STORAGES = ("memory", "sqlite", "mysql", "optuna-memory")


def objective(trial: Any) -> float:
    """A cheap objective over five parameters (same code for both libraries)."""
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -5, 5)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 10)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    penalty = {"a": 0.0, "b": 0.5, "c": 1.0}[kind]
    return (x - 2) ** 2 + (y + 1) ** 2 + (math.log10(lr) + 3) ** 2 + (n - 4) ** 2 + penalty


def _reset_mysql(url: str) -> None:
    import pymysql
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = pymysql.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
    )
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {parsed.database}")
            cur.execute(f"CREATE DATABASE {parsed.database}")
    finally:
        conn.close()


def _make_study(storage: str, mysql_url: str, workdir: Path, sampler: str) -> tuple[Any, str]:
    """A fresh study on ``storage`` and a description of where it lives."""
    if storage == "optuna-memory":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return optuna.create_study(direction="minimize"), "Optuna 5 InMemoryStorage"

    import hpo_queue as hq
    import hpo_queue.logging
    from hpo_queue.samplers import AutoSampler, TPESampler

    hpo_queue.logging.set_verbosity("WARNING")
    if storage == "memory":
        url, where = None, "storage=None (InMemoryStorage)"
    elif storage == "sqlite":
        url = f"sqlite:///{workdir / 'history.db'}"
        where = "SQLite file (WAL)"
    else:
        _reset_mysql(mysql_url)
        url, where = mysql_url, "MariaDB"
    chosen = TPESampler() if sampler == "tpe" else AutoSampler()
    return hq.create_study(storage=url, direction="minimize", sampler=chosen), where


def time_trials(study: Any, n_trials: int) -> list[float]:
    """Run ``n_trials`` and return each trial's wall time in seconds."""
    stamps: list[float] = []

    def stamp(_study: Any, _trial: Any) -> None:
        stamps.append(time.perf_counter())

    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials, callbacks=[stamp])
    previous = [start, *stamps[:-1]]
    return [end - begin for begin, end in zip(previous, stamps, strict=True)]


def block_means(durations: list[float], block: int) -> list[float]:
    """Mean ms per trial over consecutive blocks of ``block`` trials (a short tail included)."""
    return [
        1000 * sum(durations[i : i + block]) / len(durations[i : i + block])
        for i in range(0, len(durations), block)
    ]


def run(
    storage: str, n_trials: int, block: int, mysql_url: str, sampler: str = "tpe"
) -> tuple[str, list[float]]:
    """Run one storage's study and return its description and block means."""
    with tempfile.TemporaryDirectory() as tmp:
        study, where = _make_study(storage, mysql_url, Path(tmp), sampler)
        durations = time_trials(study, n_trials)
    return where, block_means(durations, block)


def report(rows: list[tuple[str, int, list[float]]], block: int) -> str:
    """A Markdown table: ms/trial per block, total time, and the ratio last / first block."""
    n_blocks = max(len(means) for _, _, means in rows)
    header = [f"{i * block:,}-{(i + 1) * block:,}" for i in range(n_blocks)]
    lines = [
        "| storage | trials | " + " | ".join(header) + " | total s | last / first |",
        "|---|---|" + "---|" * n_blocks + "---|---|",
    ]
    for where, n_trials, means in rows:
        cells = [f"{m:.2f}" for m in means] + [""] * (n_blocks - len(means))
        total = sum(m * min(block, n_trials - i * block) for i, m in enumerate(means)) / 1000
        lines.append(
            f"| {where} | {n_trials:,} | "
            + " | ".join(cells)
            + f" | {total:.1f} | {means[-1] / means[0]:.2f}x |"
        )
    return "\n".join(lines)


def _profiled(fn: Callable[[], Any], path: str) -> Any:
    import cProfile

    profiler = cProfile.Profile()
    result = profiler.runcall(fn)
    profiler.dump_stats(path)
    return result


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run each storage in turn, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--block", type=int, default=1000)
    parser.add_argument("--storage", nargs="+", choices=STORAGES, default=list(STORAGES))
    parser.add_argument("--optuna-trials", type=int, default=2000)
    parser.add_argument("--mysql", default="mysql://root@127.0.0.1/bench_history")
    parser.add_argument("--profile", help="write a cProfile dump of the (single) run here")
    parser.add_argument("--sampler", choices=("tpe", "auto"), default="tpe", help="hpo-queue's")
    args = parser.parse_args(argv)

    rows: list[tuple[str, int, list[float]]] = []
    for storage in args.storage:
        n_trials = args.optuna_trials if storage == "optuna-memory" else args.trials

        def one(storage: str = storage, n_trials: int = n_trials) -> tuple[str, list[float]]:
            return run(storage, n_trials, args.block, args.mysql, args.sampler)

        where, means = _profiled(one, args.profile) if args.profile else one()
        print(f"{where}: " + ", ".join(f"{m:.2f}" for m in means) + " ms/trial", file=sys.stderr)
        rows.append((where, n_trials, means))
    print(report(rows, args.block))
    return 0


if __name__ == "__main__":
    sys.exit(main())
