"""Walkthrough throughput: trials per second of hpo-queue vs Optuna 5, side by side, on MariaDB.

The workload is the walkthrough's: a study on MariaDB, then 2 processes started at once, each
``load_study`` then ``optimize(objective, n_trials=100)`` with one float and TPE: Optuna's
default TPESampler and, with ``--sampler tpe`` (the default), hpo-queue's TPESampler; with
``--sampler auto`` hpo-queue uses AutoSampler (QMC, then a GP). Rounds
alternate hpo-queue and Optuna so both see the same machine noise; the table shows medians.

    pip install -e .[bench]
    python benchmarks/walkthrough_throughput.py [--rounds 3] [--processes 2] [--trials 100]
        [--mysql mysql://root@127.0.0.1] [--log-note] [--sampler tpe|auto]

It drops and re-creates the databases ``bench_wt_hq`` and ``bench_wt_optuna``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

LIBRARIES = ("hpo-queue", "optuna")
STUDY_NAME = "walkthrough"


@dataclass
class RunResult:
    """One run of the workload: wall time and optimize-only span, both in seconds."""

    library: str
    wall: float
    optimize_span: float
    n_complete: int
    logging_on: bool = False

    @property
    def wall_rate(self) -> float:
        return self.n_complete / self.wall

    @property
    def optimize_rate(self) -> float:
        return self.n_complete / self.optimize_span


def objective(trial: Any) -> float:
    """The walkthrough objective (same code for both libraries)."""
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def _database_url(server: str, library: str) -> str:
    """The study URL of ``library``: hq takes mysql://, Optuna needs mysql+pymysql://."""
    database = "bench_wt_hq" if library == "hpo-queue" else "bench_wt_optuna"
    host = server.split("://", 1)[1]
    scheme = "mysql" if library == "hpo-queue" else "mysql+pymysql"
    return f"{scheme}://{host}/{database}"


def _reset_database(server: str, library: str) -> None:
    import pymysql

    database = _database_url(server, library).rsplit("/", 1)[1]
    userhost = server.split("://", 1)[1]
    user, _, host = userhost.rpartition("@")
    host, _, port = host.partition(":")
    conn = pymysql.connect(host=host, user=user or "root", port=int(port or 3306))
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {database}")
            cur.execute(f"CREATE DATABASE {database}")
    finally:
        conn.close()


def _create_study(library: str, url: str, sampler: str) -> None:
    """Create the study in a fresh process, as the walkthrough's first command does."""
    subprocess.run(
        [sys.executable, __file__, "--create", library, "--url", url, "--sampler", sampler],
        check=True,
    )


def _count_complete(library: str, url: str) -> int:
    out = subprocess.run(
        [sys.executable, __file__, "--count", library, "--url", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip())


def run_once(
    library: str,
    server: str,
    processes: int,
    trials: int,
    logging_on: bool = False,
    sampler: str = "tpe",
) -> RunResult:
    """Reset the database, create the study, start ``processes`` workers at once, time them."""
    url = _database_url(server, library)
    _reset_database(server, library)
    _create_study(library, url, sampler)
    command = [sys.executable, __file__, "--worker", library, "--url", url, "--trials", str(trials)]
    if logging_on:
        command.append("--log")
    start = time.time()
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(processes)
    ]
    outputs = [w.communicate()[0] for w in workers]
    wall = time.time() - start
    if any(w.returncode != 0 for w in workers):
        raise RuntimeError(f"a {library} worker failed: {outputs}")
    reports = [json.loads(o.strip().splitlines()[-1]) for o in outputs]
    span = max(r["optimize_end"] for r in reports) - min(r["optimize_start"] for r in reports)
    n_complete = _count_complete(library, url)
    return RunResult(library, wall, span, n_complete, logging_on)


# -- what the subprocesses run ------------------------------------------------------------------


def _set_quiet(library: str, quiet: bool) -> None:
    if library == "hpo-queue":
        # hpo_queue does not import its logging module eagerly: import it by name.
        import hpo_queue.logging

        hpo_queue.logging.set_verbosity("WARNING" if quiet else "INFO")
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING if quiet else optuna.logging.INFO)


def _create_main(library: str, url: str, sampler: str) -> None:
    _set_quiet(library, True)
    if library == "hpo-queue":
        import hpo_queue as hq
        from hpo_queue.samplers import AutoSampler, TPESampler

        chosen = TPESampler() if sampler == "tpe" else AutoSampler()
        hq.create_study(study_name=STUDY_NAME, storage=url, direction="minimize", sampler=chosen)
    else:
        import optuna

        optuna.create_study(study_name=STUDY_NAME, storage=url, direction="minimize")


def _count_main(library: str, url: str) -> None:
    _set_quiet(library, True)
    if library == "hpo-queue":
        import hpo_queue as hq

        study: Any = hq.load_study(study_name=STUDY_NAME, storage=url)
        states: Any = (hq.TrialState.COMPLETE,)
    else:
        import optuna

        study = optuna.load_study(study_name=STUDY_NAME, storage=url)
        states = (optuna.trial.TrialState.COMPLETE,)
    print(len(study.get_trials(deepcopy=False, states=states)))


def _worker_main(library: str, url: str, trials: int, log: bool) -> None:
    _set_quiet(library, not log)
    if library == "hpo-queue":
        import hpo_queue as hq

        study: Any = hq.load_study(study_name=STUDY_NAME, storage=url)
    else:
        import optuna

        study = optuna.load_study(study_name=STUDY_NAME, storage=url)
    optimize_start = time.time()
    study.optimize(objective, n_trials=trials)
    optimize_end = time.time()
    print(json.dumps({"optimize_start": optimize_start, "optimize_end": optimize_end}))


# -- report -------------------------------------------------------------------------------------


def _median_row(results: list[RunResult], library: str) -> tuple[float, float, float, float]:
    mine = [r for r in results if r.library == library and not r.logging_on]
    return (
        statistics.median(r.wall for r in mine),
        statistics.median(r.wall_rate for r in mine),
        statistics.median(r.optimize_span for r in mine),
        statistics.median(r.optimize_rate for r in mine),
    )


def report(results: list[RunResult], processes: int, trials: int) -> str:
    """A Markdown table of every run, the medians, and the hpo-queue / Optuna ratios."""
    lines = [
        "| round | library | trials | wall s | trials/s (wall) | optimize s "
        "| trials/s (optimize) |",
        "|---|---|---|---|---|---|---|",
    ]
    for index, r in enumerate(results):
        label = f"{r.library} (INFO logging)" if r.logging_on else r.library
        lines.append(
            f"| {index // len(LIBRARIES) + 1 if not r.logging_on else 'note'} | {label} | "
            f"{r.n_complete} | {r.wall:.2f} | {r.wall_rate:.1f} | {r.optimize_span:.2f} | "
            f"{r.optimize_rate:.1f} |"
        )
    hq_row = _median_row(results, "hpo-queue")
    op_row = _median_row(results, "optuna")
    for library, row in (("hpo-queue", hq_row), ("optuna", op_row)):
        lines.append(
            f"| median | {library} | {processes * trials} | {row[0]:.2f} | {row[1]:.1f} | "
            f"{row[2]:.2f} | {row[3]:.1f} |"
        )
    lines.append("")
    lines.append(
        f"Ratio hpo-queue / Optuna (median trials/s): wall {hq_row[1] / op_row[1]:.2f}x, "
        f"optimize-only {hq_row[3] / op_row[3]:.2f}x."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse flags and run the benchmark (or, with --worker/--create/--count, one step)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--trials", type=int, default=100, help="n_trials per process")
    parser.add_argument("--mysql", default="mysql://root@127.0.0.1", help="server, no database")
    parser.add_argument(
        "--log-note", action="store_true", help="add one hpo-queue run with INFO logging on"
    )
    parser.add_argument(
        "--sampler",
        choices=("tpe", "auto"),
        default="tpe",
        help="hpo-queue's sampler: TPESampler (as Optuna's default) or AutoSampler",
    )
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--create", choices=LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--count", choices=LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--log", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        _worker_main(args.worker, args.url, args.trials, args.log)
        return 0
    if args.create:
        _create_main(args.create, args.url, args.sampler)
        return 0
    if args.count:
        _count_main(args.count, args.url)
        return 0

    results: list[RunResult] = []
    for round_index in range(args.rounds):
        order = LIBRARIES if round_index % 2 == 0 else LIBRARIES[::-1]
        for library in order:
            result = run_once(
                library, args.mysql, args.processes, args.trials, sampler=args.sampler
            )
            print(
                f"round {round_index + 1} {library}: {result.n_complete} trials, "
                f"wall {result.wall:.2f} s, optimize {result.optimize_span:.2f} s",
                file=sys.stderr,
            )
            results.append(result)
    if args.log_note:
        results.append(
            run_once("hpo-queue", args.mysql, args.processes, args.trials, True, args.sampler)
        )
    print(report(results, args.processes, args.trials))
    return 0


if __name__ == "__main__":
    sys.exit(main())
