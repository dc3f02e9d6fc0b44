"""Trials lost to the infrastructure (a dead process, an unreachable store): FAIL and re-run."""

from __future__ import annotations

import logging

from hpo_queue.storages import BaseStorage
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

_logger = logging.getLogger("hpo_queue.reaper")

# A lost trial's fail_reason starts with one of these: how a redelivered task tells that its
# first delivery's work was lost (rather than its objective failing).
REAPED_REASON_PREFIX = "No heartbeat for"
STORE_LOST_REASON_PREFIX = "The store could not be reached during the trial"


def was_lost(trial: FrozenTrial) -> bool:
    """True if ``trial`` failed through no fault of its objective (its worker or store)."""
    reason = trial.fail_reason or ""
    return trial.state == TrialState.FAIL and reason.startswith(
        (REAPED_REASON_PREFIX, STORE_LOST_REASON_PREFIX)
    )


def requeue_lost_trial(
    storage: BaseStorage, study_id: int, trial: FrozenTrial, max_retries: int
) -> FrozenTrial | None:
    """Queue a lost trial's parameters again (WAITING), unless retried ``max_retries`` times.

    Returns the WAITING retry, or None (retried enough already, or the study is at its cap).
    """
    retries = int(trial.system_attrs.get("retry_count", 0))
    if retries >= max_retries:
        return None
    params = dict(trial.system_attrs.get("fixed_params") or {}) | trial.params
    return storage.enqueue_trial(
        study_id,
        params,
        dict(trial.user_attrs),
        system_attrs={"retry_of": trial.number, "retry_count": retries + 1},
    )


def reap_stale_trials(
    storage: BaseStorage,
    grace_seconds: float,
    max_retries: int,
    study_id: int | None = None,
) -> list[FrozenTrial]:
    """FAIL every RUNNING trial silent for ``grace_seconds``; re-enqueue its parameters.

    Each stale trial is re-run (as a WAITING trial with the same parameters) until it has
    been retried ``max_retries`` times. Safe to call from many processes at once: a trial
    is failed, and its retry queued, by exactly one of them.

    Returns:
        The trials this call moved to FAIL.
    """
    reaped = []
    for trial in storage.find_stale_trials(grace_seconds, study_id):
        owner_study = (
            study_id if study_id is not None else storage.study_id_of_trial(trial.trial_id)
        )
        reason = (
            f"{REAPED_REASON_PREFIX} {grace_seconds:g} s from worker {trial.worker or 'unknown'}; "
            "presumed dead."
        )
        if not storage.finish_trial(
            owner_study, trial.trial_id, TrialState.FAIL, fail_reason=reason
        ):
            continue  # finished meanwhile, or another reaper got there first
        reaped.append(trial)
        extra = {
            "study": storage.get_study_by_id(owner_study).study_name,
            "trial": trial.number,
            "state": TrialState.FAIL.name,
            "worker": trial.worker,
            "event": "trial_reaped",
        }
        retry = requeue_lost_trial(storage, owner_study, trial, max_retries)
        _logger.warning(
            "Trial %d failed: %s %s",
            trial.number,
            reason,
            f"Its parameters are queued again as trial {retry.number}."
            if retry is not None
            else "It is not queued again (retried enough already, or the study is at its cap).",
            extra=extra,
        )
    return reaped
