"""End to end through real `celery worker` subprocesses, real Redis and real MariaDB."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.samplers import RandomSampler
from hpo_queue.settings import Settings
from hpo_queue.study import Study
from hpo_queue.trial import TrialState

pytestmark = [pytest.mark.worker, pytest.mark.slow]

OBJECTIVES = """\
import os
import time


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def slow(trial):
    x = trial.suggest_float("x", -10, 10)
    running = os.path.join(os.path.dirname(os.path.abspath(__file__)), "running")
    os.makedirs(running, exist_ok=True)
    open(os.path.join(running, f"{trial.number}-{os.getpid()}"), "w").close()
    time.sleep(1.5)
    return x * x
"""

FORBIDDEN = """\
import os
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "forbidden-imported"), "w").close()


def objective(trial):
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "forbidden-ran"), "w").close()
    return 0.0
"""

WorkerStarter = Callable[..., subprocess.Popen[bytes]]  # the start_worker fixture (conftest)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The directory workers start in: it holds the objective modules, as a user's would."""
    (tmp_path / "hq_e2e_objectives.py").write_text(OBJECTIVES)
    (tmp_path / "hq_e2e_forbidden.py").write_text(FORBIDDEN)
    return tmp_path


def coordinator_settings(worker_env: dict[str, str]) -> Settings:
    return Settings.load(env={k: v for k, v in worker_env.items() if k.startswith("HPO_")})


def wait_for_study(study: Study, completed: int, timeout: float) -> dict[TrialState, int]:
    deadline = time.monotonic() + timeout
    while True:
        counts = study.storage.count_trials_by_state(study.study_id)
        done = counts.get(TrialState.COMPLETE, 0) >= completed
        if done and not counts.get(TrialState.RUNNING) and not counts.get(TrialState.WAITING):
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"study not finished after {timeout} s: {counts}")
        time.sleep(0.2)


def test_seed_objective_through_the_queue(
    start_worker: WorkerStarter, worker_env: dict[str, str]
) -> None:
    settings = coordinator_settings(worker_env)
    study = hq.create_study(
        study_name="seed", storage=settings.storage_url, max_trials=20, settings=settings
    )
    start_worker(concurrency=2)
    job = study.submit("hq_e2e_objectives:quadratic", n_trials=20)
    counts = job.wait(timeout=90)
    assert counts == {"COMPLETE": 20}
    assert len(study.get_trials(states=[TrialState.COMPLETE])) == 20
    assert study.best_value < 5.0
    assert all(t.worker for t in study.trials)


def test_sixteen_processes_race_400_tasks_for_a_cap_of_200(
    start_worker: WorkerStarter, worker_env: dict[str, str]
) -> None:
    settings = coordinator_settings(worker_env)
    study = hq.create_study(
        study_name="race",
        storage=settings.storage_url,
        max_trials=200,
        sampler=RandomSampler(),
        settings=settings,
    )
    start_worker(concurrency=8)
    start_worker(concurrency=8)
    job = study.submit("hq_e2e_objectives:quadratic", n_trials=400)
    counts = job.wait(timeout=150)
    assert counts.get("COMPLETE") == 200
    assert counts.get("cap_reached") == 200
    states = study.storage.count_trials_by_state(study.study_id)
    assert states == {TrialState.COMPLETE: 200}
    assert len({t.worker for t in study.trials}) > 2  # spread over many processes


def test_kill_9_mid_trial_still_completes_the_cap(
    start_worker: WorkerStarter, worker_env: dict[str, str], workdir: Path
) -> None:
    settings = coordinator_settings(worker_env)
    study = hq.create_study(
        study_name="kill",
        storage=settings.storage_url,
        max_trials=6,
        sampler=RandomSampler(),
        settings=settings,
    )
    start_worker(concurrency=2)
    study.submit("hq_e2e_objectives:slow", n_trials=6)
    running = workdir / "running"
    deadline = time.monotonic() + 60
    while not (running.exists() and any(running.iterdir())):
        assert time.monotonic() < deadline, "no trial started"
        time.sleep(0.05)
    victim = next(running.iterdir())
    number, pid = (int(part) for part in victim.name.split("-"))
    # Parameters reach the store 50 ms after they are suggested; kill once they are there,
    # so that the retry can be checked to use the same ones.
    while not study.storage.get_trial(study.study_id, number).params:
        assert time.monotonic() < deadline, "the trial's parameters never reached the store"
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)

    counts = wait_for_study(study, completed=6, timeout=120)

    assert counts[TrialState.COMPLETE] == 6
    killed = study.storage.get_trial(study.study_id, number)
    assert killed.state == TrialState.FAIL
    assert "presumed dead" in (killed.fail_reason or "")
    retries = [t for t in study.trials if t.system_attrs.get("retry_of") == number]
    assert len(retries) == 1
    assert retries[0].params == killed.params
    assert retries[0].state == TrialState.COMPLETE


def test_an_objective_outside_the_allowed_modules_is_refused(
    start_worker: WorkerStarter, worker_env: dict[str, str], workdir: Path
) -> None:
    settings = coordinator_settings(worker_env)
    study = hq.create_study(study_name="refuse", storage=settings.storage_url, settings=settings)
    start_worker(concurrency=1)
    job = study.submit("hq_e2e_forbidden:objective", n_trials=1)
    assert job.wait(timeout=60) == {"FAIL": 1}  # the refusal is on the trial, with its reason
    assert not job.succeeded()
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "hq_e2e_forbidden" in (trial.fail_reason or "")
    assert "HPO_OBJECTIVE_MODULES" in (trial.fail_reason or "")
    assert not (workdir / "forbidden-imported").exists()
    assert not (workdir / "forbidden-ran").exists()


def test_embedded_broker_needs_no_server(
    start_worker: WorkerStarter, worker_env: dict[str, str], workdir: Path
) -> None:
    env = {k: v for k, v in worker_env.items() if k not in ("HPO_BROKER_URL",)}
    env["HPO_STORAGE_URL"] = f"sqlite:///{workdir / 'study.db'}"
    settings = coordinator_settings(env)
    assert settings.broker_url is None
    study = hq.create_study(
        study_name="embedded", storage=settings.storage_url, max_trials=5, settings=settings
    )
    start_worker(concurrency=2, env=env)
    job = study.submit("hq_e2e_objectives:quadratic", n_trials=5)
    assert job.wait(timeout=90) == {"COMPLETE": 5}
    assert (workdir / "hpo-queue-broker.sqlite").exists()
