"""BaseStorage: what every storage offers, so the study, the task and the reaper need no SQL.

Two implementations keep one contract (``tests/storages/test_storage_contract.py``):
``RDBStorage`` on MySQL/MariaDB, PostgreSQL or SQLite, shared by every process that opens
it, and ``InMemoryStorage`` for ``storage=None``, shared by the threads of one process.

The contract, whichever the backend:

- trial creation is serialized per study, so ``max_trials`` is exact and trial numbers are
  gap-free however many callers race;
- a claim takes the oldest WAITING (enqueued) trial before creating a new one;
- finishing is check-and-set on RUNNING, so a trial is finished once even when its worker
  and a reaper race; a failed trial and the WAITING retry that replaces it are written in
  the same transaction;
- a RUNNING trial holds a lease, ``lease_seconds`` (the study's) from its last renewal, on the
  store's own clock, so a node whose clock is off or whose settings differ judges it as
  every other node does;
- a job (one submit) is recorded before its wake-ups are sent; a claim for it creates a trial
  only while the job is still owed one, so wake-ups can be duplicated, lost and re-sent;
- every returned :class:`FrozenTrial` and record is immutable: caches share them safely.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution
from hpo_queue.storages._records import (
    Claim,
    FinishResult,
    JobProgress,
    JobRecord,
    StudyRecord,
    StudySummary,
    TrialSnapshot,
)
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

# Called with the study's up-to-date trials while the study is locked; returns the params a
# new trial must use (a grid point), or raises SearchSpaceExhausted.
FixedParamsHook = Callable[[Sequence[FrozenTrial]], dict[str, Any] | None]

DEFAULT_LEASE_SECONDS = 60.0
# take_wakeup_turn's back-off stops doubling here.
MAX_WAKEUP_BACKOFF_SECONDS = 3600.0
# The fail_reason of a WAITING trial failed by cancel_job: no claim would ever take it.
JOB_CANCELLED_REASON = "Cancelled with its job before it ran."


class BaseStorage(abc.ABC):
    """Studies and their trials. Methods raise ``StorageError`` when the store is unreachable.

    Attributes:
        url: where the storage lives, with any password masked (safe to print).
        is_in_memory: True when the data dies with this process.
    """

    url: str
    is_in_memory: bool
    # Set by RDBStorage(failed_trial_callback=RetryFailedTrialCallback(max_retry=N)), as in
    # Optuna: how often a lost trial is re-run, instead of the settings' max_retries.
    lost_trial_max_retries: int | None = None

    # -- studies ---------------------------------------------------------------------------

    @abc.abstractmethod
    def create_study(
        self,
        study_name: str,
        directions: Sequence[StudyDirection],
        sampler_config: dict[str, Any],
        pruner_config: dict[str, Any],
        max_trials: int | None,
        options: dict[str, Any] | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> StudyRecord:
        """Create a study. Raises DuplicatedStudyError if the name is taken.

        ``lease_seconds``: how long its RUNNING trials live without a lease renewal.
        """

    @abc.abstractmethod
    def get_study(self, study_name: str) -> StudyRecord:
        """A study by name. Raises StudyNotFoundError."""

    @abc.abstractmethod
    def get_study_by_id(self, study_id: int) -> StudyRecord:
        """A study by id. Raises StudyNotFoundError."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study with its trials and attributes."""

    @abc.abstractmethod
    def list_study_names(self) -> list[str]:
        """Every study's name, oldest first."""

    @abc.abstractmethod
    def list_study_summaries(self) -> list[StudySummary]:
        """Every study with its counts by state and best trial, oldest first."""

    @abc.abstractmethod
    def set_max_trials(
        self, study_id: int, max_trials: int | None, *, count_failed: bool = False
    ) -> None:
        """Change the study's cap (None: no cap); ``count_failed``: FAIL trials count too."""

    @abc.abstractmethod
    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        """Store a JSON value under ``key``; ``kind`` is "user" or "system"."""

    @abc.abstractmethod
    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        """The study's attributes of ``kind`` ("user" or "system")."""

    # -- creating and claiming trials ------------------------------------------------------

    @abc.abstractmethod
    def claim_trial(
        self,
        study_id: int,
        *,
        worker: str | None = None,
        task_key: str | None = None,
        fixed_params: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        fixed_params_hook: FixedParamsHook | None = None,
        use_waiting: bool = True,
        waiting_number: int | None = None,
        job_id: str | None = None,
    ) -> Claim:
        """Create (or take an enqueued) RUNNING trial, atomically under the study's lock.

        The trial's lease starts now (the store's clock) and lasts the study's lease_seconds
        (on a server, "now" is when the claim's locking statement began: a lease may start
        up to one lock wait early, never late).

        Without ``job_id`` the claim takes the oldest WAITING trial that belongs to no job,
        else creates a trial. With ``job_id``, in order: the job's own oldest WAITING trial (a
        retry of its work), then a WAITING trial of no job and finally a new trial, these two
        only while the job is owed a trial (its n_trials minus its trials that no retry
        replaced); NOTHING_OWED when it is not, CANCELLED for a cancelled job. A trial claimed
        for a job records its job_id, and the claim resets the job's wake-up back-off.
        ``waiting_number`` and ``use_waiting`` apply to the WAITING trials the claim may take
        (the job's own, then those of no job).

        Args:
            worker: who runs the trial (hostname:pid), shown in status views.
            task_key: an idempotency key (a Celery task id): a second claim with the same key
                returns the first trial with status DUPLICATE instead of creating another.
            fixed_params: parameters the trial must use (a retry of a failed trial).
            system_attrs: extra attributes stored on the trial.
            fixed_params_hook: called with the up-to-date trials while the lock is held.
            use_waiting: take the oldest WAITING (enqueued) trial first if there is one.
            waiting_number: take this WAITING trial first if it is still WAITING.
            job_id: claim for this job (see above). Raises JobNotFoundError if unknown or a
                job of another study.
        """

    @abc.abstractmethod
    def add_finished_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial | None:
        """Store ``trial`` (finished, made elsewhere) as the study's next trial, at once.

        Its params, distributions, values, reports, attrs, fail reason and times are kept;
        it takes the next number and, like any trial, a slot under max_trials. None if the
        cap leaves no room.
        """

    @abc.abstractmethod
    def enqueue_trial(
        self,
        study_id: int,
        params: dict[str, Any],
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> FrozenTrial | None:
        """Add a WAITING trial with fixed params; None if the cap leaves no room for it."""

    # -- writing a running trial -----------------------------------------------------------

    @abc.abstractmethod
    def set_trial_params(
        self, trial_id: int, params: dict[str, Any], distributions: dict[str, BaseDistribution]
    ) -> None:
        """Store a RUNNING trial's whole parameter dict (only its own process writes it)."""

    @abc.abstractmethod
    def set_trial_attrs(self, trial_id: int, kind: str, attrs: dict[str, Any]) -> None:
        """Replace a trial's user or system attributes with ``attrs``."""

    @abc.abstractmethod
    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        """Set one user or system attribute of a trial, keeping the others as stored now.

        Atomic: writers of different keys, in any process, lose nothing to each other.
        Raises InvalidNameError for a bad key, LimitExceededError for a value (or the
        trial's attributes together) over MAX_ATTR_JSON_BYTES.
        """

    @abc.abstractmethod
    def add_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Store the value reported at ``step`` (a second write of one step overwrites)."""

    @abc.abstractmethod
    def renew_leases(self, trial_ids: Iterable[int]) -> None:
        """Extend the leases of these RUNNING trials to now + their lease_seconds."""

    @abc.abstractmethod
    def finish_trial(
        self,
        study_id: int,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        fail_reason: str | None = None,
        constraints: Sequence[float] | None = None,
        params: tuple[dict[str, Any], dict[str, BaseDistribution]] | None = None,
        retry_limit: int = 0,
    ) -> FinishResult:
        """Move a RUNNING trial to a finished state; falsy if it was no longer RUNNING.

        ``params`` (params, distributions) not yet written are stored with the result. A FAIL
        frees the trial's slot under max_trials. A FAIL whose ``system_attrs["retry_count"]``
        (0 if absent) is below ``retry_limit`` is replaced, in the same transaction, by a
        WAITING trial with the same parameters (its fixed_params and params), user attrs and
        job, system attrs ``retry_of`` (the failed number), ``retry_history`` (the numbers of
        every earlier attempt, oldest first) and ``retry_count`` (one more), if
        the cap leaves room; the failed trial then no longer counts toward its job.
        """

    @abc.abstractmethod
    def find_expired_leases(self, study_id: int | None = None) -> list[FrozenTrial]:
        """RUNNING trials whose lease has expired by the store's clock (all studies if None).

        A RUNNING trial without a lease (an upgraded store's that never beat) counts as
        expired. Ordered by trial id.
        """

    @abc.abstractmethod
    def db_now(self) -> datetime.datetime:
        """The store's clock (naive UTC), which leases and job times are measured on."""

    # -- jobs ------------------------------------------------------------------------------

    @abc.abstractmethod
    def create_job(
        self,
        study_id: int,
        job_id: str,
        objective_ref: str,
        n_trials: int,
        error_retries: int = 0,
        queue: str | None = None,
    ) -> JobRecord:
        """Record a job before its wake-ups are sent. Raises InvalidInputError for a used id.

        The id is at most 64 characters; n_trials and error_retries are integers >= 0.
        Raises StudyNotFoundError for an unknown study.
        """

    @abc.abstractmethod
    def get_job(self, job_id: str) -> JobRecord:
        """A job by id. Raises JobNotFoundError."""

    @abc.abstractmethod
    def cancel_job(self, job_id: str) -> None:
        """Mark a job cancelled: its claims then create nothing (running trials finish).

        Its WAITING trials (retries), which no claim takes any more, are failed in the same
        transaction (fail_reason ``JOB_CANCELLED_REASON``), so the job can settle.
        """

    @abc.abstractmethod
    def job_progress(self, job_id: str) -> JobProgress:
        """The job's trials by state and how many it is still owed, read in one transaction."""

    @abc.abstractmethod
    def list_active_jobs(self) -> list[JobRecord]:
        """Jobs neither cancelled nor marked settled, oldest first."""

    @abc.abstractmethod
    def mark_job_settled(self, job_id: str) -> None:
        """Leave a settled job out of :meth:`list_active_jobs` from now on."""

    @abc.abstractmethod
    def take_wakeup_turn(self, job_id: str, idle_seconds: float) -> bool:
        """Whether the caller should re-send the job's wake-ups now; at most one caller wins.

        True when no trial was claimed for the job in the last ``idle_seconds`` and no caller
        took a turn within the current back-off, which starts at ``idle_seconds`` and
        doubles with each turn taken until a claim happens again (capped at one hour). The
        turn is taken atomically, so many nodes calling this re-send once between them.
        Before the job's first claim, idle time counts from its creation (its first
        wake-ups were sent then). A cancelled or settled job has no turn (False).
        """

    @abc.abstractmethod
    def study_id_of_trial(self, trial_id: int) -> int:
        """The id of the study a trial belongs to. Raises TrialNotFoundError."""

    # -- reading trials --------------------------------------------------------------------

    @abc.abstractmethod
    def get_trial(self, study_id: int, number: int) -> FrozenTrial:
        """One trial by number, read fresh. Raises TrialNotFoundError."""

    @abc.abstractmethod
    def get_trial_by_task_key(self, study_id: int, task_key: str) -> FrozenTrial | None:
        """The trial claimed with ``task_key``, if any."""

    @abc.abstractmethod
    def get_snapshot(self, study_id: int) -> TrialSnapshot:
        """The study's trials, up to date, with the finished and unfinished ones apart."""

    def get_trials(self, study_id: int) -> list[FrozenTrial]:
        """Every trial of the study ordered by number (a read-only list)."""
        return self.get_snapshot(study_id).trials

    @abc.abstractmethod
    def count_trials_by_state(self, study_id: int) -> dict[TrialState, int]:
        """How many trials the study has in each state (states with none are left out)."""

    @abc.abstractmethod
    def get_best_trial(self, study_id: int, direction: StudyDirection) -> FrozenTrial | None:
        """The best COMPLETE feasible trial of a single-objective study, up to date."""

    @abc.abstractmethod
    def cached_best_trial(self, study_id: int, direction: StudyDirection) -> FrozenTrial | None:
        """The best trial this process has seen so far, without a round trip."""

    def ping(self) -> None:  # noqa: B027 - an in-process storage is always reachable
        """Raise StorageError unless the store answers."""

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release connections and files the storage holds (it may be used again after)."""
