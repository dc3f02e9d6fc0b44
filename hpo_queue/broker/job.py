"""TrialJob: one submit call, followed in the store: wait for it, count its trials, cancel it.

Progress comes from the store, not from the broker's task results: the store knows which
trials the job asked for and how each ended, and it survives a broker that restarts empty.
While it waits, the job also keeps the work moving when the broker fails: when the job is
owed work that no worker has claimed for a while (the broker lost its messages), it sends the
wake-ups again. Trials lost with a worker are re-queued by the other workers' node agents.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TYPE_CHECKING

from celery import Celery

from hpo_queue.broker.wakeups import send_wakeups
from hpo_queue.exceptions import BrokerUnreachableError, StorageError
from hpo_queue.logging import get_logger
from hpo_queue.storages import JobProgress, JobRecord, mask_url
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.study._study import Study

_POLL_SECONDS = 0.5
# Work owed for this long past the study's lease with no claim is presumed to have lost its
# wake-ups (a broker restarted without persistence): they are sent again, with back-off.
IDLE_MARGIN_SECONDS = 2.0
# With no claim for this long, wait() warns once that no worker seems to take the work.
NO_WORKER_NOTICE_SECONDS = 30.0
_logger = get_logger("hpo_queue.submit")


def idle_seconds_for(lease_seconds: float) -> float:
    """How long owed work may sit unclaimed before its wake-ups are sent again."""
    return lease_seconds + IDLE_MARGIN_SECONDS


class TrialJob:
    """The trials one submit asked for: ``wait()``, ``counts()``, ``cancel()``.

    Attributes:
        job_id: the job's id in the store (``hpo-queue status`` shows it).
        task_ids: the ids of the wake-ups sent at submit time (Flower shows them).
    """

    def __init__(self, app: Celery, study: Study, job: JobRecord, task_ids: list[str]) -> None:
        self.app = app
        self.study = study
        self.job = job
        self.job_id = job.job_id
        self.task_ids = list(task_ids)

    def __repr__(self) -> str:
        return f"TrialJob(study={self.study.study_name!r}, job_id={self.job_id!r}, n={len(self)})"

    def __len__(self) -> int:
        return self.job.n_trials

    def progress(self) -> JobProgress:
        """The job's trials by state and what it is still owed, read from the store."""
        return self.study.storage.job_progress(self.job_id)

    def counts(self) -> dict[str, int]:
        """The job's trials by state name, plus what the job will not get.

        "pending" counts trials owed and not yet claimed; once nothing more can run,
        "cap_reached" counts trials the study's max_trials left no room for and "cancelled"
        those a cancel stopped.
        """
        return _counts(self.progress())

    def trial_counts(self) -> dict[str, int]:
        """The whole study's trials by state, from the store."""
        counts = self.study.storage.count_trials_by_state(self.study.study_id)
        return {state.name: n for state, n in sorted(counts.items())}

    def done(self) -> bool:
        """True once nothing of the job runs or waits and nothing more can be created."""
        return self.progress().settled

    def succeeded(self) -> bool:
        """True when the job got what it asked for: every trial finished and none failed,
        or the study's cap was reached."""
        progress = self.progress()
        return (
            progress.settled
            and not progress.job.cancelled
            and not progress.counts.get(TrialState.FAIL, 0)
        )

    def wait(
        self,
        timeout: float | None = None,
        progress: bool = False,
        *,
        no_worker_notice: float = NO_WORKER_NOTICE_SECONDS,
    ) -> dict[str, int]:
        """Block until the job settles; returns :meth:`counts`.

        The store and the broker may go away meanwhile: the wait says so, keeps trying and
        carries on when they are back. When no worker has taken one of the job's tasks for
        ``no_worker_notice`` seconds, it warns once that no worker seems to be running.

        Raises:
            TimeoutError: ``timeout`` seconds passed first (the trials keep running).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = _ProgressBar(self.job.n_trials, self.study) if progress else None
        keeper = _WorkKeeper(self)
        notice = _NoWorkerNotice(self, no_worker_notice)
        try:
            while True:
                state = keeper.step()
                if state is not None:
                    message = notice.check(state)
                    if message:
                        if bar is not None:
                            bar.break_line()
                        _logger.warning(message)
                    if bar is not None:
                        bar.draw(state)
                    if state.settled:
                        self.study.storage.mark_job_settled(self.job_id)
                        return _counts(state)
                if deadline is not None and time.monotonic() >= deadline:
                    shown = _counts(state) if state is not None else "the store is unreachable"
                    raise TimeoutError(
                        f"Job {self.job_id} not finished after {timeout} s: {shown}."
                    )
                time.sleep(_POLL_SECONDS)
        finally:
            if bar is not None:
                bar.close()

    def cancel(self) -> int:
        """Stop the job: no new trial starts for it; running ones finish. Returns how many
        trials it will not get."""
        self.study.storage.cancel_job(self.job_id)
        progress = self.progress()
        try:  # spare the workers the claims: best effort, the store's mark decides
            self.app.control.revoke(self.task_ids)
        except Exception as exc:
            _logger.info("Could not broadcast the revoke (%s); relying on the store.", exc)
        return progress.owed if not progress.at_cap else 0


class _NoWorkerNotice:
    """Says once that the job's work sits untaken: most often, no worker is running."""

    def __init__(self, job: TrialJob, after_seconds: float) -> None:
        self._job = job
        self._after = after_seconds
        self._start = time.monotonic()
        self._said = False

    def check(self, progress: JobProgress) -> str | None:
        """The notice, the first time the work has waited ``after_seconds`` untaken."""
        if self._said or not progress.wanted or progress.counts.get(TrialState.RUNNING):
            return None
        if time.monotonic() - self._start < self._after:
            return None
        last = progress.last_claim
        if last is not None and (progress.now - last).total_seconds() < self._after:
            return None
        self._said = True
        broker = mask_url(str(self._job.app.conf.broker_url))
        queue = self._job.job.queue or str(self._job.app.conf.task_default_queue)
        return (
            f"No worker has taken a task of job {self._job.job_id} in {self._after:g} s: is a "
            f"worker running against the broker at {broker}, on queue {queue!r}, and allowed "
            f"the objective's module (HPO_OBJECTIVE_MODULES)?"
        )


class _WorkKeeper:
    """One round of a waiting coordinator: read progress; re-send wake-ups for stalled work."""

    def __init__(self, job: TrialJob) -> None:
        self._job = job
        self._store_down_since: float | None = None
        self._broker_down = False

    def step(self) -> JobProgress | None:
        storage = self._job.study.storage
        try:
            state = storage.job_progress(self._job.job_id)
            if state.wanted and storage.take_wakeup_turn(
                self._job.job_id, idle_seconds_for(self._job.study.lease_seconds)
            ):
                self._resend(state.wanted)
        except StorageError as exc:
            if self._store_down_since is None:
                self._store_down_since = time.monotonic()
                _logger.warning("The store is unreachable (%s); waiting for it to return.", exc)
            return None
        if self._store_down_since is not None:
            _logger.warning(
                "The store is back after %.0f s.", time.monotonic() - self._store_down_since
            )
            self._store_down_since = None
        return state

    def _resend(self, count: int) -> None:
        job = self._job
        try:
            send_wakeups(job.app, job.study.study_name, job.job, count)
        except BrokerUnreachableError as exc:
            if not self._broker_down:
                _logger.warning("%s Retrying; the store keeps the work meanwhile.", exc)
                self._broker_down = True
            return
        if self._broker_down:
            _logger.warning("The broker is reachable again.")
            self._broker_down = False
        _logger.info(
            "Sent %d wake-up(s) again for job %s: its work was owed and unclaimed.",
            count,
            job.job_id,
        )


def _counts(progress: JobProgress) -> dict[str, int]:
    tally: Counter[str] = Counter({state.name: n for state, n in progress.counts.items() if n})
    if progress.owed:
        if progress.job.cancelled:
            tally["cancelled"] += progress.owed
        elif progress.at_cap:
            tally["cap_reached"] += progress.owed
        else:
            tally["pending"] += progress.owed
    return dict(tally)


class _ProgressBar:
    """A one-line bar on stderr: trials done, their states, best value, elapsed time."""

    def __init__(self, total: int, study: Study) -> None:
        self._total = total
        self._study = study
        self._start = time.monotonic()
        self._last_draw = 0.0

    def draw(self, progress: JobProgress) -> None:
        now = time.monotonic()
        if now - self._last_draw < 0.5 and self._last_draw and not progress.settled:
            return
        self._last_draw = now
        counts = _counts(progress)
        done = self._total - progress.unfinished - counts.get("pending", 0)
        width = 30
        filled = int(width * done / self._total) if self._total else width
        states = "  ".join(
            f"{name} {counts[name]}"
            for name in (*(s.name for s in TrialState), "cap_reached", "cancelled")
            if counts.get(name)
        )
        try:
            best = (
                f"  best {self._study.best_value:.6g}" if len(self._study.directions) == 1 else ""
            )
        except Exception:
            best = ""
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self._total} trials  "
            f"{states}{best}  {now - self._start:.1f} s   "
        )
        sys.stderr.flush()

    def break_line(self) -> None:
        """End the bar's line, so that a message printed next starts on a line of its own."""
        if self._last_draw:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
