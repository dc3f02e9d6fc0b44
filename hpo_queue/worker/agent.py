"""The node agent: a thread in each worker's main process that keeps the store's work moving.

It runs beside Celery's consumer, outside the pool processes that run objectives, so an
objective that holds the GIL in a long C call cannot starve it. Every tick it:

- renews the leases of the trials its live pool processes run: each process lists the
  trials it runs in a small file of its own (:class:`RunningTrialsFile`), written when a
  trial starts and ends, so a process that died, or one that claimed a trial it never ran
  (the claim's reply was lost), stops being renewed, and those leases run out on the
  store's clock;
- re-queues the trials of every study whose lease expired (a lost node, a killed process),
  in the same transaction as their FAIL, and sends a wake-up for each;
- re-sends the wake-ups of jobs whose owed work nobody has claimed for longer than the
  study's lease (a broker that restarted empty), taking turns with the other nodes through
  the store so that one of them re-sends.

After the store was unreachable it waits one lease before reaping again: leases could not
be renewed during the outage, and the trials they cover may well be alive.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from celery import Celery

from hpo_queue.broker.job import idle_seconds_for
from hpo_queue.broker.wakeups import send_wakeups
from hpo_queue.exceptions import BrokerUnreachableError, HpoQueueError, StorageError
from hpo_queue.settings import Settings
from hpo_queue.storages import BaseStorage, JobRecord
from hpo_queue.study._lifecycle import reap_expired_leases

_logger = logging.getLogger("hpo_queue.agent")
THREAD_NAME = "hpo-queue-node-agent"
# Seconds between the agent's rounds of re-queueing and re-sending (renewals follow the
# heartbeat interval).
REAP_INTERVAL = 1.0
# A study's lease is re-read this often; jobs are listed at most this often.
STUDY_CACHE_SECONDS = 30.0


class RunningTrialsFile:
    """This process's running trials, in a file its node agent reads to renew their leases.

    Writing a few bytes on a trial's start and end is all a pool process does for its
    leases: the renewals happen in the worker's main process, which an objective holding
    the GIL cannot starve.
    """

    def __init__(self, directory: Path) -> None:
        self.pid = os.getpid()
        self._path = directory / str(self.pid)
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    def add(self, trial_id: int) -> None:
        with self._lock:
            self._ids.add(trial_id)
            self._write()

    def remove(self, trial_id: int) -> None:
        with self._lock:
            self._ids.discard(trial_id)
            self._write()

    def _write(self) -> None:
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(" ".join(str(i) for i in sorted(self._ids)))
        os.replace(temporary, self._path)  # the agent never reads a half-written list


def read_running_trials(directory: Path, pids: set[int]) -> set[int]:
    """The trial ids the live processes ``pids`` run; files of other processes are removed."""
    ids: set[int] = set()
    for path in directory.iterdir():
        if not path.name.isdigit():
            continue
        if int(path.name) not in pids:
            path.unlink(missing_ok=True)  # a process that is gone: its trials are not renewed
            continue
        try:
            ids.update(int(part) for part in path.read_text().split())
        except (OSError, ValueError):
            continue  # being replaced this instant: read at the next round
    return ids


class NodeAgent:
    """Renews, reaps and re-sends for one worker node; see the module docstring.

    Args:
        app: the worker's Celery app (wake-ups are sent through it).
        storage: the worker's store.
        settings: the worker's settings (heartbeat interval, max_retries).
        live_pids: the pids whose trials this node keeps alive (its pool processes, and
            itself for a solo or threads pool).
        running_dir: where those processes keep their :class:`RunningTrialsFile`.
    """

    def __init__(
        self,
        app: Celery,
        storage: BaseStorage,
        settings: Settings,
        live_pids: Callable[[], set[int]],
        running_dir: Path,
    ) -> None:
        self._running_dir = running_dir
        self._app = app
        self._storage = storage
        self._settings = settings
        self._live_pids = live_pids
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_renewal = 0.0
        self._next_reap = 0.0
        self._store_down = False
        self._last_renewal: float | None = None
        self._hold_reaping_until = 0.0
        self._study_names: dict[int, tuple[float, str, float]] = {}  # id -> (read, name, lease)
        self._min_lease = settings.heartbeat_grace

    # -- life ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self._tick_seconds()):
            try:
                self.tick()
            except Exception:  # the agent must outlive any one bad round
                _logger.exception("The node agent's round failed; it carries on.")

    def _tick_seconds(self) -> float:
        return max(0.02, min(self._renewal_interval(), REAP_INTERVAL, self._min_lease / 3) / 2)

    def _renewal_interval(self) -> float:
        # At most a third of the shortest lease seen: the store judges by the study's lease.
        return min(self._settings.heartbeat_interval, self._min_lease / 3)

    # -- one round -------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> None:
        """One round: renew if due, then reap and re-send if due."""
        now = time.monotonic() if now is None else now
        try:
            if now >= self._next_renewal:
                self._next_renewal = now + self._renewal_interval()
                self.renew()
                self._note_renewal(time.monotonic())
            if now >= self._next_reap:
                self._next_reap = now + min(REAP_INTERVAL, self._min_lease / 3)
                if time.monotonic() >= self._hold_reaping_until:
                    self.reap()
                self.resend_stalled()
        except StorageError as exc:
            if not self._store_down:
                _logger.warning(
                    "The node agent cannot reach the store (%s); leases wait for it.", exc
                )
            self._store_down = True

    def _note_renewal(self, now: float) -> None:
        """After a renewal that came late (the store was unreachable, perhaps only within
        the storage's own retries), reaping waits one lease: no node could renew meanwhile,
        and the trials whose leases ran out may be alive, their results about to land."""
        late = self._last_renewal is not None and (
            now - self._last_renewal > self._renewal_interval() + self._min_lease / 3
        )
        if self._store_down or late:
            self._hold_reaping_until = now + self._min_lease
            if self._store_down:
                _logger.warning(
                    "The node agent reaches the store again; reaping waits %.0f s for the "
                    "other nodes to renew their leases.",
                    self._min_lease,
                )
        self._store_down = False
        self._last_renewal = now

    def renew(self) -> int:
        """Renew the leases of the trials this node's live processes run."""
        ids = read_running_trials(self._running_dir, self._live_pids())
        if ids:
            self._storage.renew_leases(ids)
        return len(ids)

    def reap(self) -> int:
        """Re-queue every study's trials whose lease expired; one wake-up per retry."""
        results = reap_expired_leases(self._storage, self._settings.max_retries)
        for result in results:
            retry = result.retry
            if retry is None or retry.job_id is None:
                continue  # a study run by optimize(): its own processes claim WAITING trials
            try:
                job = self._storage.get_job(retry.job_id)
                self._send(job, 1)
            except HpoQueueError as exc:
                _logger.warning("Could not send a wake-up for trial %d: %s", retry.number, exc)
        return len(results)

    def resend_stalled(self) -> int:
        """Re-send the wake-ups of jobs whose owed work nobody claimed for too long."""
        sent = 0
        for job in self._storage.list_active_jobs():
            progress = self._storage.job_progress(job.job_id)
            if progress.settled:
                self._storage.mark_job_settled(job.job_id)
                continue
            _, _, lease = self._study(job.study_id)
            if progress.wanted and self._storage.take_wakeup_turn(
                job.job_id, idle_seconds_for(lease)
            ):
                _logger.warning(
                    "Job %s is owed %d trial(s) that nobody has claimed for %.0f s; sending "
                    "its wake-ups again.",
                    job.job_id,
                    progress.wanted,
                    idle_seconds_for(lease),
                )
                sent += self._send(job, progress.wanted)
        return sent

    def _send(self, job: JobRecord, count: int) -> int:
        name, _ = self._study(job.study_id)[1:]
        try:
            send_wakeups(self._app, name, job, count)
        except BrokerUnreachableError as exc:
            _logger.warning("%s The store keeps the work; it is sent again later.", exc)
            return 0
        return count

    def _study(self, study_id: int) -> tuple[float, str, float]:
        cached = self._study_names.get(study_id)
        if cached is None or time.monotonic() - cached[0] > STUDY_CACHE_SECONDS:
            record = self._storage.get_study_by_id(study_id)
            cached = (time.monotonic(), record.study_name, record.lease_seconds)
            self._study_names[study_id] = cached
            self._min_lease = min(
                [self._settings.heartbeat_grace, *(c[2] for c in self._study_names.values())]
            )
        return cached


def own_pid() -> set[int]:
    """The live pids of a node whose trials run in its main process (solo or threads pool)."""
    return {os.getpid()}
