"""Empirical distribution function (EDF): the share of trials with a value at most x."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState


@dataclass(frozen=True)
class EdfLine:
    """One study's step function: ``fractions[i]`` of its trials have a value <= ``values[i]``.

    ``values`` is sorted ascending; ``fractions[i] == (i + 1) / len(values)``.
    """

    name: str
    values: list[float]
    fractions: list[float]


@dataclass(frozen=True)
class EmpiricalDistribution:
    """One line per study, in the order given; ``low``/``high`` span every line's values."""

    objective_name: str
    lines: list[EdfLine]
    low: float | None
    high: float | None


def empirical_distribution(
    studies: Mapping[str, Sequence[FrozenTrial]],
    objective_index: int = 0,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "objective value",
) -> EmpiricalDistribution:
    """The EDF of each study's COMPLETE trials' finite values (or ``target(trial)``).

    Args:
        studies: each study's name and trials (one entry for a single study).
        objective_index: which objective (ignored with ``target``); a trial without that
            many values is left out.
        target: a function of a trial giving the value to use instead of its objective.
        target_name: the x axis' name.
    """
    lines = []
    for name, trials in studies.items():
        values = []
        for trial in trials:
            if trial.state != TrialState.COMPLETE or not trial.values:
                continue
            if target is None and objective_index >= len(trial.values):
                continue
            value = float(target(trial) if target else trial.values[objective_index])
            if math.isfinite(value):
                values.append(value)
        values.sort()
        count = len(values)
        lines.append(EdfLine(name, values, [(i + 1) / count for i in range(count)]))
    every = [v for line in lines for v in line.values]
    return EmpiricalDistribution(
        target_name, lines, min(every, default=None), max(every, default=None)
    )
