"""TrialJob: the tasks of one submit call, to wait for, count by outcome and cancel."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.result import AsyncResult

from hpo_queue.execution.task_message import CANCELLED_JOB_ATTR
from hpo_queue.logging import get_logger
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.study._study import Study

_POLL_SECONDS = 0.5
_logger = get_logger("hpo_queue.submit")


class TrialJob:
    """The tasks of one submit call: wait for them, count them by outcome, cancel them."""

    def __init__(self, app: Celery, study: Study, job_id: str, task_ids: list[str]) -> None:
        self.app = app
        self.study = study
        self.job_id = job_id
        self.task_ids = list(task_ids)
        self._outcomes: dict[str, str] = {}  # task id -> final outcome, once known
        self._results: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"TrialJob(study={self.study.study_name!r}, job_id={self.job_id!r}, n={len(self)})"

    def __len__(self) -> int:
        return len(self.task_ids)

    def counts(self) -> dict[str, int]:
        """This job's tasks by outcome.

        "pending" for unfinished tasks (queued or running: the store's RUNNING trials say
        which run); for finished ones the trial state
        ("COMPLETE", "PRUNED", "FAIL") or what the task did instead ("cap_reached",
        "refused", "duplicate", "cancelled", "exhausted", "gave_up"), and "error" for a task
        that raised (bad arguments, the store unreachable for too long).
        """
        tally: Counter[str] = Counter()
        for task_id in self.task_ids:
            outcome = self._outcomes.get(task_id)
            if outcome is None:
                outcome = self._poll(task_id)
            tally[outcome] += 1
        return dict(tally)

    def results(self) -> list[dict[str, Any]]:
        """The JSON results of the tasks that finished, in submission order."""
        self.counts()
        return [self._results[t] for t in self.task_ids if t in self._results]

    def trial_counts(self) -> dict[str, int]:
        """The whole study's trials by state, from the store."""
        counts = self.study.storage.count_trials_by_state(self.study.study_id)
        return {state.name: n for state, n in sorted(counts.items())}

    def done(self) -> bool:
        counts = self.counts()
        return counts.get("pending", 0) == 0 and counts.get("running", 0) == 0

    def wait(self, timeout: float | None = None, progress: bool = False) -> dict[str, int]:
        """Block until every task finished; returns :meth:`counts`.

        Raises:
            TimeoutError: ``timeout`` seconds passed first (the tasks keep running).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = _ProgressBar(len(self), self.study) if progress else None
        try:
            while True:
                counts = self.counts()
                if bar is not None:
                    bar.draw(counts)
                if counts.get("pending", 0) == 0 and counts.get("running", 0) == 0:
                    return counts
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"Job {self.job_id} not finished after {timeout} s: {counts}."
                    )
                time.sleep(_POLL_SECONDS)
        finally:
            if bar is not None:
                bar.close()

    def cancel(self) -> int:
        """Revoke the tasks that have not started; returns how many that was.

        Running trials finish normally. Besides Celery's revoke (which needs a broker with
        broadcast), the job is marked cancelled in the store, so a revoked message that
        still reaches a worker (one that was offline, or the embedded broker) does nothing.
        """
        self.study.storage.set_study_attr(
            self.study.study_id, "system", CANCELLED_JOB_ATTR + self.job_id, True
        )
        pending = [
            t for t in self.task_ids if self._outcomes.get(t) is None and self._poll(t) == "pending"
        ]
        if pending:
            try:
                self.app.control.revoke(pending)
            except Exception as exc:  # e.g. a broker without broadcast; the mark suffices
                _logger.info("Could not broadcast the revoke (%s); relying on the store.", exc)
        return len(pending)

    def _poll(self, task_id: str) -> str:
        result = AsyncResult(task_id, app=self.app)
        state = result.state
        if state == "PENDING":
            return "pending"
        if state in ("STARTED", "RETRY", "RECEIVED"):
            return "running"
        if state == "REVOKED":
            outcome = "cancelled"
        elif state == "SUCCESS" and isinstance(result.result, dict):
            payload = result.result
            self._results[task_id] = payload
            status = str(payload.get("status"))
            outcome = str(payload.get("state")) if status == "finished" else status
        else:
            outcome = "error"
            self._results[task_id] = {"status": "error", "detail": str(result.result)}
        self._outcomes[task_id] = outcome
        return outcome


class _ProgressBar:
    """A one-line bar on stderr: tasks done, trial states, best value, throughput."""

    def __init__(self, total: int, study: Study) -> None:
        self._total = total
        self._study = study
        self._start = time.monotonic()
        self._last_draw = 0.0

    def draw(self, counts: dict[str, int]) -> None:
        now = time.monotonic()
        if now - self._last_draw < 0.5 and self._last_draw:
            return
        self._last_draw = now
        unfinished = counts.get("pending", 0) + counts.get("running", 0)
        done = self._total - unfinished
        width = 30
        filled = int(width * done / self._total) if self._total else width
        elapsed = now - self._start
        states = "  ".join(
            f"{name} {counts[name]}"
            for name in (*(s.name for s in TrialState), "cap_reached", "refused", "error")
            if counts.get(name)
        )
        try:
            best = (
                f"  best {self._study.best_value:.6g}" if len(self._study.directions) == 1 else ""
            )
        except Exception:
            best = ""
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self._total} tasks  "
            f"{states}{best}  {elapsed:.1f} s   "
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
