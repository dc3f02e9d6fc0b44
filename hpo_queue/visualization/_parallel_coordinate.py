"""Parallel coordinates: a polyline per completed trial across the objective and parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

# More lines than this turn the plot into a solid block; the most recent are kept.
DEFAULT_MAX_LINES = 1000


@dataclass(frozen=True)
class Axis:
    """A vertical axis: ``kind`` is "linear", "log" (low/high are log10) or "categorical"."""

    name: str
    kind: str
    low: float
    high: float
    labels: list[str]


@dataclass(frozen=True)
class ParallelCoordinates:
    """The objective axis first, then one axis per parameter (sorted by name).

    ``positions[i][j]`` is trial ``numbers[i]`` on axis ``j`` scaled to [0, 1] (0 at the
    bottom), or None when that trial has no such parameter.
    """

    direction: StudyDirection
    axes: list[Axis]
    numbers: list[int]
    values: list[float]
    positions: list[list[float | None]]


def _choice_label(choice: object) -> str:
    return "None" if choice is None else str(choice)


def _axis_for(name: str, trials: Sequence[FrozenTrial]) -> tuple[Axis, dict[str, float]]:
    """The axis of parameter ``name`` and, for a categorical one, each label's index."""
    distribution = next(
        (t.distributions[name] for t in reversed(trials) if name in t.distributions), None
    )
    raw = [t.params[name] for t in trials if name in t.params]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
    if isinstance(distribution, CategoricalDistribution) or not numeric:
        if isinstance(distribution, CategoricalDistribution):
            labels = [_choice_label(c) for c in distribution.choices]
        else:
            labels = sorted({_choice_label(v) for v in raw})
        for value in raw:
            if _choice_label(value) not in labels:
                labels.append(_choice_label(value))
        index = {label: float(i) for i, label in enumerate(labels)}
        return Axis(name, "categorical", 0.0, float(max(len(labels) - 1, 0)), labels), index
    log = isinstance(distribution, (FloatDistribution, IntDistribution)) and distribution.log
    points = [_coordinate(float(v), log) for v in raw]
    finite = [p for p in points if math.isfinite(p)]
    if isinstance(distribution, (FloatDistribution, IntDistribution)):
        low = _coordinate(float(distribution.low), log)
        high = _coordinate(float(distribution.high), log)
    else:
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if finite:
        low, high = min(low, *finite), max(high, *finite)
    return Axis(name, "log" if log else "linear", low, high, []), {}


def _coordinate(value: float, log: bool) -> float:
    if log:
        return math.log10(value) if value > 0 else math.nan
    return value


def _scale(value: float, low: float, high: float) -> float:
    if not math.isfinite(value):
        return math.nan
    return 0.5 if high <= low else (value - low) / (high - low)


def parallel_coordinates(
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    objective_index: int = 0,
    max_lines: int = DEFAULT_MAX_LINES,
) -> ParallelCoordinates:
    """The latest ``max_lines`` COMPLETE trials with a finite objective value."""
    direction = directions[objective_index]
    completed = [
        t
        for t in sorted(trials, key=lambda t: t.number)
        if t.state == TrialState.COMPLETE
        and t.values
        and objective_index < len(t.values)
        and math.isfinite(t.values[objective_index])
    ]
    if max_lines > 0:
        completed = completed[-max_lines:]
    values = [float(t.values[objective_index]) for t in completed]  # type: ignore[index]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    label = "objective" if len(directions) == 1 else f"objective {objective_index}"
    axes = [Axis(label, "linear", low, high, [])]
    names = sorted({name for t in completed for name in t.params})
    indexes: list[dict[str, float]] = []
    for name in names:
        axis, index = _axis_for(name, completed)
        axes.append(axis)
        indexes.append(index)
    positions: list[list[float | None]] = []
    for trial, value in zip(completed, values, strict=True):
        row: list[float | None] = [_scale(value, low, high)]
        for axis, index, name in zip(axes[1:], indexes, names, strict=True):
            if name not in trial.params:
                row.append(None)
                continue
            param = trial.params[name]
            if axis.kind == "categorical":
                point = index[_choice_label(param)]
            else:
                point = _coordinate(float(param), axis.kind == "log")
            scaled = _scale(point, axis.low, axis.high)
            row.append(None if math.isnan(scaled) else scaled)
        positions.append(row)
    return ParallelCoordinates(direction, axes, [t.number for t in completed], values, positions)
