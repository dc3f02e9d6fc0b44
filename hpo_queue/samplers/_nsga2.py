"""NSGAIISampler: a genetic multi-objective search whose parents come from the shared history.

No generation is held in a process. Every finished trial competes for the parent
population: the best ``population_size`` of them by constrained non-dominated rank, then
crowding distance (NSGA-II's elitist survival over everything evaluated so far), so a
worker that joins late, or restarts, computes the same parents as the others.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.samplers._arguments import check_int, check_no_constraints_func, loss_sign
from hpo_queue.samplers._base import SAMPLER_METHOD_KEY, BaseSampler
from hpo_queue.samplers._random import check_seed, sample_uniform
from hpo_queue.samplers._tpe._search_space import intersection_search_space
from hpo_queue.samplers._unit_space import UnitSpace
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

CROSSOVERS = ("uniform", "blxalpha", "sbx")


class NSGAIISampler(BaseSampler):
    """NSGA-II with Optuna's argument names; works for one objective too.

    Until ``population_size`` trials are COMPLETE, parameters are sampled at random. Then
    each new trial is a child of two parents picked by binary tournament from the parent
    population (see the module docstring): crossover with probability ``crossover_prob``,
    then each parameter is redrawn at random with probability ``mutation_prob``. Constraint
    values stored on trials (``create_study(constraints_func=...)``) rank feasible trials
    first and infeasible ones by their total violation.

    Args:
        population_size: Parents kept, and the random start-up length.
        mutation_prob: Per-parameter mutation probability (default 1 / number of params).
        crossover: ``"uniform"``, ``"blxalpha"`` (alpha 0.5) or ``"sbx"`` (eta 20); on the
            unit cube; categorical parameters always take one parent's value.
        crossover_prob: Probability that a child is a crossover (else a parent's copy).
        swapping_prob: For uniform crossover, the chance of taking the second parent's value.
        seed: Makes suggestions reproducible; each trial number gets its own stream.
        constraints_func: Not taken here: pass it to ``create_study``. Must be None.
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation_prob: float | None = None,
        crossover: str = "uniform",
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: None = None,
    ) -> None:
        self.population_size = check_int("population_size", population_size, 2)
        self.mutation_prob = (
            None if mutation_prob is None else _probability("mutation_prob", mutation_prob)
        )
        if crossover not in CROSSOVERS:
            raise InvalidInputError(
                f"crossover must be one of {', '.join(CROSSOVERS)}, got {crossover!r}."
            )
        self.crossover = crossover
        self.crossover_prob = _probability("crossover_prob", crossover_prob)
        self.swapping_prob = _probability("swapping_prob", swapping_prob)
        self.seed = check_seed(seed)
        check_no_constraints_func(constraints_func)

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "NSGAIISampler",
            "population_size": self.population_size,
            "mutation_prob": self.mutation_prob,
            "crossover": self.crossover,
            "crossover_prob": self.crossover_prob,
            "swapping_prob": self.swapping_prob,
            "seed": self.seed,
        }

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return intersection_search_space(history.trials, exclude_number=trial.number)

    def trial_system_attrs(self, history: TrialHistory, trial: FrozenTrial) -> dict[str, Any]:
        return {
            SAMPLER_METHOD_KEY: "random"
            if len(_complete(history, trial)) < self.population_size
            else "nsga2"
        }

    def sample_relative(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        complete = _complete(history, trial)
        if not search_space or len(complete) < self.population_size:
            return {}
        space = UnitSpace(search_space)
        x, kept = space.encode_trials(complete)
        trials = [complete[i] for i in kept]
        if len(trials) < 2:
            return {}
        losses = np.array(
            [
                [loss_sign(d) * v for d, v in zip(history.directions, t.values or (), strict=True)]
                for t in trials
            ]
        )
        violations = np.array([_violation(t) for t in trials])
        rank, crowding = rank_and_crowding(losses, violations)
        order = np.lexsort((-crowding, rank))
        parents = order[: self.population_size]
        rng = self.rng(trial, "nsga2")

        def tournament() -> int:
            a, b = rng.choice(parents, 2, replace=False)
            if rank[a] != rank[b]:
                return int(a if rank[a] < rank[b] else b)
            return int(a if crowding[a] >= crowding[b] else b)

        first, second = x[tournament()], x[tournament()]
        child = first.copy()
        if rng.random() < self.crossover_prob:
            child = self._cross(first, second, space.is_categorical, rng)
        params = space.decode(child)
        mutation_prob = self.mutation_prob if self.mutation_prob is not None else 1.0 / space.dim
        for name, dist in zip(space.names, space.distributions, strict=True):
            if rng.random() < mutation_prob:
                params[name] = sample_uniform(rng, dist)
        return params

    def _cross(
        self, a: np.ndarray, b: np.ndarray, is_categorical: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        take_b = rng.random(len(a)) < self.swapping_prob
        uniform = np.where(take_b, b, a)
        if self.crossover == "uniform":
            return uniform
        if self.crossover == "blxalpha":
            low, high = np.minimum(a, b), np.maximum(a, b)
            span = high - low
            child = rng.uniform(low - 0.5 * span, high + 0.5 * span)
        else:
            eta = 20.0
            u = rng.random(len(a))
            beta = np.where(
                u <= 0.5, (2 * u) ** (1 / (eta + 1)), (1 / (2 * (1 - u))) ** (1 / (eta + 1))
            )
            child = 0.5 * ((1 + beta) * a + (1 - beta) * b)
            child = np.where(
                rng.random(len(a)) < 0.5, child, 0.5 * ((1 - beta) * a + (1 + beta) * b)
            )
        child = np.clip(child, 0.0, 1.0)
        return np.where(is_categorical, uniform, child)

    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        return sample_uniform(self.rng(trial, "nsga2 independent", name), distribution)


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


def _complete(history: TrialHistory, trial: FrozenTrial) -> list[FrozenTrial]:
    return [
        t
        for t in history.trials
        if t.state is TrialState.COMPLETE
        and t.number != trial.number
        and t.values is not None
        and len(t.values) == len(history.directions)
        and all(math.isfinite(v) for v in t.values)
    ]


def _violation(trial: FrozenTrial) -> float:
    if trial.constraints is None:
        return 0.0
    total = sum(c for c in trial.constraints if c > 0.0)
    if any(math.isnan(c) for c in trial.constraints):
        return math.inf
    return float(total)


def _probability(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"{name} must be a number in [0, 1], got {value!r}.")
    return float(value)
