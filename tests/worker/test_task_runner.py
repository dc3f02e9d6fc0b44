"""run_trial_task on a real MySQL: claim, cap, refusal, idempotent redelivery, retries."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.distributions import FloatDistribution
from hpo_queue.settings import Settings
from hpo_queue.study._lifecycle import reap_expired_leases
from hpo_queue.trial import TrialState
from hpo_queue.worker.task_runner import run_trial_task

pytestmark = pytest.mark.mysql

OBJECTIVES = """\
import os

def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2

def raises(trial):
    trial.suggest_float("x", -10, 10)
    raise ValueError("the objective broke")

def reaped_meanwhile(trial):
    # As when the store was unreachable longer than the heartbeat grace: another worker's
    # reaper failed this trial (and queued its retry) before its result could be written.
    from hpo_queue.study._lifecycle import REAPED_REASON_PREFIX
    from hpo_queue.trial import TrialState
    x = trial.suggest_float("x", -10, 10)
    trial._write_params()  # what the 50 ms timer does: the parameters are in the store
    if trial.number == 0:  # what another node's reaper does once the lease ran out
        assert trial.study.storage.finish_trial(
            trial.study.study_id, trial._trial_id, TrialState.FAIL,
            fail_reason=f"{REAPED_REASON_PREFIX}: no heartbeat; presumed dead.", retry_limit=2,
        )
    return (x - 2) ** 2
"""


@pytest.fixture
def settings(mysql_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    (tmp_path / "hq_runner_objectives.py").write_text(OBJECTIVES)
    (tmp_path / "hq_runner_forbidden.py").write_text(
        f"open({str(tmp_path / 'imported')!r}, 'w').close()\n"
        "def objective(trial):\n    return 0.0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield Settings(
        storage_url=mysql_url,
        objective_modules=("hq_runner_objectives",),
        heartbeat_interval=0.2,
        heartbeat_grace=1.0,
        max_retries=2,
    )
    sys.modules.pop("hq_runner_objectives", None)


def test_a_task_runs_one_trial_and_a_redelivery_writes_nothing(settings: Settings) -> None:
    study = hq.create_study(study_name="s", storage=settings.storage_url)
    result = run_trial_task(settings, "s", "hq_runner_objectives:quadratic", "task-1")
    assert result["status"] == "finished"
    assert result["state"] == "COMPLETE"
    again = run_trial_task(settings, "s", "hq_runner_objectives:quadratic", "task-1")
    assert again["status"] == "duplicate"
    assert again["trial"] == result["trial"]
    assert len(study.trials) == 1


def test_cap_reached_is_a_no_op(settings: Settings) -> None:
    study = hq.create_study(study_name="s", storage=settings.storage_url, max_trials=1)
    run_trial_task(settings, "s", "hq_runner_objectives:quadratic", "a")
    result = run_trial_task(settings, "s", "hq_runner_objectives:quadratic", "b")
    assert result["status"] == "cap_reached"
    assert len(study.trials) == 1


def test_a_refused_objective_is_recorded_and_never_imported(
    settings: Settings, tmp_path: Path
) -> None:
    study = hq.create_study(study_name="s", storage=settings.storage_url)
    result = run_trial_task(settings, "s", "hq_runner_forbidden:objective", "t")
    assert result["status"] == "refused"
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "refused" in (trial.fail_reason or "")
    assert "HPO_OBJECTIVE_MODULES" in (trial.fail_reason or "")
    assert not (tmp_path / "imported").exists()


def test_an_objective_error_fails_with_traceback_and_is_retried_only_on_request(
    settings: Settings,
) -> None:
    study = hq.create_study(study_name="s", storage=settings.storage_url)
    result = run_trial_task(settings, "s", "hq_runner_objectives:raises", "once")
    assert result["state"] == "FAIL"
    (trial,) = study.trials
    assert "ValueError: the objective broke" in (trial.fail_reason or "")
    assert "Traceback" in (trial.fail_reason or "")

    run_trial_task(settings, "s", "hq_runner_objectives:raises", "twice", error_retries=1)
    first, retry = study.trials[1:]
    assert first.state == retry.state == TrialState.FAIL
    assert retry.params == first.params
    assert retry.system_attrs["retry_of"] == first.number


def test_a_dead_workers_trial_is_requeued_once_its_lease_runs_out(settings: Settings) -> None:
    study = hq.create_study(
        study_name="s", storage=settings.storage_url, max_trials=1, settings=settings
    )
    storage = study.storage
    # The first delivery claimed a trial, chose x, then its process was killed.
    dead = storage.claim_trial(study.study_id, worker="gone:1", task_key="k").trial
    assert dead is not None
    storage.set_trial_params(dead.trial_id, {"x": 1.5}, {"x": FloatDistribution(-10, 10)})

    # Delivered again while its lease runs: the trial is covered, nothing new is claimed.
    again = run_trial_task(settings, "s", "hq_runner_objectives:quadratic", "k")
    assert again["status"] == "duplicate" and again["running_elsewhere"] is True
    assert len(study.trials) == 1

    time.sleep(study.lease_seconds + 0.2)
    (reaped,) = reap_expired_leases(storage, settings.max_retries, study_id=study.study_id)
    assert reaped.trial.number == 0 and reaped.retry is not None

    result = run_trial_task(settings, "s", "hq_runner_objectives:quadratic", "wake-up")
    assert result["status"] == "finished" and result["state"] == "COMPLETE"
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert "presumed dead" in (trials[0].fail_reason or "")
    assert trials[1].params == {"x": 1.5}
    # The old message once more: its trial was replaced, and the cap is reached.
    assert run_trial_task(settings, "s", "hq_runner_objectives:quadratic", "k")["status"] == (
        "cap_reached"
    )
    assert len(study.trials) == 2


def test_a_trial_reaped_before_its_result_was_written_runs_its_retry(
    settings: Settings,
) -> None:
    study = hq.create_study(study_name="s", storage=settings.storage_url, max_trials=1)

    result = run_trial_task(settings, "s", "hq_runner_objectives:reaped_meanwhile", "k")

    # The late result is dropped (the store keeps FAIL); the task runs the queued retry.
    first, retry = study.trials
    assert first.state == TrialState.FAIL
    assert "presumed dead" in (first.fail_reason or "")
    assert retry.system_attrs["retry_of"] == first.number
    assert retry.params == first.params
    assert result["trial"] == retry.number
    assert result["status"] == "finished"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"study_name": ""}, "must not be empty"),
        ({"objective_ref": "x" * 400}, "at most"),
        ({"task_key": 5}, "task_key"),
        ({"error_retries": 99}, "error_retries"),
    ],
)
def test_task_arguments_are_validated(settings: Settings, kwargs: dict, message: str) -> None:
    args = {"study_name": "s", "objective_ref": "m:f", "task_key": "k", "error_retries": 0}
    args.update(kwargs)
    with pytest.raises(hq.exceptions.InvalidInputError, match=message):
        run_trial_task(
            settings,
            args["study_name"],
            args["objective_ref"],
            args["task_key"],
            error_retries=args["error_retries"],
        )
