"""Issue 3's reliability promises, end to end with real workers: RabbitMQ, cancel, restarts.

The restart tests run a private redis-server or mariadbd of their own on a free port, so
the shared services on 3306/6379 are never restarted.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.samplers import RandomSampler
from hpo_queue.settings import Settings
from hpo_queue.study import Study
from hpo_queue.study._lifecycle import was_lost
from hpo_queue.trial import TrialState
from tests.support.private_servers import PrivateMariaDB, PrivateRedis, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.slow]

OBJECTIVES = """\
import time


def pause_02(trial):
    x = trial.suggest_float("x", -10, 10)
    time.sleep(0.2)
    return x * x


def pause_03(trial):
    x = trial.suggest_float("x", -10, 10)
    time.sleep(0.3)
    return x * x
"""

WorkerStarter = Callable[..., subprocess.Popen[bytes]]  # the start_worker fixture (conftest)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The directory workers start in, with the objectives they may run."""
    (tmp_path / "hq_e2e_objectives.py").write_text(OBJECTIVES)
    return tmp_path


def coordinator_settings(env: dict[str, str]) -> Settings:
    return Settings.load(env={k: v for k, v in env.items() if k.startswith("HPO_")})


def n_complete(study: Study) -> int:
    return study.storage.count_trials_by_state(study.study_id).get(TrialState.COMPLETE, 0)


def completed_values(study: Study) -> dict[int, list[float] | None]:
    return {t.number: t.values for t in study.get_trials(states=[TrialState.COMPLETE])}


def wait_for_settled_store(study: Study, timeout: float) -> dict[TrialState, int]:
    """The study's trial counts once none is RUNNING or WAITING (the reaper ended them)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = study.storage.count_trials_by_state(study.study_id)
        if not counts.get(TrialState.RUNNING) and not counts.get(TrialState.WAITING):
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"trials still unfinished after {timeout} s: {counts}")
        time.sleep(0.2)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A started PrivateRedis; always stopped afterwards."""
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def private_mariadb() -> Iterator[PrivateMariaDB]:
    """A started PrivateMariaDB with an empty database ``hq``; always stopped and removed."""
    server = PrivateMariaDB()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.mark.mysql
@pytest.mark.rabbitmq
def test_rabbitmq_broker_runs_a_study_to_completion(
    start_worker: WorkerStarter, worker_env: dict[str, str], rabbitmq_url: str
) -> None:
    # Results come back over rpc:// (the default for AMQP): the coordinator that sent the
    # tasks names its own reply queue in each message, so job.wait reads them there.
    env = {**worker_env, "HPO_BROKER_URL": rabbitmq_url}
    settings = coordinator_settings(env)
    assert settings.result_backend is None
    queue = f"hq_test_{uuid.uuid4().hex[:12]}"
    study = hq.create_study(
        study_name="rabbit", storage=settings.storage_url, max_trials=6, settings=settings
    )
    job = study.submit("hq_e2e_objectives:pause_02", n_trials=6, queue=queue)
    try:
        assert job.app.conf.result_backend == "rpc://"
        start_worker(concurrency=2, env=env, queues=queue)
        assert job.wait(timeout=60) == {"COMPLETE": 6}
        assert study.storage.count_trials_by_state(study.study_id) == {TrialState.COMPLETE: 6}
        assert all(t.values is not None for t in study.trials)
    finally:
        with job.app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
        job.app.pool.force_close_all()  # the connections that read the rpc:// replies


@pytest.mark.mysql
@pytest.mark.redis
def test_cancel_revokes_the_tasks_that_have_not_started(
    start_worker: WorkerStarter, worker_env: dict[str, str]
) -> None:
    settings = coordinator_settings(worker_env)
    study = hq.create_study(
        study_name="cancel",
        storage=settings.storage_url,
        sampler=RandomSampler(),
        settings=settings,
    )
    start_worker(concurrency=2)
    job = study.submit("hq_e2e_objectives:pause_03", n_trials=40)
    wait_until(lambda: n_complete(study) >= 4, 60, "four trials complete")

    revoked = job.cancel()
    counts = job.wait(timeout=60)

    assert revoked >= 30
    assert sum(counts.values()) == 40
    assert counts.get("cancelled", 0) >= 30
    assert set(counts) <= {"COMPLETE", "cancelled"}
    states = study.storage.count_trials_by_state(study.study_id)
    # A cancelled task never claims a trial: only the ones that had started exist.
    assert states == {TrialState.COMPLETE: counts["COMPLETE"]}
    assert counts["COMPLETE"] <= 10


@pytest.mark.mysql
def test_redis_restart_mid_run_loses_nothing_finished(
    start_worker: WorkerStarter, worker_env: dict[str, str], private_redis: PrivateRedis
) -> None:
    # The private Redis keeps no data (no RDB, no AOF), as a cache-style deployment would:
    # the messages still queued when it dies are lost with it. What must hold: the trials
    # finished before are intact in MariaDB, no trial stays RUNNING, and the same workers
    # (never restarted) take tasks submitted after Redis is back.
    env = {**worker_env, "HPO_BROKER_URL": private_redis.url}
    settings = coordinator_settings(env)
    study = hq.create_study(
        study_name="redis-restart",
        storage=settings.storage_url,
        sampler=RandomSampler(),
        settings=settings,
    )
    worker = start_worker(concurrency=2, env=env)
    first = study.submit("hq_e2e_objectives:pause_02", n_trials=30)
    wait_until(lambda: n_complete(study) >= 10, 60, "ten trials complete")

    private_redis.kill()
    before = completed_values(study)
    time.sleep(2)
    private_redis.start()

    second = study.submit("hq_e2e_objectives:pause_02", n_trials=5)
    assert second.wait(timeout=60) == {"COMPLETE": 5}
    assert worker.poll() is None, "the worker exited instead of reconnecting"

    counts = wait_for_settled_store(study, timeout=30)
    after = completed_values(study)
    assert len(before) >= 10
    assert {n: after.get(n) for n in before} == before
    assert set(counts) == {TrialState.COMPLETE}
    assert len(after) <= len(first) + len(second)
    assert len(after) >= len(before) + 5


@pytest.mark.redis
@pytest.mark.parametrize(
    "downtime",
    [
        pytest.param(2.0, id="within-the-storage-retries"),
        # Longer than run_with_retry's ~6 s of backoff: a task whose write still fails
        # raises StorageError, Celery retries it under the same task id, and the trial it
        # had running is reaped and re-run with the same parameters.
        pytest.param(12.0, id="beyond-the-storage-retries"),
    ],
)
def test_mariadb_restart_mid_run_completes_the_study(
    start_worker: WorkerStarter,
    worker_env: dict[str, str],
    private_mariadb: PrivateMariaDB,
    downtime: float,
) -> None:
    env = {**worker_env, "HPO_STORAGE_URL": private_mariadb.url}
    settings = coordinator_settings(env)
    study = hq.create_study(
        study_name="mariadb-restart",
        storage=settings.storage_url,
        sampler=RandomSampler(),
        max_trials=30,
        settings=settings,
    )
    start_worker(concurrency=2, env=env)
    job = study.submit("hq_e2e_objectives:pause_02", n_trials=30)
    wait_until(lambda: n_complete(study) >= 10, 60, "ten trials complete")

    before = completed_values(study)
    private_mariadb.stop()
    time.sleep(downtime)
    private_mariadb.start()

    counts = job.wait(timeout=90)
    states = wait_for_settled_store(study, timeout=30)
    after = completed_values(study)
    assert len(before) >= 10
    assert {n: after.get(n) for n in before} == before
    assert counts == {"COMPLETE": 30}, counts
    assert states[TrialState.COMPLETE] == 30
    assert set(states) <= {TrialState.COMPLETE, TrialState.FAIL}
    # A trial only fails when its worker lost the store mid-trial: the reaper fails it once
    # the store is back ("presumed dead"), or the worker itself records the lost store. It
    # ran again, with its parameters when they had been stored.
    trials = study.trials
    for failed in (t for t in trials if t.state == TrialState.FAIL):
        assert was_lost(failed), failed.fail_reason
        (rerun,) = (t for t in trials if t.system_attrs.get("retry_of") == failed.number)
        assert rerun.state == TrialState.COMPLETE
        if failed.params:
            assert rerun.params == failed.params
