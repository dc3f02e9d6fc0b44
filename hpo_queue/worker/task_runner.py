"""The body of one trial task, free of Celery: claim, sample, run the objective, write.

``run_trial_task`` is what a Celery worker calls for each message. It is idempotent per
``task_key`` (the Celery task id): a redelivered message finds the trial its first
delivery claimed and never writes a second result for the same work.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from hpo_queue.exceptions import InvalidInputError, ObjectiveNotAllowedError
from hpo_queue.execution.objectives import resolve_objective
from hpo_queue.execution.task_message import CANCELLED_JOB_ATTR, validate_task_arguments
from hpo_queue.logging import get_logger
from hpo_queue.settings import Settings
from hpo_queue.storages import Claim, ClaimStatus, get_storage
from hpo_queue.study import _lifecycle as lifecycle
from hpo_queue.study._heartbeat import heartbeat_for
from hpo_queue.study._lifecycle import reap_stale_trials, was_lost, worker_name
from hpo_queue.study._optimize import run_trial
from hpo_queue.study._study import Study, load_study
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState
from hpo_queue.trial._trial import Trial

_logger = get_logger("hpo_queue.worker")


_studies: dict[tuple[str, str, int], Study] = {}
_studies_lock = threading.Lock()
_next_reap: dict[int, float] = {}
# Cancelling is also a Celery revoke; this re-check of the store only catches stragglers.
CANCEL_CHECK_SECONDS = 1.0
_cancel_marks: dict[int, tuple[float, frozenset[str]]] = {}


def run_trial_task(
    settings: Settings,
    study_name: str,
    objective_ref: str,
    task_key: str,
    *,
    job_id: str | None = None,
    error_retries: int = 0,
) -> dict[str, Any]:
    """Run one trial of ``study_name`` for the task ``task_key``; return a small JSON result.

    In order: claim a trial in one transaction (the cap is checked there), let the objective
    ask the sampler for parameters against the shared history, run it, write the outcome.

    Returns:
        ``{"status": ..., "study": ..., ...}`` where status is one of "finished" (with
        "trial", "state", "values"), "cap_reached", "exhausted", "refused", "duplicate",
        "cancelled" or "gave_up".
    """
    started = time.perf_counter()
    validate_task_arguments(study_name, objective_ref, task_key, job_id, error_retries)
    if not settings.storage_url:
        raise InvalidInputError("This worker has no storage: set HPO_STORAGE_URL.")
    study = _load_study(settings, study_name)
    base = {"study": study_name, "task_key": task_key}
    if job_id is not None and _is_cancelled(study, job_id):
        return {**base, "status": "cancelled"}
    _maybe_reap(study, settings)
    try:
        objective = resolve_objective(objective_ref, settings.objective_modules)
    except ObjectiveNotAllowedError as exc:
        return {**base, **_record_refusal(study, task_key, objective_ref, str(exc))}

    heartbeat = heartbeat_for(study.storage, settings.heartbeat_interval)
    retry_number: int | None = None
    for attempt in range(settings.max_retries + error_retries + 1):
        key = task_key if attempt == 0 else f"{task_key}#{attempt}"
        claim = _claim(study, key, waiting_number=retry_number)
        if claim.status == ClaimStatus.CAP_REACHED:
            _logger.info(
                "Task %s: study %r is at its cap; nothing to do.",
                key,
                study_name,
                extra={"study": study_name, "worker": worker_name(), "event": "cap_reached"},
            )
            return {**base, "status": "cap_reached", "detail": claim.detail}
        if claim.status == ClaimStatus.EXHAUSTED:
            return {**base, "status": "exhausted", "detail": claim.detail}
        assert claim.trial is not None
        if claim.status == ClaimStatus.DUPLICATE:
            outcome = _await_outcome(study, claim.trial, settings)
            if outcome is None:
                return {
                    **base,
                    **_describe(claim.trial),
                    "status": "duplicate",
                    "running_elsewhere": True,
                }
        else:
            _logger.info(
                "Task %s claimed trial %d of study %r.",
                key,
                claim.trial.number,
                study_name,
                extra={**_log_fields(study_name, claim.trial), "event": "trial_claimed"},
            )
            timer = _ObjectiveTimer(objective)
            outcome = run_trial(
                study,
                Trial(study, claim.trial),
                timer,
                catch=(Exception,),
                heartbeat=heartbeat,
                failed_trial_max_retries=max(error_retries, study.failed_trial_max_retries),
            )
            if not _should_continue(outcome):
                return {
                    **base,
                    **_describe(outcome),
                    "status": "finished",
                    "elapsed_seconds": time.perf_counter() - started,
                    "objective_seconds": timer.seconds,
                }
        if not _should_continue(outcome):
            return {**base, **_describe(outcome), "status": "duplicate"}
        # The work of this attempt was lost (its worker died) or failed and was queued again
        # (the retry policy): run that WAITING retry under a key derived from the task's.
        retry_number = outcome.system_attrs.get("retried_as")
    return {**base, "status": "gave_up", "detail": "retry limit reached"}


def _load_study(settings: Settings, study_name: str) -> Study:
    """One Study object per (storage, name) and process, so its caches are reused."""
    assert settings.storage_url is not None
    key = (settings.storage_url, study_name, os.getpid())
    with _studies_lock:
        study = _studies.get(key)
    if study is None:
        study = load_study(
            study_name=study_name, storage=get_storage(settings.storage_url), settings=settings
        )
        with _studies_lock:
            _studies[key] = study
    return study


def _is_cancelled(study: Study, job_id: str) -> bool:
    """Whether job_id was cancelled; the study's marks are re-read at most once a second."""
    now = time.monotonic()
    cached = _cancel_marks.get(study.study_id)
    if cached is None or now - cached[0] > CANCEL_CHECK_SECONDS:
        attrs = study.storage.get_study_attrs(study.study_id, "system")
        marks = {k for k, v in attrs.items() if k.startswith(CANCELLED_JOB_ATTR) and v}
        cached = _cancel_marks[study.study_id] = (now, frozenset(marks))
    return CANCELLED_JOB_ATTR + job_id in cached[1]


def _maybe_reap(study: Study, settings: Settings) -> None:
    now = time.monotonic()
    if now < _next_reap.get(study.study_id, 0.0):
        return
    _next_reap[study.study_id] = now + settings.heartbeat_interval
    reap_stale_trials(
        study.storage, settings.heartbeat_grace, settings.max_retries, study_id=study.study_id
    )


def _claim(
    study: Study,
    key: str,
    system_attrs: dict[str, Any] | None = None,
    *,
    use_waiting: bool = True,
    waiting_number: int | None = None,
) -> Claim:
    """lifecycle.claim, keeping ClaimStatus (DUPLICATE matters to a redelivered task)."""

    def claim() -> Claim:
        return lifecycle.claim(
            study,
            task_key=key,
            system_attrs=system_attrs,
            use_waiting=use_waiting,
            waiting_number=waiting_number,
        )

    try:
        return claim()
    except IntegrityError:
        # Two deliveries of one message claimed at the same moment; the other one won.
        return claim()


def _await_outcome(study: Study, trial: FrozenTrial, settings: Settings) -> FrozenTrial | None:
    """The finished trial a previous delivery of this task claimed, or None if it still runs.

    A redelivered message arrives while its trial may still look alive. Watching it for a
    heartbeat grace period (and reaping meanwhile) tells a dead worker from a live one.
    """
    deadline = time.monotonic() + settings.heartbeat_grace + 2 * settings.heartbeat_interval
    current = trial
    while not current.state.is_finished():
        if current.state == TrialState.WAITING or time.monotonic() >= deadline:
            return None
        time.sleep(min(settings.heartbeat_interval, 1.0) / 2)
        reap_stale_trials(
            study.storage, settings.heartbeat_grace, settings.max_retries, study_id=study.study_id
        )
        current = study.storage.get_trial(study.study_id, trial.number)
    return current


def _should_continue(trial: FrozenTrial) -> bool:
    """True when this task's work was lost (reaped) or failed and was queued again."""
    return was_lost(trial) or "retried_as" in trial.system_attrs


def _record_refusal(study: Study, task_key: str, objective_ref: str, reason: str) -> dict[str, Any]:
    """Leave the refusal on a FAIL trial (which frees its slot), without running anything."""
    claim = _claim(study, task_key, {"refused_objective": objective_ref}, use_waiting=False)
    result: dict[str, Any] = {"status": "refused", "detail": reason}
    extra: dict[str, Any] = {"study": study.study_name, "worker": worker_name()}
    if claim.status == ClaimStatus.CLAIMED:
        assert claim.trial is not None
        study.storage.finish_trial(
            study.study_id, claim.trial.trial_id, TrialState.FAIL, fail_reason=reason
        )
        result["trial"] = claim.trial.number
        extra.update(trial=claim.trial.number, state=TrialState.FAIL.name)
    elif claim.status == ClaimStatus.DUPLICATE and claim.trial is not None:
        result["trial"] = claim.trial.number
        extra.update(trial=claim.trial.number, state=claim.trial.state.name)
    _logger.warning("Task %s: %s", task_key, reason, extra={**extra, "event": "trial_refused"})
    return result


def _log_fields(study_name: str, trial: FrozenTrial) -> dict[str, Any]:
    """The fields JsonFormatter writes for a record about ``trial``."""
    return {
        "study": study_name,
        "trial": trial.number,
        "state": trial.state.name,
        "worker": trial.worker,
    }


def _describe(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "trial": trial.number,
        "state": trial.state.name,
        "values": trial.values,
        "worker": trial.worker,
    }


class _ObjectiveTimer:
    """Calls the objective and keeps how long it took, for the overhead figures."""

    def __init__(self, objective: Callable[[Trial], Any]) -> None:
        self._objective = objective
        self.seconds = 0.0

    def __call__(self, trial: Trial) -> Any:
        start = time.perf_counter()
        try:
            return self._objective(trial)
        finally:
            self.seconds = time.perf_counter() - start
