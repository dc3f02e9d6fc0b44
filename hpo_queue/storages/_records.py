"""Plain records the storage returns: a study's definition, its summary, a claim's outcome."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState


@dataclass(frozen=True)
class StudyRecord:
    """A study's definition as stored: what every process needs to join it."""

    study_id: int
    study_name: str
    directions: tuple[StudyDirection, ...]
    sampler_config: dict[str, Any]
    pruner_config: dict[str, Any]
    max_trials: int | None
    datetime_created: datetime.datetime
    options: dict[str, Any] = field(default_factory=dict)
    # How long a RUNNING trial's lease lasts without renewal: study-wide, so every node
    # judges a trial by the same grace, on the store's clock.
    lease_seconds: float = 60.0
    # Whether max_trials counts FAIL trials too; by default a failed trial frees its slot.
    cap_counts_failed: bool = False


@dataclass(frozen=True)
class StudySummary:
    """One line of the study listing."""

    study_name: str
    study_id: int
    directions: tuple[StudyDirection, ...]
    max_trials: int | None
    n_trials: int
    counts: dict[str, int]
    best_trial: FrozenTrial | None
    datetime_created: datetime.datetime
    user_attrs: dict[str, Any] = field(default_factory=dict)


class ClaimStatus(enum.Enum):
    CLAIMED = "claimed"  # a new or enqueued trial is now RUNNING for the caller
    DUPLICATE = "duplicate"  # this task key already has a trial (a redelivered task)
    CAP_REACHED = "cap_reached"  # max_trials counted trials exist
    EXHAUSTED = "exhausted"  # the sampler has nothing left to try (grid used up)
    NOTHING_OWED = "nothing_owed"  # the job's trials all exist already (a spare wake-up)
    CANCELLED = "cancelled"  # the job was cancelled


@dataclass(frozen=True)
class Claim:
    status: ClaimStatus
    trial: FrozenTrial | None = None
    detail: str = ""


@dataclass(frozen=True)
class FinishResult:
    """What finish_trial did: truthy when the trial was RUNNING and is now finished.

    Attributes:
        changed: the trial was RUNNING and now holds the given outcome.
        retry: the WAITING trial that re-runs its parameters (a FAIL within retry_limit).
    """

    changed: bool
    retry: FrozenTrial | None = None

    def __bool__(self) -> bool:
        return self.changed


@dataclass(frozen=True)
class JobRecord:
    """What one submit asked for: ``n_trials`` trials of a study, run by ``objective_ref``.

    The store keeps it so that the work a job is owed can always be found again, whatever
    the broker lost: every claim for the job decides, under the study's lock, whether a
    trial is still owed.
    """

    job_id: str
    study_id: int
    objective_ref: str
    n_trials: int
    error_retries: int
    queue: str | None
    datetime_created: datetime.datetime
    cancelled: bool = False


@dataclass(frozen=True)
class JobProgress:
    """A job's state as the store sees it now.

    Attributes:
        job: the job.
        counts: the job's trials by state, leaving out failed trials that a retry replaced.
        owed: trials the job asked for that no trial stands for yet (a claim creates them).
        at_cap: the study's max_trials leaves no room for another trial.
        last_claim: when a trial was last claimed for the job (the store's clock).
        now: the store's clock when this was read.
    """

    job: JobRecord
    counts: dict[TrialState, int]
    owed: int
    at_cap: bool
    last_claim: datetime.datetime | None
    now: datetime.datetime

    @property
    def unfinished(self) -> int:
        """The job's RUNNING and WAITING trials."""
        return self.counts.get(TrialState.RUNNING, 0) + self.counts.get(TrialState.WAITING, 0)

    @property
    def wanted(self) -> int:
        """How many wake-ups the job's work needs: one per WAITING trial and per owed one."""
        if self.job.cancelled:
            return 0
        owed = 0 if self.at_cap else self.owed
        return owed + self.counts.get(TrialState.WAITING, 0)

    @property
    def settled(self) -> bool:
        """Nothing runs, nothing waits, and nothing more can be created for the job."""
        return self.unfinished == 0 and (self.owed == 0 or self.at_cap or self.job.cancelled)


@dataclass(frozen=True)
class TrialSnapshot:
    """A study's trials as one process sees them after a refresh; all read-only.

    Attributes:
        trials: every trial, ordered by number.
        finished_log: every finished trial in the order this process learned of it. The
            list is only ever appended to, for the life of the process's cache.
        unfinished: the WAITING and RUNNING trials, ordered by number.
    """

    trials: list[FrozenTrial]
    finished_log: list[FrozenTrial]
    unfinished: list[FrozenTrial]
