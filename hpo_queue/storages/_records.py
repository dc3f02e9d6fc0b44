"""Plain records the storage returns: a study's definition, its summary, a claim's outcome."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.trial._frozen import FrozenTrial


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
    CAP_REACHED = "cap_reached"  # max_trials non-failed trials exist
    EXHAUSTED = "exhausted"  # the sampler has nothing left to try (grid used up)


@dataclass(frozen=True)
class Claim:
    status: ClaimStatus
    trial: FrozenTrial | None = None
    detail: str = ""


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
