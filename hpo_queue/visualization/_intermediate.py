"""Intermediate values: the learning curve each trial reported, for pruning plots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hpo_queue.trial._frozen import FrozenTrial

# Beyond this many curves a plot is unreadable (and heavy); the most recent are kept.
DEFAULT_MAX_CURVES = 300


@dataclass(frozen=True)
class IntermediateCurve:
    """One trial's reported (step, value) pairs, in step order, finite values only."""

    number: int
    state: str
    steps: list[int]
    values: list[float]


def intermediate_curves(
    trials: Sequence[FrozenTrial], max_curves: int = DEFAULT_MAX_CURVES
) -> list[IntermediateCurve]:
    """Curves of the trials that reported intermediate values, the latest ``max_curves``."""
    curves = []
    for trial in sorted(trials, key=lambda t: t.number):
        points = [
            (int(step), float(value))
            for step, value in sorted(trial.intermediate_values.items())
            if math.isfinite(value)
        ]
        if not points:
            continue
        curves.append(
            IntermediateCurve(
                number=trial.number,
                state=trial.state.name,
                steps=[step for step, _ in points],
                values=[value for _, value in points],
            )
        )
    return curves[-max_curves:] if max_curves > 0 else curves
