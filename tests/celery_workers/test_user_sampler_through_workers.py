"""A user's sampler written as for Optuna (no to_config) runs on real workers, by reference."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.trial import TrialState
from tests.support.objective_workers import celery_workers, coordinator_settings, worker_env
from tests.support.worker_processes import worker_logs

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]

OBJECTIVES = "hq_user_sampler_objectives"
SAMPLERS = "hq_user_sampler_classes"
OBJECTIVE_SOURCE = """\
def square(trial):
    x = trial.suggest_float("x", 0.0, 8.0)
    return x * x
"""
SAMPLER_SOURCE = """\
import hpo_queue as hq


class StepSampler(hq.samplers.BaseSampler):
    \"\"\"x = low + step * (number % 4): which trial got which value shows who sampled it.\"\"\"

    def __init__(self, step=0.5):
        self.step = step

    def sample_independent(self, study, trial, name, distribution):
        return distribution.low + self.step * (trial.number % 4)
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Holds both modules; importable here too, where the study is created."""
    (tmp_path / f"{OBJECTIVES}.py").write_text(OBJECTIVE_SOURCE)
    (tmp_path / f"{SAMPLERS}.py").write_text(SAMPLER_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop(OBJECTIVES, None)
    sys.modules.pop(SAMPLERS, None)


def _study(workdir: Path, env: dict[str, str]) -> hq.Study:
    import importlib

    samplers = importlib.import_module(SAMPLERS)
    settings = coordinator_settings(env)
    return hq.create_study(
        study_name=f"user-sampler-{uuid.uuid4().hex[:6]}",
        storage=settings.storage_url,
        sampler=samplers.StepSampler(step=1.5),
        settings=settings,
    )


def test_workers_rebuild_a_users_sampler_from_an_allowed_module(
    workdir: Path, mysql_url: str, redis_url: str
) -> None:
    env = worker_env(mysql_url, redis_url, f"{OBJECTIVES},{SAMPLERS}")
    study = _study(workdir, env)
    assert study.storage.get_study_by_id(study.study_id).sampler_config == {
        "name": f"{SAMPLERS}:StepSampler",
        "kwargs": {"step": 1.5},
    }
    with celery_workers(workdir, env, processes=1, concurrency=2):
        counts = study.submit(f"{OBJECTIVES}:square", n_trials=8).wait(timeout=90)
    assert counts == {"COMPLETE": 8}, f"{counts}\n{worker_logs(workdir)}"
    # Every value is the user's sampler's, built with the stored step.
    assert {t.number: t.params["x"] for t in study.trials} == {n: 1.5 * (n % 4) for n in range(8)}


def test_a_worker_that_does_not_allow_the_samplers_module_fails_the_trial_saying_why(
    workdir: Path, mysql_url: str, redis_url: str
) -> None:
    env = worker_env(mysql_url, redis_url, OBJECTIVES)  # the sampler's module is not allowed
    study = _study(workdir, env)
    with celery_workers(workdir, env, processes=1, concurrency=1):
        counts = study.submit(f"{OBJECTIVES}:square", n_trials=2).wait(timeout=90)
    assert counts.get("COMPLETE", 0) == 0, f"{counts}\n{worker_logs(workdir)}"
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert failed, worker_logs(workdir)
    reason = failed[0].fail_reason or ""
    assert f"{SAMPLERS}:StepSampler" in reason and "HPO_OBJECTIVE_MODULES" in reason, reason
