"""TPESampler: the default sampler, a parallel-aware multivariate Parzen-estimator optimizer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.samplers._base import BaseSampler
from hpo_queue.samplers._random import check_seed, sample_uniform
from hpo_queue.samplers._tpe._parzen_estimator import (
    ParzenEstimator,
    ParzenOptions,
    default_weights,
    n_below,
)
from hpo_queue.samplers._tpe._search_space import intersection_search_space, observations
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

_N_BELOW_CAP = 25


class TPESampler(BaseSampler):
    """Tree-structured Parzen Estimator, with Optuna's defaults and parameter names.

    Finished trials are split into a small good group and the rest; a new point is the
    candidate, drawn from the good group's density l(x), that maximizes l(x) / g(x) where g is
    the density of the rest. With ``constant_liar``, trials still RUNNING elsewhere join the
    bad group, so parallel workers spread out instead of piling on the same point.

    Args:
        seed: Makes suggestions reproducible; each trial number gets its own stream.
        n_startup_trials: Sample at random until this many trials are COMPLETE or PRUNED.
        n_ei_candidates: Candidates drawn from l(x) per suggestion.
        multivariate: Sample the parameters every finished trial shares jointly (the others,
            e.g. conditional ones, are sampled one at a time).
        constant_liar: Treat RUNNING trials as bad ones with the worst value.
        prior_weight: Weight of the wide prior kernel added to both densities.
        consider_magic_clip: Keep kernels from getting narrower than range / (n + 2).
        consider_endpoints: Let the range's ends widen the outermost kernels.
        gamma: Fraction of finished trials in the good group (default 0.1), capped at 25.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool = True,
        constant_liar: bool = True,
        prior_weight: float = 1.0,
        consider_magic_clip: bool = True,
        consider_endpoints: bool = False,
        gamma: float | None = None,
    ) -> None:
        self.seed = check_seed(seed)
        self.n_startup_trials = _check_int("n_startup_trials", n_startup_trials, minimum=0)
        self.n_ei_candidates = _check_int("n_ei_candidates", n_ei_candidates, minimum=1)
        self.multivariate = _check_bool("multivariate", multivariate)
        self.constant_liar = _check_bool("constant_liar", constant_liar)
        self.consider_magic_clip = _check_bool("consider_magic_clip", consider_magic_clip)
        self.consider_endpoints = _check_bool("consider_endpoints", consider_endpoints)
        if (
            isinstance(prior_weight, bool)
            or not isinstance(prior_weight, (int, float))
            or not math.isfinite(prior_weight)
            or prior_weight <= 0
        ):
            raise InvalidInputError(f"prior_weight must be a number > 0, got {prior_weight!r}.")
        self.prior_weight = float(prior_weight)
        if gamma is not None and (
            isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0 < gamma <= 1
        ):
            raise InvalidInputError(f"gamma must be None or a fraction in (0, 1], got {gamma!r}.")
        self.gamma = None if gamma is None else float(gamma)
        self._options = ParzenOptions(
            prior_weight=self.prior_weight,
            consider_magic_clip=self.consider_magic_clip,
            consider_endpoints=self.consider_endpoints,
        )

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "TPESampler",
            "seed": self.seed,
            "n_startup_trials": self.n_startup_trials,
            "n_ei_candidates": self.n_ei_candidates,
            "multivariate": self.multivariate,
            "constant_liar": self.constant_liar,
            "prior_weight": self.prior_weight,
            "consider_magic_clip": self.consider_magic_clip,
            "consider_endpoints": self.consider_endpoints,
            "gamma": self.gamma,
        }

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        # Multi-objective TPE samples independently, as Optuna does by default.
        if not self.multivariate or history.is_multi_objective:
            return {}
        return intersection_search_space(history.trials, exclude_number=trial.number)

    def sample_relative(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        if not search_space or self._in_startup(history, trial):
            return {}
        return self._sample(history, trial, search_space, ("relative",))

    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        if self._in_startup(history, trial) or distribution.single():
            return sample_uniform(self.rng(trial, "random", name), distribution)
        return self._sample(history, trial, {name: distribution}, ("independent", name))[name]

    def _in_startup(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        n_finished = sum(
            1
            for t in history.trials
            if t.state in (TrialState.COMPLETE, TrialState.PRUNED) and t.number != trial.number
        )
        return n_finished < self.n_startup_trials

    def _sample(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
        salt: tuple[str, ...],
    ) -> dict[str, Any]:
        below, above = self._split(history, trial)
        below_obs, _ = observations(below, search_space)
        above_obs, _ = observations(above, search_space)
        n_good = len(next(iter(below_obs.values())))
        n_bad = len(next(iter(above_obs.values())))
        good_weights = np.ones(n_good) if history.is_multi_objective else default_weights(n_good)
        good = ParzenEstimator(below_obs, search_space, good_weights, self._options)
        bad = ParzenEstimator(above_obs, search_space, default_weights(n_bad), self._options)

        rng = self.rng(trial, *salt)
        candidates = good.sample(rng, self.n_ei_candidates)
        with np.errstate(invalid="ignore"):
            scores = good.log_pdf(candidates) - bad.log_pdf(candidates)
        scores = np.where(np.isnan(scores), -np.inf, scores)
        best = int(np.argmax(scores))
        return {
            name: dist.to_external(float(candidates[name][best]))
            for name, dist in search_space.items()
        }

    def _split(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> tuple[list[FrozenTrial], list[FrozenTrial]]:
        """The good and bad groups, each ordered by trial number.

        COMPLETE trials rank first (by value), then PRUNED ones (furthest step first, then
        by their last intermediate value); RUNNING trials are always bad (constant liar);
        FAIL and WAITING trials carry no information.
        """
        n_objectives = len(history.directions)
        complete: list[FrozenTrial] = []
        pruned: list[FrozenTrial] = []
        running: list[FrozenTrial] = []
        for t in history.trials:
            if t.number == trial.number:
                continue
            if t.state == TrialState.COMPLETE:
                if t.values is not None and len(t.values) == n_objectives:
                    complete.append(t)
            elif t.state == TrialState.PRUNED:
                pruned.append(t)
            elif t.state == TrialState.RUNNING and self.constant_liar:
                running.append(t)

        fraction = 0.1 if self.gamma is None else self.gamma
        n_good = n_below(len(complete) + len(pruned), fraction, _N_BELOW_CAP)
        signs = np.array(
            [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in history.directions]
        )
        losses = np.array([t.values for t in complete], dtype=float).reshape(-1, n_objectives)
        losses = np.where(np.isnan(losses), np.inf, losses * signs)

        if n_objectives == 1:
            order = np.argsort(losses[:, 0], kind="stable")
            good_complete = order[: min(n_good, len(complete))]
        else:
            good_complete = _nondominated_best(losses, min(n_good, len(complete)))
        is_good = np.zeros(len(complete), dtype=bool)
        is_good[good_complete] = True
        below = [t for t, g in zip(complete, is_good, strict=True) if g]
        above = [t for t, g in zip(complete, is_good, strict=True) if not g]

        n_left = n_good - len(below)
        if n_objectives == 1 and n_left > 0:
            ranked = sorted(pruned, key=lambda t: _pruned_rank(t, float(signs[0])))
            below += ranked[:n_left]
            above += ranked[n_left:]
        else:
            above += pruned
        above += running
        below.sort(key=lambda t: t.number)
        above.sort(key=lambda t: t.number)
        return below, above


def _pruned_rank(trial: FrozenTrial, sign: float) -> tuple[float, float]:
    """Sort key of a PRUNED trial: furthest step first, then best last intermediate value."""
    if trial.intermediate_values:
        step, value = max(trial.intermediate_values.items())
        loss = sign * value
        return (-float(step), math.inf if math.isnan(loss) else loss)
    if trial.values:
        loss = sign * trial.values[0]
        return (math.inf, math.inf if math.isnan(loss) else loss)
    return (math.inf, math.inf)


def _nondominated_best(losses: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` points taken front by front (non-dominated sorting, minimization).

    Ties in the last front are broken by the sum of per-objective ranks.
    """
    n = len(losses)
    if k <= 0:
        return np.zeros(0, dtype=int)
    if k >= n:
        return np.arange(n)
    # dominates[i, j]: i is no worse everywhere and better somewhere than j.
    no_worse = np.all(losses[:, None, :] <= losses[None, :, :], axis=2)
    better = np.any(losses[:, None, :] < losses[None, :, :], axis=2)
    dominates: np.ndarray = no_worse & better
    dominated_count = dominates.sum(axis=0)
    remaining = np.ones(n, dtype=bool)
    chosen: list[int] = []
    rank_sum = np.argsort(np.argsort(losses, axis=0), axis=0).sum(axis=1)
    while len(chosen) < k:
        front = np.flatnonzero(remaining & (dominated_count == 0))
        if len(chosen) + len(front) > k:
            front = front[np.argsort(rank_sum[front], kind="stable")][: k - len(chosen)]
            chosen.extend(front.tolist())
            break
        chosen.extend(front.tolist())
        remaining[front] = False
        dominated_count = dominated_count - dominates[front].sum(axis=0)
    return np.array(chosen, dtype=int)


def _check_int(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be True or False, got {value!r}.")
    return value
