"""BaseStorage: what every storage offers, so the study, the task and the reaper need no SQL.

Two implementations keep one contract (``tests/storages/test_storage_contract.py``):
``RDBStorage`` on MySQL/MariaDB, PostgreSQL or SQLite, shared by every process that opens
it, and ``InMemoryStorage`` for ``storage=None``, shared by the threads of one process.

The contract, whichever the backend:

- trial creation is serialized per study, so ``max_trials`` is exact and trial numbers are
  gap-free however many callers race;
- a claim takes the oldest WAITING (enqueued) trial before creating a new one;
- finishing is check-and-set on RUNNING, so a trial is finished once even when its worker
  and a reaper race;
- every returned :class:`FrozenTrial` and record is immutable: caches share them safely.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution
from hpo_queue.storages._records import (
    Claim,
    StudyRecord,
    StudySummary,
    TrialSnapshot,
)
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

# Called with the study's up-to-date trials while the study is locked; returns the params a
# new trial must use (a grid point), or raises SearchSpaceExhausted.
FixedParamsHook = Callable[[Sequence[FrozenTrial]], dict[str, Any] | None]


class BaseStorage(abc.ABC):
    """Studies and their trials. Methods raise ``StorageError`` when the store is unreachable.

    Attributes:
        url: where the storage lives, with any password masked (safe to print).
        is_in_memory: True when the data dies with this process.
    """

    url: str
    is_in_memory: bool

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
    ) -> StudyRecord:
        """Create a study. Raises DuplicatedStudyError if the name is taken."""

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
    def set_max_trials(self, study_id: int, max_trials: int | None) -> None:
        """Change the study's cap (None: no cap)."""

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
    ) -> Claim:
        """Create (or take an enqueued) RUNNING trial, atomically under the study's lock.

        Args:
            worker: who runs the trial (hostname:pid), shown in status views.
            task_key: an idempotency key (a Celery task id): a second claim with the same key
                returns the first trial with status DUPLICATE instead of creating another.
            fixed_params: parameters the trial must use (a retry of a failed trial).
            system_attrs: extra attributes stored on the trial.
            fixed_params_hook: called with the up-to-date trials while the lock is held.
            use_waiting: take the oldest WAITING (enqueued) trial first if there is one.
            waiting_number: take this WAITING trial first if it is still WAITING.
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
    def add_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Store the value reported at ``step`` (a second write of one step overwrites)."""

    @abc.abstractmethod
    def record_heartbeat(self, trial_ids: Iterable[int]) -> None:
        """Mark these RUNNING trials alive now."""

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
    ) -> bool:
        """Move a RUNNING trial to a finished state; False if it was no longer RUNNING.

        ``params`` (params, distributions) not yet written are stored with the result. A FAIL
        frees the trial's slot under max_trials.
        """

    @abc.abstractmethod
    def find_stale_trials(
        self, grace_seconds: float, study_id: int | None = None
    ) -> list[FrozenTrial]:
        """RUNNING trials whose heartbeat is older than ``grace_seconds``."""

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
