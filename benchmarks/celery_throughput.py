"""Distributed execution benchmarks: hpo-queue through Celery + Redis + MariaDB vs Optuna.

Runs, in one go and on the same servers:
  1. throughput: N trivial trials through `celery -A hpo_queue.worker worker --concurrency=2`
     (2 worker processes) against Optuna's walkthrough setup: 2 processes each running
     study.optimize on a MariaDB RDBStorage. Both use TPE (Optuna's default; hpo-queue's
     TPESampler, or with --sampler auto its AutoSampler).
  2. overhead: per trial, task start to result written minus the objective (median, p95),
     from the results of run 1.
  3. sleep scaling: 320 trials of a 0.5 s sleeping objective on 32 worker slots (ideal 5 s).

Usage:
    python benchmarks/celery_throughput.py [--trials 300] [--mysql mysql://root@127.0.0.1]
        [--redis redis://127.0.0.1:6379/3] [--sampler tpe|auto] [--skip-sleep | --only-sleep]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

OBJECTIVES = """\
import time


def trivial(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def sleepy(trial):
    x = trial.suggest_float("x", -10, 10)
    time.sleep(0.5)
    return (x - 2) ** 2
"""

OPTUNA_WORKER = """\
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name="bench", storage=sys.argv[1])
study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=int(sys.argv[2]))
"""


def fresh_database(server: str, name: str) -> str:
    engine = sa.create_engine(server.replace("mysql://", "mysql+pymysql://", 1))
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    engine.dispose()
    return f"{server.rstrip('/')}/{name}"


def start_workers(
    workdir: Path, env: dict[str, str], concurrencies: list[int]
) -> list[subprocess.Popen[bytes]]:
    processes = []
    for index, concurrency in enumerate(concurrencies):
        log = open(workdir / f"worker-{index}.log", "wb")  # noqa: SIM115
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "hpo_queue.worker",
                    "worker",
                    "--pool=prefork",
                    f"--concurrency={concurrency}",
                    "--loglevel=WARNING",
                    "-n",
                    f"bench{index}@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return processes


def stop_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_hpo_queue(
    storage: str, objective: str, n_trials: int, settings: Any, warm: int, sampler: str
) -> dict:
    import hpo_queue as hq
    from hpo_queue.samplers import AutoSampler, RandomSampler, TPESampler
    from hpo_queue.storages._validation import utcnow

    def chosen() -> Any:
        return {"tpe": TPESampler, "auto": AutoSampler, "random": RandomSampler}[sampler]()

    if warm:  # fork, import and connect every worker process before timing
        warmup = hq.create_study(
            study_name="warmup", storage=storage, settings=settings, sampler=chosen()
        )
        warmup.submit(objective, n_trials=warm).wait(timeout=120)
    study = hq.create_study(
        study_name="bench", storage=storage, settings=settings, sampler=chosen()
    )
    hq.logging.set_verbosity("WARNING")
    started_utc = utcnow()
    start = time.perf_counter()
    job = study.submit(objective, n_trials=n_trials)
    counts = job.wait(timeout=600)
    waited = time.perf_counter() - start
    trials = study.trials
    last = max(t.datetime_complete for t in trials if t.datetime_complete)
    makespan = (last - started_utc).total_seconds()
    # The store has the trials; the task results (Celery's result backend, the Redis broker
    # here) have each task's timings.
    replies = [job.app.AsyncResult(task_id).get(timeout=60) for task_id in job.task_ids]
    results = [r for r in replies if r.get("status") == "finished"]
    overhead = [r["elapsed_seconds"] - r["objective_seconds"] for r in results]
    in_task = [r["elapsed_seconds"] for r in results]
    return {
        "counts": counts,
        "makespan_s": makespan,
        "wait_s": waited,
        "trials_per_s": n_trials / makespan,
        "overhead_median_ms": 1000 * statistics.median(overhead),
        "overhead_p95_ms": 1000 * percentile(overhead, 0.95),
        "in_task_median_ms": 1000 * statistics.median(in_task),
        "in_task_p95_ms": 1000 * percentile(in_task, 0.95),
    }


def run_optuna(storage: str, n_trials: int) -> dict:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage.replace("mysql://", "mysql+pymysql://", 1)
    optuna.create_study(study_name="bench", storage=url)
    start = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-c", OPTUNA_WORKER, url, str(n_trials // 2)])
        for _ in range(2)
    ]
    for process in processes:
        process.wait()
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "trials_per_s": n_trials / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--mysql", default="mysql://root@127.0.0.1")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--skip-sleep", action="store_true")
    parser.add_argument("--only-sleep", action="store_true")
    parser.add_argument("--sampler", choices=("tpe", "auto"), default="tpe", help="hpo-queue's")
    parser.add_argument("--sleep-sampler", choices=("tpe", "auto", "random"), default="tpe")
    args = parser.parse_args()

    import redis

    from hpo_queue.settings import Settings

    report: dict = {"trials": args.trials}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bench_objectives.py").write_text(OBJECTIVES)
        sys.path.insert(0, tmp)

        # 1 + 2: throughput and overhead, 2 worker processes.
        env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
        env.update(
            HPO_BROKER_URL=args.redis,
            HPO_OBJECTIVE_MODULES="bench_objectives",
            HPO_LOG_LEVEL="WARNING",
        )
        if not args.only_sleep:
            redis.Redis.from_url(args.redis).flushdb()
            storage = fresh_database(args.mysql, "hq_bench_celery")
            env["HPO_STORAGE_URL"] = storage
            settings = Settings.load(env={k: v for k, v in env.items() if k.startswith("HPO_")})
            workers = start_workers(workdir, env, [2])
            try:
                report["hpo_queue"] = run_hpo_queue(
                    storage, "bench_objectives:trivial", args.trials, settings, 4, args.sampler
                )
            finally:
                stop_workers(workers)
            report["optuna"] = run_optuna(
                fresh_database(args.mysql, "hq_bench_optuna"), args.trials
            )
            report["speedup_vs_optuna"] = (
                report["hpo_queue"]["trials_per_s"] / report["optuna"]["trials_per_s"]
            )

        # 3: 320 trials of 0.5 s on 32 slots.
        if not args.skip_sleep:
            redis.Redis.from_url(args.redis).flushdb()
            storage = fresh_database(args.mysql, "hq_bench_sleep")
            env["HPO_STORAGE_URL"] = storage
            settings = Settings.load(env={k: v for k, v in env.items() if k.startswith("HPO_")})
            workers = start_workers(workdir, env, [16, 16])
            try:
                sleep = run_hpo_queue(
                    storage, "bench_objectives:sleepy", 320, settings, 64, args.sleep_sampler
                )
            finally:
                stop_workers(workers)
            sleep["ideal_s"] = 5.0
            sleep["ratio_to_ideal"] = sleep["makespan_s"] / 5.0
            report["sleep_320x0.5s_32_slots"] = sleep
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
