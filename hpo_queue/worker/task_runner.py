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
from hpo_queue.execution.task_message import validate_task_arguments
from hpo_queue.logging import get_logger
from hpo_queue.settings import Settings
from hpo_queue.storages import Claim, ClaimStatus, get_storage
from hpo_queue.study import _lifecycle as lifecycle
from hpo_queue.study._heartbeat import LeaseKeeper, heartbeat_for
from hpo_queue.study._lifecycle import reap_expired_leases, was_lost, worker_name
from hpo_queue.study._optimize import lease_renewal_interval, run_trial
from hpo_queue.study._study import Study, load_study
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState
from hpo_queue.trial._trial import Trial

_logger = get_logger("hpo_queue.worker")


_studies: dict[tuple[str, str, int], Study] = {}
_studies_lock = threading.Lock()
_next_reap: dict[int, float] = {}

WakeupSender = Callable[[Study, str, int], None]


def run_trial_task(
    settings: Settings,
    study_name: str,
    objective_ref: str,
    task_key: str,
    *,
    job_id: str | None = None,
    error_retries: int = 0,
    lease_keeper: LeaseKeeper | None = None,
    send_wakeups: WakeupSender | None = None,
) -> dict[str, Any]:
    """Run the trial a wake-up is for; return a small JSON result.

    In order: claim a trial in one transaction (for ``job_id``, only while the job is owed
    one; the cap is checked there too), let the objective ask the sampler for parameters
    against the shared history, run it, write the outcome. If the work is lost (the store
    went away) or failed within the retry policy, the retry is claimed and run here too.

    Args:
        task_key: the message's id, recorded on the trial: a redelivered message finds the
            trial its first delivery claimed.
        lease_keeper: what keeps the running trial's lease renewed: the worker's node agent
            (through this process's running-trials file); None for a heartbeat thread here.
        send_wakeups: ``send_wakeups(study, job_id, n)`` sends wake-ups for a job; called
            when this process is being stopped with a trial re-queued (another worker
            must pick it up).

    Returns:
        ``{"status": ..., "study": ..., ...}`` where status is one of "finished" (with
        "trial", "state", "values"), "nothing_owed", "cap_reached", "exhausted", "refused",
        "duplicate", "cancelled" or "gave_up".
    """
    started = time.perf_counter()
    validate_task_arguments(study_name, objective_ref, task_key, job_id, error_retries)
    if not settings.storage_url:
        raise InvalidInputError("This worker has no storage: set HPO_STORAGE_URL.")
    study = _load_study(settings, study_name)
    base = {"study": study_name, "task_key": task_key}
    if job_id is None:
        _maybe_reap(study, settings)  # no node agent sent this: keep the old safety net
    try:
        objective = resolve_objective(objective_ref, settings.objective_modules)
    except ObjectiveNotAllowedError as exc:
        return {**base, **_record_refusal(study, task_key, job_id, objective_ref, str(exc))}

    heartbeat = lease_keeper or heartbeat_for(study.storage, lease_renewal_interval(study))
    retry_number: int | None = None
    for attempt in range(settings.max_retries + error_retries + 1):
        key = task_key if attempt == 0 else f"{task_key}#{attempt}"
        claim = _claim(study, key, job_id=job_id, waiting_number=retry_number)
        if claim.status in _NOTHING_TO_RUN:
            if claim.status == ClaimStatus.CAP_REACHED:
                _logger.info(
                    "Task %s: study %r is at its cap; nothing to do.",
                    key,
                    study_name,
                    extra={"study": study_name, "worker": worker_name(), "event": "cap_reached"},
                )
            return {**base, "status": claim.status.value, "detail": claim.detail}
        assert claim.trial is not None
        if claim.status == ClaimStatus.DUPLICATE:
            # A redelivered message: its first delivery claimed this trial. A running one is
            # covered by its lease (the node agents re-queue it if its worker is gone).
            if not claim.trial.state.is_finished() or not _should_continue(claim.trial):
                return {
                    **base,
                    **_describe(claim.trial),
                    "status": "duplicate",
                    "running_elsewhere": not claim.trial.state.is_finished(),
                }
            retry_number = claim.trial.system_attrs.get("retried_as")
            continue
        _logger.info(
            "Task %s claimed trial %d of study %r.",
            key,
            claim.trial.number,
            study_name,
            extra={**_log_fields(study_name, claim.trial), "event": "trial_claimed"},
        )
        timer = _ObjectiveTimer(objective)
        try:
            outcome = run_trial(
                study,
                Trial(study, claim.trial),
                timer,
                catch=(Exception,),
                heartbeat=heartbeat,
                failed_trial_max_retries=max(error_retries, study.failed_trial_max_retries),
                interruption_is_lost=True,
            )
        except BaseException:
            # The process is being stopped (SIGTERM, a cold shutdown): the trial was queued
            # again, and another worker must be told.
            if job_id is not None and send_wakeups is not None:
                try:
                    send_wakeups(study, job_id, 1)
                except Exception as exc:
                    _logger.warning("Could not send a wake-up for the re-queued trial: %s", exc)
            raise
        if not _should_continue(outcome):
            return {
                **base,
                **_describe(outcome),
                "status": "finished",
                "elapsed_seconds": time.perf_counter() - started,
                "objective_seconds": timer.seconds,
            }
        # The work of this attempt was lost (the store went away) or failed and was queued
        # again (the retry policy): run that WAITING retry under a key derived from ours.
        retry_number = outcome.system_attrs.get("retried_as")
    return {**base, "status": "gave_up", "detail": "retry limit reached"}


_NOTHING_TO_RUN = (
    ClaimStatus.NOTHING_OWED,
    ClaimStatus.CANCELLED,
    ClaimStatus.CAP_REACHED,
    ClaimStatus.EXHAUSTED,
)


def _load_study(settings: Settings, study_name: str) -> Study:
    """One Study object per (storage, name) and process, so its caches are reused."""
    assert settings.storage_url is not None
    key = (settings.storage_url, study_name, os.getpid())
    with _studies_lock:
        study = _studies.get(key)
    if study is None:
        study = load_study(
            study_name=study_name,
            storage=get_storage(settings.storage_url, pool_size=settings.db_pool_size),
            settings=settings,
        )
        with _studies_lock:
            _studies[key] = study
    return study


def _maybe_reap(study: Study, settings: Settings) -> None:
    now = time.monotonic()
    if now < _next_reap.get(study.study_id, 0.0):
        return
    _next_reap[study.study_id] = now + lease_renewal_interval(study)
    reap_expired_leases(study.storage, settings.max_retries, study_id=study.study_id)


def _claim(
    study: Study,
    key: str,
    system_attrs: dict[str, Any] | None = None,
    *,
    job_id: str | None = None,
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
            job_id=job_id,
        )

    try:
        return claim()
    except IntegrityError:
        # Two deliveries of one message claimed at the same moment; the other one won.
        return claim()


def _should_continue(trial: FrozenTrial) -> bool:
    """True when this task's work was lost (reaped) or failed and was queued again."""
    return was_lost(trial) or "retried_as" in trial.system_attrs


def _record_refusal(
    study: Study, task_key: str, job_id: str | None, objective_ref: str, reason: str
) -> dict[str, Any]:
    """Leave the refusal on a FAIL trial (which frees its slot), without running anything."""
    claim = _claim(
        study, task_key, {"refused_objective": objective_ref}, job_id=job_id, use_waiting=False
    )
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
