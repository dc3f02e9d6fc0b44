"""The lifecycle states of a trial."""

from __future__ import annotations

import enum


class TrialState(enum.IntEnum):
    """WAITING (enqueued) -> RUNNING -> COMPLETE | PRUNED | FAIL."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    @classmethod
    def parse(cls, name: str | TrialState) -> TrialState:
        """Accept a TrialState or its name in any case ("complete", "PRUNED")."""
        if isinstance(name, TrialState):
            return name
        try:
            return cls[str(name).upper()]
        except KeyError:
            valid = ", ".join(s.name for s in cls)
            from hpo_queue.exceptions import InvalidInputError

            raise InvalidInputError(f"Unknown trial state {name!r}; use one of {valid}.") from None
