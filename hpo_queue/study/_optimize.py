"""The optimize loop, and run_trial: the one way a claimed trial is run and finished.

run_trial is shared by ``study.optimize`` and the Celery trial task, so both record
results, failures, pruning and interruptions the same way.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hpo_queue.exceptions import (
    InvalidInputError,
    SearchSpaceExhausted,
    StorageError,
    TrialCapReached,
    TrialPruned,
)
from hpo_queue.logging import get_logger
from hpo_queue.storages._validation import utcnow
from hpo_queue.study._heartbeat import Heartbeat, heartbeat_for
from hpo_queue.study._reaper import (
    STORE_LOST_REASON_PREFIX,
    reap_stale_trials,
    requeue_lost_trial,
)
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState
from hpo_queue.trial._trial import Trial

if TYPE_CHECKING:
    from hpo_queue.study._study import Study

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]

_logger = get_logger("hpo_queue.study")


def is_pruned_exception(exc: BaseException) -> bool:
    """hq.TrialPruned, or Optuna's TrialPruned from an objective written for Optuna."""
    return isinstance(exc, TrialPruned) or any(
        cls.__name__ == "TrialPruned" for cls in type(exc).__mro__
    )


def run_trial(
    study: Study,
    trial: Trial,
    objective: Objective,
    catch: tuple[type[BaseException], ...] = (),
    heartbeat: Heartbeat | None = None,
    failed_trial_max_retries: int | None = None,
) -> FrozenTrial:
    """Call ``objective(trial)`` and write the outcome; re-raise errors not in ``catch``.

    Whatever happens, the trial does not stay RUNNING: an exception (Ctrl-C included)
    marks it FAIL with the traceback stored, before it propagates. A failed trial is queued
    again with the same parameters (as a WAITING trial) while the retry policy allows:
    ``failed_trial_max_retries``, or the study's own policy when None. The returned trial
    then carries ``system_attrs["retried_as"]``, the number of that WAITING trial.
    """
    retry_limit = (
        study.failed_trial_max_retries
        if failed_trial_max_retries is None
        else failed_trial_max_retries
    )
    if heartbeat is not None:
        heartbeat.add(trial._trial_id)
    try:
        try:
            result = objective(trial)
        except BaseException as exc:
            if is_pruned_exception(exc):
                values = _last_intermediate(trial)
                frozen = _finish(study, trial, TrialState.PRUNED, values, None, retry_limit)
                _logger.info(
                    "Trial %d pruned. %s",
                    trial.number,
                    str(exc),
                    extra=_extra(study, frozen),
                )
                return frozen
            if isinstance(exc, StorageError):
                _record_store_loss(study, trial, exc)
                raise
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                reason = f"Interrupted ({type(exc).__name__}) while running the objective."
            else:
                reason = "".join(traceback.format_exception(exc)).strip()
            frozen = _finish(study, trial, TrialState.FAIL, None, reason, retry_limit)
            _logger.warning(
                "Trial %d failed with parameters: %s because of the following error: %r.",
                trial.number,
                trial.params,
                exc,
                extra=_extra(study, frozen),
            )
            if isinstance(exc, catch) and isinstance(exc, Exception):
                return frozen
            raise
        from hpo_queue.study._study import check_values

        values, problem = check_values(result, len(study.directions))
        if problem is not None:
            frozen = _finish(study, trial, TrialState.FAIL, None, problem, retry_limit)
            _logger.warning(
                "Trial %d failed with parameters: %s because of the following error: %s",
                trial.number,
                trial.params,
                problem,
                extra=_extra(study, frozen),
            )
            return frozen
        frozen = _finish(study, trial, TrialState.COMPLETE, values, None, retry_limit)
        if frozen.state == TrialState.COMPLETE:  # else the reaper failed it first
            _log_complete(study, frozen)
        return frozen
    finally:
        if heartbeat is not None:
            heartbeat.remove(trial._trial_id)


def _record_store_loss(study: Study, trial: Trial, exc: StorageError) -> None:
    """The objective's own calls to the store failed: not the objective's fault.

    FAIL the trial and queue its parameters again, as the reaper does for a dead worker, if
    the store is back; if it is not, the trial stays RUNNING and the reaper handles it.
    """
    reason = f"{STORE_LOST_REASON_PREFIX}: {exc}"
    try:
        changed = study._finish(
            trial._trial_id, TrialState.FAIL, None, reason, None, trial._take_unwritten_params()
        )
        if changed:
            requeue_lost_trial(
                study._storage, study.study_id, trial._snapshot(), study.settings.max_retries
            )
    except StorageError:
        pass
    _logger.warning("Trial %d lost its store: %s", trial.number, exc)


def _last_intermediate(trial: Trial) -> list[float] | None:
    values = trial._intermediate
    if not values:
        return None
    last = values[max(values)]
    return None if math.isnan(last) else [last]


def _finish(
    study: Study,
    trial: Trial,
    state: TrialState,
    values: list[float] | None,
    reason: str | None,
    retry_limit: int,
) -> FrozenTrial:
    constraints = trial._system_attrs.get("constraints")
    frozen = trial._snapshot()
    if constraints is None and state == TrialState.COMPLETE:
        try:
            constraints = study._evaluate_constraints(dataclasses.replace(frozen, values=values))
        except Exception as exc:
            state, values, reason = TrialState.FAIL, None, f"constraints_func failed: {exc!r}"
    changed = study._finish(
        trial._trial_id, state, values, reason, constraints, trial._take_unwritten_params()
    )
    if not changed:
        # The reaper declared us dead while we ran (a long pause); the store keeps FAIL.
        _logger.warning(
            "Trial %d had already been marked finished (its heartbeat lapsed); "
            "this result is not recorded.",
            trial.number,
        )
        return study._storage.get_trial(study.study_id, trial.number)
    frozen = dataclasses.replace(
        frozen,
        state=state,
        values=values,
        fail_reason=reason,
        constraints=constraints,
        datetime_complete=utcnow(),
    )
    if state == TrialState.FAIL and reason is not None and not reason.startswith("Interrupted"):
        retry = study._retry_failed(frozen, retry_limit)
        if retry is not None:
            frozen = dataclasses.replace(
                frozen, system_attrs={**frozen.system_attrs, "retried_as": retry.number}
            )
            _logger.info("Trial %d will be retried as trial %d.", frozen.number, retry.number)
    return frozen


def _extra(study: Study, frozen: FrozenTrial) -> dict[str, Any]:
    return {
        "study": study.study_name,
        "trial": frozen.number,
        "state": frozen.state.name,
        "worker": frozen.worker,
        "event": "trial_finished",
    }


def _log_complete(study: Study, frozen: FrozenTrial) -> None:
    extra = {**_extra(study, frozen), "value": frozen.values}
    if len(study.directions) > 1:
        _logger.info(
            "Trial %d finished with values: %s and parameters: %s.",
            frozen.number,
            frozen.values,
            frozen.params,
            extra=extra,
        )
        return
    assert frozen.values is not None
    # The cache as of this trial's start, plus this trial: no extra query per trial.
    best = study._storage.cached_best_trial(study.study_id, study.direction)
    if frozen.is_feasible() and (
        best is None
        or best.values is None
        or study.direction.is_better(frozen.values[0], best.values[0])
    ):
        best = frozen
    if best is None:
        _logger.info(
            "Trial %d finished with value: %s and parameters: %s.",
            frozen.number,
            frozen.values[0],
            frozen.params,
            extra=extra,
        )
        return
    _logger.info(
        "Trial %d finished with value: %s and parameters: %s. Best is trial %d with value: %s.",
        frozen.number,
        frozen.values[0],
        frozen.params,
        best.number,
        best.value,
        extra=extra,
    )


def _normalize_catch(
    catch: Iterable[type[Exception]] | type[Exception],
) -> tuple[type[BaseException], ...]:
    if isinstance(catch, type):
        catch = (catch,)
    result = tuple(catch)
    for item in result:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise InvalidInputError(f"catch must hold exception classes, got {item!r}.")
    return result


def optimize(
    study: Study,
    objective: Objective,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Iterable[Callback] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
) -> None:
    """The loop behind Study.optimize; see its docstring."""
    if not callable(objective):
        raise InvalidInputError(f"objective must be callable, got {objective!r}.")
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
    ):
        raise InvalidInputError(f"n_trials must be a non-negative integer, got {n_trials!r}.")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise InvalidInputError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise InvalidInputError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}.")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    catch_types = _normalize_catch(catch)
    callback_list = list(callbacks or [])
    settings = study.settings
    # A store held in this process has no other process to lose a trial to: a trial whose
    # thread raises is failed by run_trial itself. So no heartbeats and no reaping there.
    in_memory = study._storage.is_in_memory
    heartbeat = None if in_memory else heartbeat_for(study._storage, settings.heartbeat_interval)
    deadline = None if timeout is None else time.monotonic() + timeout
    state = _LoopState(n_trials)
    study._stop_requested = False
    progress = _Progress(n_trials, timeout) if show_progress_bar else None

    def loop() -> None:
        while state.take_slot() and not study._stop_requested:
            if deadline is not None and time.monotonic() >= deadline:
                return
            if not in_memory:
                state.maybe_reap(study)
            try:
                trial = study._claim()
            except TrialCapReached as exc:
                _logger.info("%s Stopping.", exc)
                study._stop_requested = True
                return
            except SearchSpaceExhausted as exc:
                _logger.info("%s Stopping.", exc)
                study._stop_requested = True
                return
            frozen = run_trial(study, trial, objective, catch_types, heartbeat)
            for callback in callback_list:
                callback(study, frozen)
            if progress is not None:
                progress.advance(study)
            if gc_after_trial:
                gc.collect()

    try:
        if n_jobs == 1:
            loop()
        else:
            _run_threads(loop, n_jobs)
    finally:
        if progress is not None:
            progress.close()


class _LoopState:
    """Trial budget of one optimize call, shared by its threads, and the reaper's clock."""

    def __init__(self, n_trials: int | None) -> None:
        self._remaining = n_trials
        self._lock = threading.Lock()
        self._next_reap = 0.0

    def take_slot(self) -> bool:
        with self._lock:
            if self._remaining is None:
                return True
            if self._remaining <= 0:
                return False
            self._remaining -= 1
            return True

    def maybe_reap(self, study: Study) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next_reap:
                return
            self._next_reap = now + study.settings.heartbeat_interval
        reap_stale_trials(
            study._storage,
            study.settings.heartbeat_grace,
            study.settings.max_retries,
            study_id=study.study_id,
        )


def _run_threads(loop: Callable[[], None], n_jobs: int) -> None:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            loop()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, name=f"hpo-queue-job-{i}") for i in range(n_jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


class _Progress:
    """A one-line progress display on stderr."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self._total = n_trials
        self._done = 0
        self._start = time.monotonic()
        self._timeout = timeout

    def advance(self, study: Study) -> None:
        self._done += 1
        total = f"/{self._total}" if self._total is not None else ""
        try:
            best = f", best value {study.best_value:.6g}"
        except Exception:
            best = ""
        elapsed = time.monotonic() - self._start
        sys.stderr.write(f"\r{self._done}{total} trials, {elapsed:.1f} s{best}   ")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
