"""The threads of ``optimize(n_jobs>1)``, and how Ctrl-C stops them within seconds.

Python raises KeyboardInterrupt in the main thread only, and cannot kill a thread. So on
Ctrl-C the main thread stops the threads from claiming trials, fails the trials they are
running as Ctrl-C fails the trial of a one-thread run ("Interrupted (KeyboardInterrupt)
while running the objective."), waits a moment for the threads that are busy with the store
(not for objectives), and re-raises. A thread still inside its objective is left there: the
threads are daemons, so they do not keep the process alive, and if the objective returns
later (the process went on, as in a notebook) its outcome is dropped: the trial stays FAIL.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

from hpo_queue.logging import get_logger

if TYPE_CHECKING:
    from hpo_queue.trial._trial import Trial

_logger = get_logger("hpo_queue.study")

# How long Ctrl-C waits for threads busy claiming or finishing a trial (milliseconds, as a
# rule; the bound is for a store that hangs).
STORE_GRACE_SECONDS = 5.0


class RunningTrials:
    """The trials one optimize call's threads are running, and whether it was stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trials: dict[int, tuple[Trial, int]] = {}  # trial_id -> (trial, thread ident)
        self._abandoned: set[int] = set()  # threads whose trial was failed under them
        self._stopped = False
        self._interrupted = False

    @property
    def stopped(self) -> bool:
        """True once no thread may claim another trial (Ctrl-C, or a thread's error)."""
        return self._stopped

    @property
    def interrupted(self) -> bool:
        """True once Ctrl-C has failed the running trials."""
        return self._interrupted

    def stop(self) -> None:
        """Let no thread claim another trial."""
        self._stopped = True

    def begin(self, trial: Trial) -> bool:
        """Register ``trial`` as run by this thread; False after Ctrl-C (then fail it yourself)."""
        with self._lock:
            if self._interrupted:
                return False
            self._trials[trial._trial_id] = (trial, threading.get_ident())
            return True

    def end(self, trial: Trial) -> bool:
        """Unregister ``trial``; True if Ctrl-C failed it meanwhile (drop its outcome)."""
        with self._lock:
            return self._trials.pop(trial._trial_id, None) is None

    def interrupt(self) -> list[Trial]:
        """Stop, and hand over the running trials: their threads will not finish them."""
        with self._lock:
            self._stopped = self._interrupted = True
            taken = list(self._trials.values())
            self._trials.clear()
            self._abandoned.update(ident for _, ident in taken)
        return [trial for trial, _ in taken]

    def is_busy(self, thread: threading.Thread) -> bool:
        """True while ``thread`` runs and is not inside an objective whose trial was failed."""
        with self._lock:
            return thread.is_alive() and thread.ident not in self._abandoned


def run_threads(
    loop: Callable[[], None],
    n_jobs: int,
    running: RunningTrials,
    fail: Callable[[Trial], object],
) -> None:
    """Run ``loop`` in ``n_jobs`` threads; on Ctrl-C ``fail`` each running trial, re-raise.

    An error in one thread stops the others from claiming trials (as Optuna stops submitting
    them); it is raised once they have finished the trials they were running.
    """
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            loop()
        except BaseException as exc:
            errors.append(exc)
            running.stop()

    threads = [
        threading.Thread(target=guarded, name=f"hpo-queue-job-{i}", daemon=True)
        for i in range(n_jobs)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)  # a wait Ctrl-C can interrupt on every platform
    except KeyboardInterrupt as interrupt:
        with _second_ctrl_c_deferred():
            _stop(threads, running, fail)
        # Re-raised from here: its traceback shows optimize, not the insides of thread.join.
        raise interrupt.with_traceback(None) from None
    if errors:
        raise errors[0]


def _stop(
    threads: list[threading.Thread], running: RunningTrials, fail: Callable[[Trial], object]
) -> None:
    for trial in running.interrupt():
        try:
            fail(trial)
        except Exception as exc:  # the store is away: the lease expires, the reaper fails it
            _logger.warning(
                "Could not record trial %d as interrupted (%s); it stays RUNNING until its "
                "lease expires.",
                trial.number,
                exc,
            )
    deadline = time.monotonic() + STORE_GRACE_SECONDS
    for thread in threads:
        while running.is_busy(thread) and time.monotonic() < deadline:
            thread.join(0.05)


@contextlib.contextmanager
def _second_ctrl_c_deferred() -> Iterator[None]:
    """While the running trials are failed, a second Ctrl-C waits instead of cutting it short.

    The cleanup is bounded (a few store writes, STORE_GRACE_SECONDS), so the process still
    stops within seconds; a user's own SIGINT handler, or a call outside the main thread
    (where no Ctrl-C arrives), is left alone.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    def note(signum: int, frame: FrameType | None) -> None:
        _logger.warning("Stopping: recording the running trials as interrupted first.")

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
