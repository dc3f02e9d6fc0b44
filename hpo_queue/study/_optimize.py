"""The optimize loop: claim, run and finish trials in this process until a limit is reached.

Each trial goes through :mod:`hpo_queue.study._lifecycle`, as the worker's trial task does.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hpo_queue.exceptions import (
    InvalidInputError,
    SearchSpaceExhausted,
    TrialCapReached,
)
from hpo_queue.logging import get_logger
from hpo_queue.study import _lifecycle as lifecycle
from hpo_queue.study._heartbeat import LeaseKeeper, heartbeat_for
from hpo_queue.study._threads import RunningTrials, run_threads
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._trial import Trial

if TYPE_CHECKING:
    from hpo_queue.study._study import Study

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]

_logger = get_logger("hpo_queue.study")
# Seconds a trial stopped by Ctrl-C waits for an unreachable store to take its FAIL.
INTERRUPT_STORE_PATIENCE = 2.0


def run_trial(
    study: Study,
    trial: Trial,
    objective: Objective,
    catch: tuple[type[BaseException], ...] = (),
    heartbeat: LeaseKeeper | None = None,
    failed_trial_max_retries: int | None = None,
    interruption_is_lost: bool = False,
    ended_elsewhere: Callable[[], bool] | None = None,
) -> FrozenTrial:
    """:func:`hpo_queue.study._lifecycle.run` with the trial kept alive by ``heartbeat``."""
    if heartbeat is not None:
        heartbeat.add(trial._trial_id)
    try:
        return lifecycle.run(
            study,
            trial,
            objective,
            catch=catch,
            retry_limit=failed_trial_max_retries,
            interruption_is_lost=interruption_is_lost,
            ended_elsewhere=ended_elsewhere,
        )
    finally:
        if heartbeat is not None:
            heartbeat.remove(trial._trial_id)


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
    # A store held in this process has no other process to lose a trial to: a trial whose
    # thread raises is failed by run_trial itself. So no heartbeats and no reaping there.
    in_memory = study._storage.is_in_memory
    heartbeat = None if in_memory else heartbeat_for(study._storage, lease_renewal_interval(study))
    deadline = None if timeout is None else time.monotonic() + timeout
    state = _LoopState(n_trials)
    running = RunningTrials()
    study._stop_requested = False
    progress = _Progress(n_trials, timeout) if show_progress_bar else None

    for callback in callback_list:
        # A callback that keeps the study's cap (MaxTrialsCallback) sets it up front.
        before = getattr(callback, "before_optimize", None)
        if callable(before):
            before(study)

    def loop() -> None:
        if n_jobs > 1:
            study.sampler.reseed_rng()  # as Optuna, in each of the threads
        while not running.stopped and state.take_slot() and not study._stop_requested:
            if deadline is not None and time.monotonic() >= deadline:
                return
            if not in_memory:
                state.maybe_reap(study)
            try:
                trial = study._claim()
            except TrialCapReached as exc:
                if _room_may_come(callback_list, study):
                    state.give_back_slot()
                    continue
                # Only this thread stops: a trial still running in another may end in a
                # state that frees a slot, and its thread then goes on.
                _logger.info("%s Stopping.", exc)
                return
            except SearchSpaceExhausted as exc:
                _logger.info("%s Stopping.", exc)
                study._stop_requested = True
                return
            if n_jobs == 1:
                frozen = run_trial(study, trial, objective, catch_types, heartbeat)
            elif running.begin(trial):
                frozen = run_trial(
                    study,
                    trial,
                    objective,
                    catch_types,
                    heartbeat,
                    ended_elsewhere=functools.partial(running.end, trial),
                )
            else:  # claimed just as Ctrl-C stopped the run
                _fail_interrupted(study, trial)
                return
            if running.interrupted:
                return  # no callback, no progress line after Ctrl-C
            for callback in callback_list:
                callback(study, frozen)
            if progress is not None:
                progress.advance(study)
            if gc_after_trial:
                gc.collect()

    if heartbeat is not None:
        heartbeat.hold()  # one thread for the whole run, not one per trial
    try:
        if n_jobs == 1:
            loop()
        else:
            run_threads(loop, n_jobs, running, lambda trial: _fail_interrupted(study, trial))
    finally:
        if heartbeat is not None:
            heartbeat.release()
        if progress is not None:
            progress.close()


def _room_may_come(callbacks: list[Callback], study: Study) -> bool:
    """Whether a callback that keeps the cap says a slot may still free up (then retry)."""
    waits = [getattr(c, "on_cap_reached", None) for c in callbacks]
    return any(wait(study) for wait in waits if callable(wait))


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

    def give_back_slot(self) -> None:
        with self._lock:
            if self._remaining is not None:
                self._remaining += 1

    def maybe_reap(self, study: Study) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next_reap:
                return
            self._next_reap = now + lease_renewal_interval(study)
        lifecycle.reap_expired_leases(
            study._storage, study.settings.max_retries, study_id=study.study_id
        )


def lease_renewal_interval(study: Study) -> float:
    """Seconds between lease renewals: this process's interval, at most a third of the lease.

    The lease is the study's, so a process configured with a long interval still renews
    often enough for the study's other processes not to declare its trials dead.
    """
    return min(study.settings.heartbeat_interval, study.lease_seconds / 3)


def _fail_interrupted(study: Study, trial: Trial) -> FrozenTrial:
    # A short patience: Ctrl-C must stop within seconds; an unwritten FAIL's lease expires.
    return lifecycle.finish(
        study, trial, lifecycle.interrupted_outcome(trial), patience=INTERRUPT_STORE_PATIENCE
    )


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
