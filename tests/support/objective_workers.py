"""Real `celery worker` processes that run an objective module a test writes, on a study.

The fixtures of tests/celery_workers/test_celery_end_to_end.py are bound to that module's
objectives; these helpers take the objective module's source and name instead, so each
test writes its own module to a temporary directory and allows only that one.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hpo_queue.settings import Settings
from hpo_queue.study import Study
from hpo_queue.trial import TrialState
from tests.support.worker_processes import stop_processes, worker_command

# A learning curve whose bad trials look bad early: the value at step s is the trial's
# final quality q plus a gap that shrinks with s and is larger the worse q is, so the
# ranking at any step is (up to small noise) the ranking of the final values.
LEARNING_CURVE_SOURCE = """\
import math
import random
import time

import hpo_queue as hq

N_STEPS = 30
OPTIMUM_X = 1.0


def quality(x):
    return (x - OPTIMUM_X) ** 2


def learning_curve(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    q = quality(x)
    noise = random.Random(trial.number)
    value = q
    for step in range(1, N_STEPS + 1):
        time.sleep(0.003)
        value = q + (1.0 + q) * math.exp(-step / 8.0) + noise.gauss(0.0, 0.01)
        trial.report(value, step)
        if trial.should_prune():
            raise hq.TrialPruned()
    return q
"""


def worker_env(mysql_url: str, redis_url: str, objective_modules: str) -> dict[str, str]:
    """The environment of a worker process: this test's store, broker and objective module."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
    env.update(
        HPO_BROKER_URL=redis_url,
        HPO_STORAGE_URL=mysql_url,
        HPO_OBJECTIVE_MODULES=objective_modules,
        HPO_HEARTBEAT_INTERVAL="0.5",
        HPO_HEARTBEAT_GRACE="5",
        HPO_MAX_RETRIES="2",
    )
    return env


def coordinator_settings(env: dict[str, str]) -> Settings:
    """The Settings the test process (the coordinator) uses: the workers' HPO_* values."""
    return Settings.load(env={k: v for k, v in env.items() if k.startswith("HPO_")})


@contextmanager
def celery_workers(
    workdir: Path, env: dict[str, str], *, processes: int, concurrency: int = 1
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Run ``processes`` worker commands (`celery -A hpo_queue.worker`) in ``workdir``; stop after.

    Each command runs ``concurrency`` prefork child processes, so ``processes *
    concurrency`` trials can run at once. Logs go to ``workdir/worker-<i>.log``.
    """
    started: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(processes):
            with open(workdir / f"worker-{index}.log", "wb") as log:
                started.append(
                    subprocess.Popen(
                        worker_command(
                            concurrency, f"hq-objective-{index}", "--prefetch-multiplier=1"
                        ),
                        cwd=workdir,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        yield started
    finally:
        stop_processes(started)


def wait_until_settled(study: Study, n_trials: int, timeout: float) -> dict[TrialState, int]:
    """Wait until the study holds ``n_trials`` finished trials and none RUNNING or WAITING."""
    deadline = time.monotonic() + timeout
    while True:
        counts = study.storage.count_trials_by_state(study.study_id)
        finished = sum(n for state, n in counts.items() if state.is_finished())
        if (
            finished >= n_trials
            and not counts.get(TrialState.RUNNING)
            and not counts.get(TrialState.WAITING)
        ):
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"study not settled after {timeout} s: {counts}")
        time.sleep(0.2)
