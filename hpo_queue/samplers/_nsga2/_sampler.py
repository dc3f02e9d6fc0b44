"""NSGAIISampler: a genetic multi-objective search whose parents come from the shared history.

No generation is held in a process: a trial's generation is stored on it, and a
generation's parents are a pure function of the stored results (``_generations.py``), so a
worker that joins late, or restarts, computes the same parents as the others.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.samplers._arguments import check_int, check_no_constraints_func
from hpo_queue.samplers._base import SAMPLER_METHOD_KEY, BaseSampler
from hpo_queue.samplers._nsga2._generations import (
    GENERATION_KEY,
    ParentPopulations,
    finished_results,
    next_generation,
    trial_generation,
)
from hpo_queue.samplers._nsga2._ranking import elite, rank_trials
from hpo_queue.samplers._random import check_seed, sample_uniform
from hpo_queue.samplers._tpe._search_space import intersection_search_space
from hpo_queue.samplers._unit_space import UnitSpace
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory

CROSSOVERS = ("uniform", "blxalpha", "sbx")
SURVIVALS = ("generational", "steady_state")


class NSGAIISampler(BaseSampler):
    """NSGA-II with Optuna's argument names; works for one objective too.

    Generational, as Optuna's: the first ``population_size`` trials (generation 0) are
    random; each later trial belongs to a generation, recorded on it as the system attr
    ``"NSGAIISampler:generation"``, and is a child of two parents picked by binary
    tournament from its generation's parent population, the elite of the previous
    generation's results and its parents (details, races and late results:
    ``hpo_queue/samplers/_nsga2/_generations.py``). A child is a crossover with probability
    ``crossover_prob`` (else a parent's copy), then each parameter is redrawn at random with
    probability ``mutation_prob``. Constraint values stored on trials
    (``create_study(constraints_func=...)``) rank feasible trials first and infeasible ones
    by their total violation.

    Args:
        population_size: Trials per generation, and parents kept.
        mutation_prob: Per-parameter mutation probability (default 1 / number of params).
        crossover: ``"uniform"``, ``"blxalpha"`` (alpha 0.5) or ``"sbx"`` (eta 20); on the
            unit cube; categorical parameters always take one parent's value.
        crossover_prob: Probability that a child is a crossover (else a parent's copy).
        swapping_prob: For uniform crossover, the chance of taking the second parent's value.
        seed: Makes suggestions reproducible; each trial number gets its own stream.
        constraints_func: Not taken here: pass it to ``create_study``. Must be None.
        survival: ``"generational"`` (above), or ``"steady_state"``: no generations, the
            parents are the elite of every COMPLETE trial so far, once there are
            ``population_size`` of them. Steady-state reached a larger hypervolume after
            500 trials on ZDT1/ZDT2, but ranks the whole history for every trial (about
            1.7 s per suggestion at 5,000 trials against 58 ms): see BENCHMARKS.md, "NSGA-II".
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
        survival: str = "generational",
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
        if survival not in SURVIVALS:
            raise InvalidInputError(
                f"survival must be one of {', '.join(SURVIVALS)}, got {survival!r}."
            )
        self.survival = survival
        # A per-process cache of a pure function of the history: not state to share.
        self._populations = ParentPopulations(self.population_size)
        self._last_parents: (
            tuple[TrialHistory, tuple[int, int | None], list[FrozenTrial]] | None
        ) = None

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "NSGAIISampler",
            "population_size": self.population_size,
            "mutation_prob": self.mutation_prob,
            "crossover": self.crossover,
            "crossover_prob": self.crossover_prob,
            "swapping_prob": self.swapping_prob,
            "seed": self.seed,
            "survival": self.survival,
        }

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        # Children inherit what every parent has; the rest is sampled at random.
        parents = self.parent_population(history, trial)
        return intersection_search_space(parents) if len(parents) >= 2 else {}

    def generation(self, history: TrialHistory, trial: FrozenTrial) -> int:
        """``trial``'s generation: the stored one, else the one it would join now."""
        stored = trial_generation(trial)
        if stored is not None:
            return stored
        return next_generation(history, trial, self.population_size)

    def parent_population(self, history: TrialHistory, trial: FrozenTrial) -> list[FrozenTrial]:
        """The trials ``trial``'s parents are drawn from (fewer than 2: sample at random)."""
        # One trial asks three times with one history (space, attrs, params): answer once.
        key = (trial.number, trial_generation(trial))
        last = self._last_parents
        if last is not None and last[0] is history and last[1] == key:
            return last[2]
        if self.survival == "generational":
            parents = self._populations.parents(history, self.generation(history, trial))
        else:
            complete = [t for t in finished_results(history) if t.number != trial.number]
            parents = (
                elite(complete, history.directions, self.population_size)
                if len(complete) >= self.population_size
                else []
            )
        self._last_parents = (history, key, parents)
        return parents

    def trial_system_attrs(self, history: TrialHistory, trial: FrozenTrial) -> dict[str, Any]:
        method = "nsga2" if len(self.parent_population(history, trial)) >= 2 else "random"
        if self.survival == "steady_state":
            return {SAMPLER_METHOD_KEY: method}
        return {SAMPLER_METHOD_KEY: method, GENERATION_KEY: self.generation(history, trial)}

    def sample_relative(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        parents = self.parent_population(history, trial)
        if len(parents) < 2:
            return {}
        space = UnitSpace(search_space)
        x, kept = space.encode_trials(parents)
        parents = [parents[i] for i in kept]
        if len(parents) < 2:
            return {}
        rank, crowding = rank_trials(parents, history.directions)
        rng = self.rng(trial, "nsga2")

        def tournament() -> int:
            a, b = rng.choice(len(parents), 2, replace=False)
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


def _probability(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"{name} must be a number in [0, 1], got {value!r}.")
    return float(value)
