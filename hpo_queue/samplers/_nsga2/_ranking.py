"""NSGA-II's order of trials: constrained non-dominated rank, then crowding distance."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.samplers._arguments import loss_sign
from hpo_queue.trial._frozen import FrozenTrial


def rank_and_crowding(losses: np.ndarray, violations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Constrained non-dominated rank (0 best) and crowding distance per row (minimization).

    Feasible rows take the fronts first; infeasible ones follow, one front per distinct
    violation, least violation first.
    """
    n = len(losses)
    rank = np.zeros(n, dtype=int)
    feasible = violations <= 0.0
    rows = np.flatnonzero(feasible)
    next_rank = 0
    if len(rows):
        sub = losses[rows]
        no_worse = np.all(sub[:, None, :] <= sub[None, :, :], axis=2)
        better = np.any(sub[:, None, :] < sub[None, :, :], axis=2)
        dominates = no_worse & better
        count = dominates.sum(axis=0)
        remaining = np.ones(len(rows), dtype=bool)
        while remaining.any():
            front = np.flatnonzero(remaining & (count == 0))
            rank[rows[front]] = next_rank
            next_rank += 1
            remaining[front] = False
            count = count - dominates[front].sum(axis=0)
    infeasible = np.flatnonzero(~feasible)
    if len(infeasible):
        _, inverse = np.unique(violations[infeasible], return_inverse=True)
        rank[infeasible] = next_rank + inverse
    crowding = np.zeros(n)
    for r in np.unique(rank):
        members = np.flatnonzero(rank == r)
        crowding[members] = _crowding(losses[members])
    return rank, crowding


def rank_trials(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rank_and_crowding` of finished trials (their values and stored constraints)."""
    losses = np.array(
        [
            [loss_sign(d) * v for d, v in zip(directions, t.values or (), strict=True)]
            for t in trials
        ]
    ).reshape(len(trials), len(directions))
    violations = np.array([violation(t) for t in trials])
    return rank_and_crowding(losses, violations)


def elite(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection], size: int
) -> list[FrozenTrial]:
    """The best ``size`` trials: by rank, then crowding distance, then trial number.

    The trial number breaks ties so that the choice does not depend on the input's order.
    """
    if len(trials) <= size:
        return sorted(trials, key=lambda t: t.number)
    rank, crowding = rank_trials(trials, directions)
    numbers = np.array([t.number for t in trials])
    order = np.lexsort((numbers, -crowding, rank))[:size]
    return sorted((trials[i] for i in order), key=lambda t: t.number)


def violation(trial: FrozenTrial) -> float:
    """Total positive constraint value (0 when feasible or unconstrained; inf for NaN)."""
    if trial.constraints is None:
        return 0.0
    if any(math.isnan(c) for c in trial.constraints):
        return math.inf
    return float(sum(c for c in trial.constraints if c > 0.0))


def _crowding(front: np.ndarray) -> np.ndarray:
    n, m = front.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, math.inf)
    for k in range(m):
        order = np.argsort(front[:, k], kind="stable")
        values = front[order, k]
        span = values[-1] - values[0]
        distance[order[0]] = distance[order[-1]] = math.inf
        if span > 0 and math.isfinite(span):
            distance[order[1:-1]] += (values[2:] - values[:-2]) / span
    return distance
