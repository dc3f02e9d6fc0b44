"""Pareto front: a multi-objective study's non-dominated trials and the dominated rest."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.study._pareto import pareto_front
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

# Optuna's study system attribute for the objectives' names (``study.set_metric_names``).
METRIC_NAMES_KEY = "study:metric_names"


@dataclass(frozen=True)
class ParetoPoint:
    """One COMPLETE trial: its objective values (or targets) and parameters."""

    number: int
    values: tuple[float, ...]
    params: dict[str, Any]


@dataclass(frozen=True)
class ParetoFront:
    """The front (best trials) and the other trials, each list sorted by trial number.

    ``front``: feasible trials no other feasible trial dominates; ``dominated``: the other
    feasible ones; ``infeasible``: trials with a constraint value > 0 (never on the front).
    ``objective_names`` has one name per value, from the study's metric names when set.
    """

    objective_names: list[str]
    directions: list[StudyDirection]
    front: list[ParetoPoint]
    dominated: list[ParetoPoint]
    infeasible: list[ParetoPoint]

    @property
    def n_objectives(self) -> int:
        return len(self.directions)


def objective_names(n_objectives: int, metric_names: Sequence[str] | None = None) -> list[str]:
    """The objectives' display names: ``metric_names`` when it names each, else "objective i"."""
    if metric_names is not None and len(metric_names) == n_objectives:
        return [str(name) for name in metric_names]
    if n_objectives == 1:
        return ["objective"]
    return [f"objective {i}" for i in range(n_objectives)]


def pareto_front_data(
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    metric_names: Sequence[str] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> ParetoFront:
    """Split the COMPLETE trials with finite values into front, dominated and infeasible.

    Args:
        trials: a study's trials, in any order.
        directions: the study's directions (with ``targets``: one per target value).
        metric_names: the objectives' names (see :func:`objective_names`).
        targets: a function of a trial giving the values to plot instead of its values.
    """
    points: list[tuple[FrozenTrial, ParetoPoint]] = []
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.state != TrialState.COMPLETE or not trial.values:
            continue
        values = tuple(float(v) for v in (targets(trial) if targets else trial.values))
        if len(values) != len(directions) or not all(math.isfinite(v) for v in values):
            continue
        points.append((trial, ParetoPoint(trial.number, values, dict(trial.params))))
    feasible = [(t, p) for t, p in points if t.is_feasible()]
    # The front is computed on the plotted values, which ``targets`` may have changed.
    stand_ins = [
        FrozenTrial(number=p.number, state=t.state, values=list(p.values)) for t, p in feasible
    ]
    best = {t.number for t in pareto_front(stand_ins, directions)}
    return ParetoFront(
        objective_names=objective_names(len(directions), metric_names),
        directions=list(directions),
        front=[p for _, p in feasible if p.number in best],
        dominated=[p for _, p in feasible if p.number not in best],
        infeasible=[p for t, p in points if not t.is_feasible()],
    )
