"""Reaping trials whose process died: FAIL them and queue their work again."""

from __future__ import annotations

import logging

from hpo_queue.storages import RDBStorage
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

_logger = logging.getLogger("hpo_queue.reaper")

# Every reaped trial's fail_reason starts with this: how a redelivered task tells that its
# first delivery's worker died (rather than its objective failing).
REAPED_REASON_PREFIX = "No heartbeat for"


def was_reaped(trial: FrozenTrial) -> bool:
    """True if ``trial`` was failed by a reaper because its process stopped beating."""
    return trial.state == TrialState.FAIL and (trial.fail_reason or "").startswith(
        REAPED_REASON_PREFIX
    )


def reap_stale_trials(
    storage: RDBStorage,
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
        retries = int(trial.system_attrs.get("retry_count", 0))
        if retries >= max_retries:
            _logger.warning(
                "Trial %d failed: %s Not retried: it was retried %d times already.",
                trial.number,
                reason,
                retries,
                extra=extra,
            )
            continue
        params = dict(trial.system_attrs.get("fixed_params") or {}) | trial.params
        retry = storage.enqueue_trial(
            owner_study,
            params,
            dict(trial.user_attrs),
            system_attrs={"retry_of": trial.number, "retry_count": retries + 1},
        )
        _logger.warning(
            "Trial %d failed: %s %s",
            trial.number,
            reason,
            f"Its parameters are queued again as trial {retry.number}."
            if retry is not None
            else "The study is at its cap, so it is not queued again.",
            extra=extra,
        )
    return reaped
