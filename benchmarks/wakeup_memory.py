"""Redis memory held per queued trial: the cost behind MAX_TRIALS_PER_SUBMIT.

Submits N trials of a SQLite study to a queue of its own that no worker reads, measures the
queue's list with Redis's MEMORY USAGE, then deletes the queue and cancels the job.

Usage:
    python benchmarks/wakeup_memory.py [--trials 10000] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path

import redis

import hpo_queue as hq
from hpo_queue._limits import MAX_TRIALS_PER_SUBMIT
from hpo_queue.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    queue = f"hq-wakeup-memory-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(args.redis)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'hpo.db'}"
        settings = Settings(storage_url=url, broker_url=args.redis)
        study = hq.create_study(storage=url, study_name="wakeup-memory", settings=settings)
        job = study.submit("benchmarks.wakeup_memory:objective", args.trials, queue=queue)
        try:
            length = client.llen(queue)
            usage = client.memory_usage(queue, samples=0) or 0
            per_trial = usage / max(length, 1)
            print(f"{length} wake-ups queued: {usage:,} bytes, {per_trial:,.0f} per trial")
            for n in (MAX_TRIALS_PER_SUBMIT, 1_000_000):
                print(f"{n:,} trials: about {per_trial * n / 1e6:,.0f} MB")
        finally:
            client.delete(queue)
            job.cancel()


def objective(trial: object) -> float:
    return 0.0


if __name__ == "__main__":
    main()
