"""Heartbeats: a background thread that keeps this process's running trials marked alive."""

from __future__ import annotations

import logging
import os
import threading

from hpo_queue.storages import RDBStorage

_logger = logging.getLogger("hpo_queue.heartbeat")
_beaters: dict[tuple[int, int], Heartbeat] = {}
_lock = threading.Lock()


class Heartbeat:
    """Writes a heartbeat every ``interval`` seconds for each trial registered with it."""

    def __init__(self, storage: RDBStorage, interval: float) -> None:
        self._storage = storage
        self.interval = interval
        self._trial_ids: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hpo-queue-heartbeat", daemon=True)
        self._thread.start()

    def add(self, trial_id: int) -> None:
        with self._lock:
            self._trial_ids.add(trial_id)

    def remove(self, trial_id: int) -> None:
        with self._lock:
            self._trial_ids.discard(trial_id)

    def _run(self) -> None:
        while not self._wake.wait(self.interval):
            with self._lock:
                ids = list(self._trial_ids)
            if not ids:
                continue
            try:
                self._storage.record_heartbeat(ids)
            except Exception as exc:  # keep beating: the database may come back
                _logger.warning("Could not record a heartbeat: %s", exc)


def heartbeat_for(storage: RDBStorage, interval: float) -> Heartbeat:
    """The process's heartbeat thread for ``storage`` (one per storage and process)."""
    key = (id(storage), os.getpid())
    with _lock:
        beater = _beaters.get(key)
        if beater is None or beater.interval != interval:
            beater = _beaters[key] = Heartbeat(storage, interval)
        return beater


def _forget_parent_threads() -> None:
    _beaters.clear()  # threads do not survive fork: the child starts its own


os.register_at_fork(after_in_child=_forget_parent_threads)
