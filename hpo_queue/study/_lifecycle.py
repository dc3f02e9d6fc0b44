"""A trial's lifecycle in one place: claim, run the objective, judge the outcome, finish, retry.

``study.optimize``, ``study.ask``/``study.tell``, the worker's trial task and the reaper all
go through these functions, so a trial ends the same way whoever ends it:

- the objective's return value is judged by :func:`outcome_of_result` (NaN, None, a string or
  a number too large for a float is a FAIL that says what was returned);
- an exception is judged by :func:`outcome_of_exception` (pruned, failed, or *lost*: the
  work was interrupted through no fault of the objective, e.g. its worker was stopped or the
  store went away, and it is queued again with the same parameters);
- :func:`finish` applies the study's constraints (a constraints function that raises fails
  the trial), writes the result (riding out a store outage), applies the retry policy and
  logs one line.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import StorageError, TrialPruned
from hpo_queue.logging import get_logger
from hpo_queue.samplers import BaseSampler
from hpo_queue.storages import BaseStorage, Claim, ClaimStatus
from hpo_queue.storages._records import FinishResult
from hpo_queue.storages._validation import utcnow
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.study._study import Study
    from hpo_queue.trial._trial import Trial

_logger = get_logger("hpo_queue.study")

# A lost trial's fail_reason starts with one of these: the work was lost (its worker died or
# was stopped, or the store went away), not failed by its objective.
REAPED_REASON_PREFIX = "Lease expired"
STORE_LOST_REASON_PREFIX = "The store could not be reached during the trial"
INTERRUPTED_REASON_PREFIX = "Interrupted"
STOPPED_REASON_PREFIX = "The worker was stopped during the trial"

# How long a finished trial's result is kept and re-sent while the store is unreachable.
STORE_OUTAGE_PATIENCE = 600.0

Params = tuple[dict[str, Any], dict[str, BaseDistribution]]


def worker_name() -> str:
    """hostname:pid, recorded on the trials a process runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a trial ended, before it is written.

    Attributes:
        state: COMPLETE, PRUNED or FAIL.
        values: the objective values (COMPLETE), the last reported value (PRUNED) or None.
        fail_reason: why a FAIL failed.
        lost: the work was lost, not failed: it is queued again with the same parameters
            (up to the study's max_retries) and does not count against the retry policy.
    """

    state: TrialState
    values: list[float] | None = None
    fail_reason: str | None = None
    lost: bool = False


def was_lost(trial: FrozenTrial) -> bool:
    """True if ``trial`` failed through no fault of its objective (its worker or store)."""
    reason = trial.fail_reason or ""
    return trial.state == TrialState.FAIL and reason.startswith(
        (REAPED_REASON_PREFIX, STORE_LOST_REASON_PREFIX, STOPPED_REASON_PREFIX)
    )


# -- claiming ---------------------------------------------------------------------------------


def claim(
    study: Study,
    *,
    task_key: str | None = None,
    fixed_params: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    use_waiting: bool = True,
    waiting_number: int | None = None,
    job_id: str | None = None,
) -> Claim:
    """Claim a trial in one transaction; the sampler may fix its params (a grid point).

    With ``job_id`` the store creates a trial only while the job is owed one (see
    ``BaseStorage.claim_trial``), which is what makes a job's wake-ups idempotent.
    """
    hook: Callable[[Sequence[FrozenTrial]], dict[str, Any] | None] | None = None
    sampler = study.sampler
    if type(sampler).fixed_params_for_new_trial is not BaseSampler.fixed_params_for_new_trial:
        directions = tuple(study.directions)

        def hook(trials: Sequence[FrozenTrial]) -> dict[str, Any] | None:
            return sampler.fixed_params_for_new_trial(TrialHistory(directions, trials))

    result = study.storage.claim_trial(
        study.study_id,
        worker=worker_name(),
        task_key=task_key,
        fixed_params=fixed_params,
        system_attrs=system_attrs,
        fixed_params_hook=hook,
        use_waiting=use_waiting,
        waiting_number=waiting_number,
        job_id=job_id,
    )
    if (
        result.status == ClaimStatus.CLAIMED
        and result.trial is not None
        and type(sampler).before_trial is not BaseSampler.before_trial
    ):
        sampler.before_trial(study._history(), result.trial)
    return result


# -- judging an outcome -----------------------------------------------------------------------


def check_values(values: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Turn an objective's return value into floats, or say why it cannot be used."""
    if n_objectives == 1 and not isinstance(values, (list, tuple)):
        candidates: list[Any] = [values]
    elif isinstance(values, (list, tuple)):
        candidates = list(values)
        if len(candidates) != n_objectives:
            return None, (
                f"The objective returned {len(candidates)} values but the study has "
                f"{n_objectives} direction(s): {_short_repr(values)}."
            )
    else:
        return None, (
            f"The objective returned {_short_repr(values)}; a study with {n_objectives} "
            "directions needs a tuple of that many numbers."
        )
    result = []
    for value in candidates:
        not_a_number = (
            f"The objective returned {_short_repr(value)} of type {type(value).__name__}, "
            "which is not a number."
        )
        if isinstance(value, (str, bytes)) or value is None or isinstance(value, bool):
            return None, not_a_number
        try:
            number = float(value) if isinstance(value, numbers.Real) else float(value.__float__())
        except OverflowError:
            return None, (
                f"The objective returned {_short_repr(value)}, a number too large for a "
                "float (at most about 1.8e308)."
            )
        except (AttributeError, TypeError, ValueError):
            return None, not_a_number
        if math.isnan(number):
            return None, f"The objective returned NaN ({_short_repr(values)})."
        result.append(number)
    return result, None


def _short_repr(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def outcome_of_result(result: Any, n_objectives: int) -> Outcome:
    """The outcome of an objective that returned ``result``."""
    values, problem = check_values(result, n_objectives)
    if problem is not None:
        return Outcome(TrialState.FAIL, fail_reason=problem)
    return Outcome(TrialState.COMPLETE, values=values)


def is_pruned_exception(exc: BaseException) -> bool:
    """hq.TrialPruned, or Optuna's TrialPruned from an objective written for Optuna."""
    return isinstance(exc, TrialPruned) or any(
        cls.__name__ == "TrialPruned" for cls in type(exc).__mro__
    )


def pruned_values(intermediate: Mapping[int, float]) -> list[float] | None:
    """A pruned trial's value: its last report, unless that was NaN (then none)."""
    if not intermediate:
        return None
    last = intermediate[max(intermediate)]
    return None if math.isnan(last) else [last]


def outcome_of_exception(
    exc: BaseException, intermediate: Mapping[int, float], *, interruption_is_lost: bool
) -> Outcome:
    """The outcome of an objective that raised ``exc``.

    Args:
        interruption_is_lost: True in a worker, where SystemExit or KeyboardInterrupt means
            the worker is being stopped (SIGTERM on shutdown, eviction): the trial is lost
            and re-run. False in ``optimize``, where Ctrl-C means the user wants to stop.
    """
    if is_pruned_exception(exc):
        return Outcome(TrialState.PRUNED, values=pruned_values(intermediate))
    if isinstance(exc, StorageError):
        return Outcome(TrialState.FAIL, fail_reason=f"{STORE_LOST_REASON_PREFIX}: {exc}", lost=True)
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        if interruption_is_lost:
            return Outcome(
                TrialState.FAIL,
                fail_reason=f"{STOPPED_REASON_PREFIX} ({type(exc).__name__}).",
                lost=True,
            )
        return Outcome(
            TrialState.FAIL,
            fail_reason=f"{INTERRUPTED_REASON_PREFIX} ({type(exc).__name__}) while running "
            "the objective.",
        )
    return Outcome(TrialState.FAIL, fail_reason="".join(traceback.format_exception(exc)).strip())


# -- running ----------------------------------------------------------------------------------


def run(
    study: Study,
    trial: Trial,
    objective: Callable[[Trial], Any],
    *,
    catch: tuple[type[BaseException], ...] = (),
    retry_limit: int | None = None,
    interruption_is_lost: bool = False,
    ended_elsewhere: Callable[[], bool] | None = None,
) -> FrozenTrial:
    """Call ``objective(trial)``, finish the trial, and re-raise errors not in ``catch``.

    Whatever happens the trial does not stay RUNNING: an exception (Ctrl-C included) is
    recorded before it propagates. ``retry_limit`` overrides the study's
    failed_trial_max_retries (a submitted job's ``retries``). ``ended_elsewhere`` is asked
    once the objective has returned or raised: True means the trial was ended meanwhile by
    someone else (Ctrl-C in optimize's main thread failed it), so its outcome is dropped:
    nothing is written, logged or raised, and the stored trial is returned.
    """
    try:
        result = objective(trial)
    except BaseException as exc:
        if ended_elsewhere is not None and ended_elsewhere():
            return study.storage.get_trial(study.study_id, trial.number)
        outcome = outcome_of_exception(
            exc, trial.intermediate_values, interruption_is_lost=interruption_is_lost
        )
        try:
            frozen = finish(study, trial, outcome, retry_limit=retry_limit)
        except StorageError:
            if outcome.state == TrialState.PRUNED or isinstance(exc, Exception):
                raise
            frozen = None  # an interruption whose record could not be written: re-raise it
        if outcome.state == TrialState.PRUNED:
            assert frozen is not None
            return frozen
        if isinstance(exc, catch) and isinstance(exc, Exception) and frozen is not None:
            return frozen
        raise
    if ended_elsewhere is not None and ended_elsewhere():
        return study.storage.get_trial(study.study_id, trial.number)
    return finish(
        study, trial, outcome_of_result(result, len(study.directions)), retry_limit=retry_limit
    )


def interrupted_outcome(trial: Trial | FrozenTrial) -> Outcome:
    """The FAIL of a trial stopped by Ctrl-C in ``optimize``, whichever thread ran it."""
    return outcome_of_exception(
        KeyboardInterrupt(), trial.intermediate_values, interruption_is_lost=False
    )


# -- finishing --------------------------------------------------------------------------------


def finish(
    study: Study,
    trial: Trial | FrozenTrial,
    outcome: Outcome,
    *,
    retry_limit: int | None = None,
    patience: float = STORE_OUTAGE_PATIENCE,
) -> FrozenTrial:
    """Write ``outcome`` for a RUNNING trial, apply the retry policy, log it; the stored trial.

    While the store is unreachable the write is retried for ``patience`` seconds, then
    StorageError is raised.

    A COMPLETE trial is first checked by the study's constraints function, unless the trial
    set its constraints itself; a constraints function that raises makes it a FAIL. If the
    trial was no longer RUNNING (the reaper declared it dead during a long pause) nothing is
    written and the stored trial is returned.
    """
    from hpo_queue.trial._trial import Trial

    if isinstance(trial, Trial):
        snapshot = trial._snapshot()
        pending = trial._take_unwritten_params()
    else:
        snapshot, pending = trial, None
    constraints = snapshot.system_attrs.get("constraints")
    if outcome.state == TrialState.COMPLETE and constraints is None:
        try:
            constraints = study._evaluate_constraints(
                dataclasses.replace(snapshot, values=outcome.values)
            )
        except Exception as exc:
            outcome = Outcome(TrialState.FAIL, fail_reason=f"constraints_func failed: {exc!r}")
    sampler = study.sampler
    if type(sampler).after_trial is not BaseSampler.after_trial:
        # As in Optuna: before the result is written, with the state and values it will have.
        sampler.after_trial(study._history(), snapshot, outcome.state, outcome.values)
    if outcome.lost:
        limit = lost_trial_retry_limit(study.storage, study.settings.max_retries)
    elif outcome.state == TrialState.FAIL and not (outcome.fail_reason or "").startswith(
        INTERRUPTED_REASON_PREFIX
    ):
        limit = study.failed_trial_max_retries if retry_limit is None else retry_limit
    else:
        limit = 0
    result = _write_patiently(study, snapshot, outcome, constraints, pending, limit, patience)
    if not result:
        _logger.warning(
            "Trial %d had already been marked finished (its lease expired); "
            "this result is not recorded.",
            snapshot.number,
        )
        return study.storage.get_trial(study.study_id, snapshot.number)
    params, distributions = pending if pending is not None else (None, None)
    system_attrs = dict(snapshot.system_attrs)
    if result.retry is not None:
        system_attrs["retried_as"] = result.retry.number
    frozen = dataclasses.replace(
        snapshot,
        state=outcome.state,
        values=outcome.values,
        fail_reason=outcome.fail_reason,
        constraints=constraints,
        datetime_complete=utcnow(),
        params=params if params is not None else snapshot.params,
        distributions=distributions if distributions is not None else snapshot.distributions,
        system_attrs=system_attrs,
        lease_expires_at=None,
    )
    _log_finished(study, frozen, result.retry)
    return frozen


def _write_patiently(
    study: Study,
    snapshot: FrozenTrial,
    outcome: Outcome,
    constraints: Sequence[float] | None,
    pending: Params | None,
    retry_limit: int,
    patience: float,
) -> FinishResult:
    """finish_trial, retried while the store is unreachable: a finished result is not lost.

    The write is check-and-set on RUNNING, so a write that did land before a lost reply is
    not applied twice (the retry then finds the trial finished: by us, so it reports True).
    """
    deadline = time.monotonic() + patience
    delay = 0.5
    warned = False
    while True:
        try:
            changed = study.storage.finish_trial(
                study.study_id,
                snapshot.trial_id,
                outcome.state,
                outcome.values,
                fail_reason=outcome.fail_reason,
                constraints=constraints,
                params=pending,
                retry_limit=retry_limit,
            )
        except StorageError as exc:
            if time.monotonic() + delay > deadline:
                raise
            if not warned:
                _logger.warning(
                    "Trial %d finished but the store is unreachable (%s); keeping its result "
                    "and retrying for up to %.0f s.",
                    snapshot.number,
                    exc,
                    patience,
                )
                warned = True
            time.sleep(delay)
            delay = min(delay * 2, 2.0)  # land the result soon after the store is back
            continue
        if changed or not warned:
            return changed
        # A retried write may have landed the first time: ours if the stored result matches.
        stored = study.storage.get_trial(study.study_id, snapshot.number)
        if stored.state == outcome.state and stored.fail_reason == outcome.fail_reason:
            retry_number = stored.system_attrs.get("retried_as")
            retry = (
                None
                if retry_number is None
                else study.storage.get_trial(study.study_id, int(retry_number))
            )
            return FinishResult(True, retry)
        return changed


def lost_trial_retry_limit(storage: BaseStorage, max_retries: int) -> int:
    """How often a lost trial is re-run: the storage's RetryFailedTrialCallback, else the
    settings' ``max_retries``."""
    override = storage.lost_trial_max_retries
    return max_retries if override is None else override


@dataclasses.dataclass(frozen=True)
class Reaped:
    """A trial the reaper failed as lost (as it was when found), and its WAITING retry."""

    trial: FrozenTrial
    retry: FrozenTrial | None


def reap_expired_leases(
    storage: BaseStorage,
    max_retries: int,
    study_id: int | None = None,
) -> list[Reaped]:
    """FAIL every RUNNING trial whose lease expired and queue its parameters again.

    The lease is judged on the store's clock, so every node agrees on which trials are lost.
    Safe to call from many processes at once: a trial is failed, and its retry queued (in
    the same transaction), by exactly one of them. Returns one result per trial this call
    moved to FAIL, with its WAITING retry (None: retried enough already, or the study is at
    its cap).
    """
    max_retries = lost_trial_retry_limit(storage, max_retries)
    reaped = []
    names: dict[int, str] = {}
    for trial in storage.find_expired_leases(study_id):
        owner = study_id if study_id is not None else storage.study_id_of_trial(trial.trial_id)
        reason = (
            f"{REAPED_REASON_PREFIX}: no heartbeat for {trial_lease(storage, owner, names):g} s "
            f"from worker {trial.worker or 'unknown'}; presumed dead."
        )
        result = storage.finish_trial(
            owner, trial.trial_id, TrialState.FAIL, fail_reason=reason, retry_limit=max_retries
        )
        if not result:
            continue  # finished meanwhile, or another reaper got there first
        retry = result.retry
        reaped.append(Reaped(trial, retry))
        _logger.warning(
            "Trial %d failed: %s %s",
            trial.number,
            reason,
            f"Its parameters are queued again as trial {retry.number}."
            if retry is not None
            else "It is not queued again (retried enough already, or the study is at its cap).",
            extra={
                "study": names[owner],
                "trial": trial.number,
                "state": TrialState.FAIL.name,
                "worker": trial.worker,
                "event": "trial_reaped",
            },
        )
    return reaped


def trial_lease(storage: BaseStorage, study_id: int, names: dict[int, str]) -> float:
    """The study's lease in seconds; fills ``names`` with its name on the way (one read)."""
    record = storage.get_study_by_id(study_id)
    names[study_id] = record.study_name
    return record.lease_seconds


# -- logging ----------------------------------------------------------------------------------


def _extra(study: Study, frozen: FrozenTrial) -> dict[str, Any]:
    return {
        "study": study.study_name,
        "trial": frozen.number,
        "state": frozen.state.name,
        "worker": frozen.worker,
        "event": "trial_finished",
    }


def _log_finished(study: Study, frozen: FrozenTrial, retry: FrozenTrial | None) -> None:
    extra = _extra(study, frozen)
    if frozen.state == TrialState.PRUNED:
        _logger.info("Trial %d pruned. ", frozen.number, extra=extra)
    elif frozen.state == TrialState.FAIL:
        # The last line of a traceback is the exception itself: the log line stays one line.
        reason = (frozen.fail_reason or "").strip().splitlines() or [""]
        _logger.warning(
            "Trial %d failed with parameters: %s because of the following error: %s",
            frozen.number,
            dict(frozen.params),
            reason[-1],
            extra=extra,
        )
    else:
        _log_complete(study, frozen, extra)
    if retry is not None:
        _logger.info("Trial %d will be retried as trial %d.", frozen.number, retry.number)


def _log_complete(study: Study, frozen: FrozenTrial, extra: dict[str, Any]) -> None:
    extra = {**extra, "value": list(frozen.values or [])}
    values = list(frozen.values or [])
    params = dict(frozen.params)
    if len(study.directions) > 1:
        _logger.info(
            "Trial %d finished with values: %s and parameters: %s.",
            frozen.number,
            values,
            params,
            extra=extra,
        )
        return
    direction = study.directions[0]
    logged = study._best_logged
    # Under the lock, and logged there: threads finish trials out of order, and a line must
    # not name a worse best than the line before it.
    with logged.lock:
        # The cache as of this trial's start, the best named so far, and this trial: no
        # extra query per trial.
        best = study.storage.cached_best_trial(study.study_id, direction)
        for candidate in (logged.trial, frozen if frozen.is_feasible() else None):
            if _is_better(direction, candidate, best):
                best = candidate
        if best is None or not best.values:
            _logger.info(
                "Trial %d finished with value: %s and parameters: %s.",
                frozen.number,
                values[0],
                params,
                extra=extra,
            )
            return
        logged.trial = best
        _logger.info(
            "Trial %d finished with value: %s and parameters: %s. Best is trial %d with value: %s.",
            frozen.number,
            values[0],
            params,
            best.number,
            best.values[0],
            extra=extra,
        )


def _is_better(
    direction: StudyDirection, candidate: FrozenTrial | None, best: FrozenTrial | None
) -> bool:
    if candidate is None or not candidate.values:
        return False
    return (
        best is None or not best.values or direction.is_better(candidate.values[0], best.values[0])
    )


class BestLogged:
    """The best trial a Study object has named in a "Best is trial N" line, under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.trial: FrozenTrial | None = None
