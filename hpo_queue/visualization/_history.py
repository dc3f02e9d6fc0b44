"""Optimization history: each completed trial's objective value and the best value so far."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hpo_queue.directions import StudyDirection
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState


@dataclass(frozen=True)
class OptimizationHistory:
    """Points of a history plot, in trial-number order.

    ``best_values[i]`` is the best feasible value among the first ``i + 1`` points (NaN until
    a feasible trial is seen).
    """

    objective_index: int
    direction: StudyDirection
    numbers: list[int]
    values: list[float]
    best_values: list[float]


def optimization_history(
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    objective_index: int = 0,
) -> OptimizationHistory:
    """The COMPLETE trials with a finite value for objective ``objective_index``.

    Raises:
        IndexError: the study has no objective ``objective_index``.
    """
    direction = directions[objective_index]
    numbers: list[int] = []
    values: list[float] = []
    best_values: list[float] = []
    best = math.nan
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.state != TrialState.COMPLETE or not trial.values:
            continue
        if objective_index >= len(trial.values):
            continue
        value = float(trial.values[objective_index])
        if not math.isfinite(value):
            continue
        if trial.is_feasible() and (
            math.isnan(best)
            or (value < best if direction == StudyDirection.MINIMIZE else value > best)
        ):
            best = value
        numbers.append(trial.number)
        values.append(value)
        best_values.append(best)
    return OptimizationHistory(objective_index, direction, numbers, values, best_values)
