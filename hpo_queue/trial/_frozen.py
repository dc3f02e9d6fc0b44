"""FrozenTrial: an immutable snapshot of one trial, as read from the store."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from hpo_queue.distributions import BaseDistribution
from hpo_queue.trial._state import TrialState


@dataclass
class FrozenTrial:
    """A trial as stored: what the samplers, pruners and users read.

    ``params`` holds external values (what the objective saw); ``distributions`` the
    distribution each parameter was drawn from.
    """

    number: int
    state: TrialState
    values: list[float] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    intermediate_values: dict[int, float] = field(default_factory=dict)
    datetime_start: datetime.datetime | None = None
    datetime_complete: datetime.datetime | None = None
    trial_id: int = -1
    worker: str | None = None
    fail_reason: str | None = None
    constraints: list[float] | None = None

    @property
    def value(self) -> float | None:
        """The single objective value (raises for a multi-objective trial)."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError("This trial has several objective values; use trial.values instead.")
        return self.values[0]

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    def is_feasible(self) -> bool:
        """True unless a constraint value is > 0 (the Optuna convention)."""
        return self.constraints is None or all(c <= 0.0 for c in self.constraints)
