"""Heartbeats: a background thread that renews the leases of this process's running trials."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Protocol

from hpo_queue.storages import BaseStorage

_logger = logging.getLogger("hpo_queue.heartbeat")
THREAD_NAME = "hpo-queue-heartbeat"
# Only beaters with running trials are here (their thread is alive), so the dict neither grows
# with the storages a process has used nor keeps one alive: a beater holds its storage weakly.
_beaters: dict[tuple[int, int], Heartbeat] = {}
_lock = threading.Lock()  # guards _beaters and every beater's trial set and thread


class LeaseKeeper(Protocol):
    """Keeps the leases of the trials registered with it renewed while they run."""

    def add(self, trial_id: int) -> None: ...

    def remove(self, trial_id: int) -> None: ...


class Heartbeat:
    """Renews the lease of each trial registered with it every ``interval`` seconds.

    Its thread starts with the first trial added and stops when the last one is removed,
    so a process that has finished its trials runs no heartbeat thread. A loop that runs
    trial after trial (``optimize``) holds the thread for its whole run with :meth:`hold`,
    so it is not stopped and started again between two trials.
    """

    def __init__(self, storage: BaseStorage, interval: float) -> None:
        self._storage = weakref.ref(storage)
        self._key = (id(storage), os.getpid())
        self.interval = interval
        self._trial_ids: set[int] = set()
        self._holds = 0
        self._stop: threading.Event | None = None  # set while the thread runs

    @property
    def running(self) -> bool:
        """True while a thread is beating for this beater's trials."""
        return self._stop is not None

    def hold(self) -> None:
        """Keep the thread running between trials until :meth:`release`."""
        with _lock:
            self._reset_after_fork()
            self._holds += 1

    def release(self) -> None:
        """End a :meth:`hold`; the thread stops if no trial is left."""
        with _lock:
            self._holds = max(0, self._holds - 1)
            self._stop_if_idle()

    def _reset_after_fork(self) -> None:
        if self._key[1] != os.getpid():  # inherited through fork: the thread stayed behind
            self._key, self._trial_ids, self._stop = (self._key[0], os.getpid()), set(), None
            self._holds = 0

    def add(self, trial_id: int) -> None:
        """Beat for ``trial_id`` from now on; start the thread if it is the first trial."""
        with _lock:
            self._reset_after_fork()
            self._trial_ids.add(trial_id)
            if self._stop is None:
                self._stop = threading.Event()
                _beaters.setdefault(self._key, self)
                thread = threading.Thread(
                    target=self._run, args=(self._stop,), name=THREAD_NAME, daemon=True
                )
                thread.start()

    def remove(self, trial_id: int) -> None:
        """Stop beating for ``trial_id``; stop the thread if no trial is left."""
        with _lock:
            self._trial_ids.discard(trial_id)
            self._stop_if_idle()

    def _stop_if_idle(self) -> None:  # with _lock held
        if self._trial_ids or self._holds or self._stop is None:
            return
        self._stop.set()  # the thread ends at once unless it is writing a beat
        self._stop = None
        if _beaters.get(self._key) is self:
            del _beaters[self._key]

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            with _lock:
                ids = list(self._trial_ids)
            storage = self._storage()
            if storage is None or not ids:
                continue
            try:
                storage.renew_leases(ids)
            except Exception as exc:  # keep beating: the database may come back
                _logger.warning("Could not renew the leases of running trials: %s", exc)
            del storage  # hold the storage only while writing


def heartbeat_for(storage: BaseStorage, interval: float) -> Heartbeat:
    """The process's heartbeat for ``storage``: the running one, if it beats at ``interval``."""
    key = (id(storage), os.getpid())
    with _lock:
        beater = _beaters.get(key)
        if beater is not None and beater.interval == interval and beater._storage() is storage:
            return beater
    return Heartbeat(storage, interval)


def _forget_parent_threads() -> None:
    _beaters.clear()  # threads do not survive fork: the child starts its own


os.register_at_fork(after_in_child=_forget_parent_threads)
