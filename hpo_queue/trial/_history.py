"""TrialHistory: the read-only view of a study that samplers and pruners decide from."""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass

from hpo_queue.directions import StudyDirection
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState


@dataclass(frozen=True)
class TrialHistory:
    """Every trial of a study (RUNNING and WAITING included), ordered by number.

    Samplers and pruners are pure functions of a TrialHistory: they never touch the store,
    so they are tested on hand-made histories.
    """

    directions: tuple[StudyDirection, ...]
    trials: Sequence[FrozenTrial]
    # Optional views a store provides so that samplers need not scan ``trials``:
    # finished_log holds every finished trial in the order this process learned of it and
    # is only ever appended to (a sampler may remember how far it has read);
    # unfinished holds the WAITING and RUNNING trials.
    finished_log: Sequence[FrozenTrial] | None = None
    unfinished: Sequence[FrozenTrial] | None = None

    @property
    def is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    def with_states(self, states: Container[TrialState]) -> list[FrozenTrial]:
        return [t for t in self.trials if t.state in states]

    def completed(self) -> list[FrozenTrial]:
        return [t for t in self.trials if t.state == TrialState.COMPLETE]
