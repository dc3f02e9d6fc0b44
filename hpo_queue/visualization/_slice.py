"""Slice plot: the objective value against each parameter, one panel per parameter."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState


@dataclass(frozen=True)
class SlicePanel:
    """One parameter's points: ``x[i]`` is trial ``numbers[i]``'s value of the parameter.

    ``kind`` is "linear", "log" (x holds the raw values; draw the axis in log scale) or
    "categorical" (x holds the index of the choice in ``labels``).
    """

    param: str
    kind: str
    numbers: list[int]
    x: list[float]
    values: list[float]
    labels: list[str]


@dataclass(frozen=True)
class SliceData:
    """One panel per parameter, sorted by name (or in the order asked for)."""

    objective_name: str
    direction: StudyDirection | None
    panels: list[SlicePanel]


def _label(choice: object) -> str:
    return "None" if choice is None else str(choice)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _panel(name: str, rows: list[tuple[FrozenTrial, float]]) -> SlicePanel:
    trials = [t for t, _ in rows if name in t.params]
    values = [v for t, v in rows if name in t.params]
    distribution = next(
        (t.distributions[name] for t in reversed(trials) if name in t.distributions), None
    )
    raw = [t.params[name] for t in trials]
    numbers = [t.number for t in trials]
    if isinstance(distribution, CategoricalDistribution) or not all(map(_is_number, raw)):
        if isinstance(distribution, CategoricalDistribution):
            labels = [_label(c) for c in distribution.choices]
        else:
            labels = sorted({_label(v) for v in raw})
        for value in raw:
            if _label(value) not in labels:
                labels.append(_label(value))
        index = {label: float(i) for i, label in enumerate(labels)}
        x = [index[_label(v)] for v in raw]
        return SlicePanel(name, "categorical", numbers, x, values, labels)
    log = isinstance(distribution, (FloatDistribution, IntDistribution)) and distribution.log
    return SlicePanel(
        name, "log" if log else "linear", numbers, [float(v) for v in raw], values, []
    )


def slice_data(
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    objective_index: int = 0,
    params: Sequence[str] | None = None,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str | None = None,
) -> SliceData:
    """COMPLETE trials' values (or ``target(trial)``) against each parameter.

    Args:
        trials: a study's trials, in any order.
        directions: the study's directions.
        objective_index: which objective to plot (ignored with ``target``).
        params: the parameters to plot, in this order (default: all, sorted by name).
        target: a function of a trial giving the value to plot instead of its objective.
        target_name: the y axis' name (default: "objective" or "objective i").

    Raises:
        IndexError: no ``target`` and the study has no objective ``objective_index``.
    """
    direction = None if target else directions[objective_index]
    rows: list[tuple[FrozenTrial, float]] = []
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.state != TrialState.COMPLETE or not trial.values:
            continue
        if target is None and objective_index >= len(trial.values):
            continue
        value = float(target(trial) if target else trial.values[objective_index])
        if math.isfinite(value):
            rows.append((trial, value))
    names = list(params) if params is not None else sorted({n for t, _ in rows for n in t.params})
    if target_name is None:
        target_name = "objective" if len(directions) == 1 else f"objective {objective_index}"
    return SliceData(target_name, direction, [_panel(name, rows) for name in names])
