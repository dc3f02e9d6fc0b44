"""CmaEsSampler: CMA-ES rebuilt from the shared history at every suggestion, so any worker can ask.

No optimizer state lives in a process. The finished trials, in the order they finished,
are cut into generations of ``population_size`` and replayed through ``cmaes.CMA.tell``;
the new trial is a draw from the resulting distribution with the trial's own seeded stream.
A result that arrives late simply joins the generation being filled when it arrives, so
every finished trial is used and none is discarded for belonging to an older generation.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from hpo_queue._lazy_import import LazyModule
from hpo_queue.distributions import BaseDistribution, CategoricalDistribution
from hpo_queue.exceptions import InvalidInputError, MultiObjectiveError
from hpo_queue.samplers._arguments import check_int, loss_sign
from hpo_queue.samplers._base import SAMPLER_METHOD_KEY, BaseSampler
from hpo_queue.samplers._random import check_seed, sample_uniform
from hpo_queue.samplers._tpe._search_space import intersection_search_space
from hpo_queue.samplers._unit_space import UnitSpace
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

cmaes = LazyModule("cmaes")

_RESTART_STRATEGIES = (None, "ipop")
_EPOCH = datetime.datetime.min.replace(tzinfo=datetime.UTC)


class CmaEsSampler(BaseSampler):
    """CMA-ES over the numeric parameters, with Optuna's argument names.

    The search runs in the unit cube (log parameters in log space); categorical parameters
    are sampled independently at random, as Optuna's CmaEsSampler does by default.

    Args:
        x0: Initial mean, parameter name -> external value (default: the centre).
        sigma0: Initial step size in the unit cube (default 1/6, Optuna's range / 6).
        seed: Makes suggestions reproducible; each trial number gets its own stream.
        n_startup_trials: Sample at random until this many trials are COMPLETE.
        restart_strategy: None or ``"ipop"`` (restart with a doubled population when the
            search stagnates; the restarts are part of the replay, so workers agree).
        popsize: Population (generation) size; default 4 + floor(3 ln d).
        inc_popsize: IPOP's population growth factor.
        source_trials: Finished trials of a similar task to warm-start from (WS-CMA-ES);
            FrozenTrials or ``{"params": {...}, "value": v}`` dicts (kept in the config).
    """

    def __init__(
        self,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        *,
        seed: int | None = None,
        n_startup_trials: int = 1,
        restart_strategy: str | None = None,
        popsize: int | None = None,
        inc_popsize: int = 2,
        source_trials: Sequence[FrozenTrial | dict[str, Any]] | None = None,
    ) -> None:
        if x0 is not None and not isinstance(x0, dict):
            raise InvalidInputError(f"x0 must be a dict of name -> value, got {x0!r}.")
        self.x0 = None if x0 is None else dict(x0)
        if sigma0 is not None and (
            isinstance(sigma0, bool)
            or not isinstance(sigma0, (int, float))
            or not math.isfinite(sigma0)
            or sigma0 <= 0
        ):
            raise InvalidInputError(f"sigma0 must be None or a number > 0, got {sigma0!r}.")
        self.sigma0 = None if sigma0 is None else float(sigma0)
        self.seed = check_seed(seed)
        self.n_startup_trials = check_int("n_startup_trials", n_startup_trials, 0)
        if restart_strategy not in _RESTART_STRATEGIES:
            raise InvalidInputError(
                f"restart_strategy must be None or 'ipop', got {restart_strategy!r} "
                "(BIPOP is not supported)."
            )
        self.restart_strategy = restart_strategy
        self.popsize = None if popsize is None else check_int("popsize", popsize, 2)
        self.inc_popsize = check_int("inc_popsize", inc_popsize, 1)
        if x0 is not None and source_trials is not None:
            raise InvalidInputError("Give x0 or source_trials, not both.")
        self.source_trials = None if source_trials is None else _source_points(source_trials)

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "CmaEsSampler",
            "x0": self.x0,
            "sigma0": self.sigma0,
            "seed": self.seed,
            "n_startup_trials": self.n_startup_trials,
            "restart_strategy": self.restart_strategy,
            "popsize": self.popsize,
            "inc_popsize": self.inc_popsize,
            "source_trials": self.source_trials,
        }

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if history.is_multi_objective:
            raise MultiObjectiveError(
                "CmaEsSampler optimizes one objective; for several use NSGAIISampler, "
                "TPESampler or AutoSampler (the default)."
            )
        space = intersection_search_space(history.trials, exclude_number=trial.number)
        return {n: d for n, d in space.items() if not isinstance(d, CategoricalDistribution)}

    def trial_system_attrs(self, history: TrialHistory, trial: FrozenTrial) -> dict[str, Any]:
        return {SAMPLER_METHOD_KEY: "random" if self._in_startup(history, trial) else "cmaes"}

    def _in_startup(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        n = sum(
            1 for t in history.trials if t.state is TrialState.COMPLETE and t.number != trial.number
        )
        return n < self.n_startup_trials

    def sample_relative(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        if not search_space or self._in_startup(history, trial):
            return {}
        space = UnitSpace(search_space)
        if space.dim == 1:
            # CMA-ES needs two dimensions (as Optuna's): fall back to independent sampling.
            return {}
        optimizer = self._replay(space, history, trial)
        optimizer._rng = np.random.RandomState(self.rng(trial, "cmaes").integers(2**31))
        return space.decode(optimizer.ask())

    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        return sample_uniform(self.rng(trial, "cmaes independent", name), distribution)

    def _replay(self, space: UnitSpace, history: TrialHistory, trial: FrozenTrial) -> Any:
        """The optimizer after telling it every finished trial, generation by generation."""
        sign = loss_sign(history.directions[0])
        finished = [
            t
            for t in history.trials
            if t.state is TrialState.COMPLETE
            and t.number != trial.number
            and t.values is not None
            and math.isfinite(t.values[0])
        ]
        finished.sort(key=lambda t: (t.datetime_complete or _EPOCH, t.number))
        x, kept = space.encode_trials(finished)
        losses = [sign * finished[i].values[0] for i in kept]  # type: ignore[index]
        bounds = np.tile([0.0, 1.0], (space.dim, 1))
        mean, sigma, cov = self._initial(space, sign)
        restart = 0
        popsize = self.popsize

        def new_optimizer() -> Any:
            seed = None if self.seed is None else self.seed + restart
            return cmaes.CMA(
                mean=mean.copy(),
                sigma=sigma,
                bounds=bounds,
                seed=seed,
                population_size=popsize,
                cov=cov,
            )

        optimizer = new_optimizer()
        start = 0
        while start + optimizer.population_size <= len(losses):
            end = start + optimizer.population_size
            optimizer.tell([(np.clip(x[i], 0, 1), losses[i]) for i in range(start, end)])
            start = end
            if self.restart_strategy == "ipop" and optimizer.should_stop():
                restart += 1
                popsize = optimizer.population_size * self.inc_popsize
                mean = np.random.default_rng([self.seed or 0, restart]).uniform(0, 1, space.dim)
                cov = None
                optimizer = new_optimizer()
        return optimizer

    def _initial(
        self, space: UnitSpace, sign: float
    ) -> tuple[np.ndarray, float, np.ndarray | None]:
        sigma = 1.0 / 6.0 if self.sigma0 is None else self.sigma0
        if self.source_trials:
            solutions = []
            for point in self.source_trials:
                row = space.encode(point["params"])
                if row is not None:
                    solutions.append((row, sign * float(point["value"])))
            if len(solutions) >= 2:
                mean, ws_sigma, cov = cmaes.get_warm_start_mgd(solutions)
                return np.clip(mean, 0, 1), float(ws_sigma), cov
        mean = np.full(space.dim, 0.5)
        for i, name in enumerate(space.names):
            if self.x0 and name in self.x0:
                one = UnitSpace({name: space.distributions[i]}).encode({name: self.x0[name]})
                if one is None:
                    raise InvalidInputError(
                        f"x0[{name!r}] = {self.x0[name]!r} is outside {space.distributions[i]}."
                    )
                mean[i] = one[0]
        return mean, sigma, None


def _source_points(source_trials: Sequence[FrozenTrial | dict[str, Any]]) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    for t in source_trials:
        if isinstance(t, FrozenTrial):
            if t.state is not TrialState.COMPLETE or t.values is None or len(t.values) != 1:
                continue
            points.append({"params": dict(t.params), "value": float(t.values[0])})
        elif isinstance(t, dict) and isinstance(t.get("params"), dict) and "value" in t:
            points.append({"params": dict(t["params"]), "value": float(t["value"])})
        else:
            raise InvalidInputError(
                "source_trials must hold FrozenTrials or {'params': {...}, 'value': v} dicts, "
                f"got {t!r}."
            )
    return points
