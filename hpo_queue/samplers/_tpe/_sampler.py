"""TPESampler: a parallel-aware multivariate Parzen-estimator optimizer (AutoSampler uses it)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hpo_queue._arguments import reject_unsupported
from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import InvalidInputError, UnsupportedArgumentError
from hpo_queue.samplers._base import BaseSampler
from hpo_queue.samplers._random import check_seed, sample_uniform
from hpo_queue.samplers._tpe._columns import FINISHED, ColumnCache, FinishedColumns
from hpo_queue.samplers._tpe._parzen_estimator import (
    ParzenOptions,
    ParzenPair,
    default_weights,
    n_below,
)
from hpo_queue.samplers._tpe._search_space import internal_value
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

_N_BELOW_CAP = 25
# A sampler's config arrives from the store or the command line: its sizes are bounded, so
# one stored config cannot ask every worker for gigabytes (Optuna's default is 24 candidates).
MAX_CANDIDATES = 10_000
MAX_TRIAL_COUNT = 10_000_000


class TPESampler(BaseSampler):
    """Tree-structured Parzen Estimator, with Optuna's defaults and parameter names.

    Finished trials are split into a small good group and the rest; a new point is the
    candidate, drawn from the good group's density l(x), that maximizes l(x) / g(x) where g is
    the density of the rest. With ``constant_liar``, trials still RUNNING elsewhere join the
    bad group, so parallel workers spread out instead of piling on the same point.

    Two defaults differ from Optuna's TPE, both for asynchronous parallel studies (many trials
    in flight), and both chosen on held-out benchmark seeds (see BENCHMARKS.md, "Sampler
    quality"); ``running_weight=1.0, n_local_candidates=0`` gives Optuna's behaviour:

    * ``running_weight=0.25``: a RUNNING trial counts a quarter as much as a finished one in
      g(x). It still pushes suggestions away from points being evaluated, but early in a
      study, when the in-flight trials are a large share of the bad group, it no longer
      dominates g(x) with points that carry no result.
    * ``n_local_candidates=4``: 4 of the ``n_ei_candidates`` candidates are Gaussian steps
      around the best feasible trial (half its kernel's bandwidth per parameter; categorical
      values kept), scored by the same l(x) / g(x). Draws from l(x) rarely land close to the
      incumbent in several dimensions at once; these do, so TPE refines the best point when
      the ratio says so. The candidate count, and so the speed, is unchanged.

    One more bounds the cost in long studies: g(x) is fitted to at most ``max_bad_trials``
    finished bad trials, a uniform random subset drawn per trial (the usual age weights are
    then applied to it), so a suggestion costs about the same at 5,000 trials as at 500.
    Below that many bad trials nothing changes.

    Args:
        seed: Makes suggestions reproducible; each trial number gets its own stream.
        n_startup_trials: Sample at random until this many trials are COMPLETE or PRUNED.
        n_ei_candidates: Candidates per suggestion (drawn from l(x), but for the local ones);
            at most 10,000, like ``n_local_candidates``.
        multivariate: Sample the parameters every finished trial shares jointly (the others,
            e.g. conditional ones, are sampled one at a time).
        constant_liar: Treat RUNNING trials as bad ones with the worst value.
        running_weight: Weight of a RUNNING trial in g(x), relative to a finished one
            (with ``constant_liar``; Optuna's is 1.0).
        n_local_candidates: How many of the candidates are local steps around the best
            feasible trial (single-objective, at most half of ``n_ei_candidates``; 0 turns
            it off).
        prior_weight: Weight of the wide prior kernel added to both densities.
        consider_magic_clip: Keep kernels from getting narrower than range / (n + 2).
        consider_endpoints: Let the range's ends widen the outermost kernels.
        gamma: Fraction of finished trials in the good group (default 0.1), capped at 25.
        max_bad_trials: Fit g(x) to at most this many finished bad trials (None: all).
        constraints_func: As Optuna's: handed to the study, which applies it in every
            process and stores each trial's constraint values, which TPE reads (the study's
            own ``create_study(constraints_func=...)`` wins if both are given).
        consider_prior, weights, group, warn_independent_sampling: Optuna's; accepted with
            their default values (``warn_independent_sampling`` with any). A callable
            ``gamma`` or ``weights``, ``group=True`` and ``consider_prior=False`` raise
            UnsupportedArgumentError: the sampler is stored as JSON for every worker.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool | None = True,
        constant_liar: bool = True,
        prior_weight: float | None = 1.0,
        consider_magic_clip: bool | None = True,
        consider_endpoints: bool | None = False,
        gamma: float | Callable[[int], int] | None = None,
        running_weight: float = 0.25,
        n_local_candidates: int = 4,
        max_bad_trials: int | None = 500,
        consider_prior: bool | None = None,
        weights: Callable[[int], Any] | None = None,
        group: bool = False,
        warn_independent_sampling: bool | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        **unsupported: Any,
    ) -> None:
        reject_unsupported("TPESampler", unsupported, {})
        _check_optuna_only_arguments(consider_prior, gamma, weights, group)
        # None is Optuna's "the default" for these.
        multivariate = True if multivariate is None else multivariate
        prior_weight = 1.0 if prior_weight is None else prior_weight
        consider_magic_clip = True if consider_magic_clip is None else consider_magic_clip
        consider_endpoints = False if consider_endpoints is None else consider_endpoints
        # The study applies it in every process (create_study takes it from the sampler).
        self.constraints_func = constraints_func
        self.seed = check_seed(seed)
        self.n_startup_trials = _check_int(
            "n_startup_trials", n_startup_trials, minimum=0, maximum=MAX_TRIAL_COUNT
        )
        self.n_ei_candidates = _check_int(
            "n_ei_candidates", n_ei_candidates, minimum=1, maximum=MAX_CANDIDATES
        )
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
        if (
            isinstance(running_weight, bool)
            or not isinstance(running_weight, (int, float))
            or not 0 < running_weight <= 1
        ):
            raise InvalidInputError(
                f"running_weight must be a number in (0, 1], got {running_weight!r}."
            )
        self.running_weight = float(running_weight)
        self.n_local_candidates = _check_int(
            "n_local_candidates", n_local_candidates, minimum=0, maximum=MAX_CANDIDATES
        )
        self.max_bad_trials = (
            None
            if max_bad_trials is None
            else _check_int("max_bad_trials", max_bad_trials, minimum=1, maximum=MAX_TRIAL_COUNT)
        )
        self._options = ParzenOptions(
            prior_weight=self.prior_weight,
            consider_magic_clip=self.consider_magic_clip,
            consider_endpoints=self.consider_endpoints,
        )
        self._columns = ColumnCache()

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
            "running_weight": self.running_weight,
            "n_local_candidates": self.n_local_candidates,
            "max_bad_trials": self.max_bad_trials,
        }

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        # Multi-objective TPE samples independently, as Optuna does by default.
        if not self.multivariate or history.is_multi_objective:
            return {}
        space = self._finished_columns(history, trial).space
        if not space:
            return {}
        return {name: space[name] for name in sorted(space) if not space[name].single()}

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
        n_finished = 0
        for t in history.trials:
            if t.state in FINISHED and t.number != trial.number:
                n_finished += 1
                if n_finished >= self.n_startup_trials:
                    return False
        return n_finished < self.n_startup_trials

    def _sample(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
        salt: tuple[str, ...],
    ) -> dict[str, Any]:
        columns = self._finished_columns(history, trial)
        running = _running(history, trial) if self.constant_liar else []
        below, above = self._split(columns, history.is_multi_objective)
        if self.max_bad_trials is not None and len(above) > self.max_bad_trials:
            # Its own stream, so that studies below the cap draw exactly what they did.
            subset = self.rng(trial, *salt, "bad subset").choice(
                len(above), self.max_bad_trials, replace=False
            )
            above = np.sort(above[subset])

        names = list(search_space)
        finished_rows = np.column_stack(
            [columns.param(name, dist) for name, dist in search_space.items()]
        ).reshape(columns.size, len(names))
        good_rows = _rows_by_number(finished_rows, columns.numbers, below)
        below_obs = _observations(finished_rows[good_rows], names)
        if running:
            running_rows = np.array(
                [
                    [_internal_or_nan(d, t.params, n) for n, d in search_space.items()]
                    for t in running
                ],
                dtype=float,
            ).reshape(len(running), len(names))
            running_numbers = np.array([t.number for t in running], dtype=np.int64)
            bad_matrix = np.concatenate([finished_rows[above], running_rows])
            above_numbers = np.concatenate([columns.numbers[above], running_numbers])
            above_obs = _observations(
                bad_matrix[_rows_by_number(bad_matrix, above_numbers, None)], names
            )
        else:
            above_obs = _observations(
                finished_rows[_rows_by_number(finished_rows, columns.numbers, above)], names
            )
        n_good = len(below_obs[names[0]])
        n_bad = len(above_obs[names[0]])
        good_weights = np.ones(n_good) if history.is_multi_objective else default_weights(n_good)
        bad_weights = default_weights(n_bad)
        if len(running) and self.running_weight != 1.0:
            # Observations are ordered by number; mark which of them are RUNNING trials.
            full = ~np.isnan(bad_matrix).any(axis=1)
            is_running = np.isin(np.sort(above_numbers[full], kind="stable"), running_numbers)
            bad_weights = bad_weights * np.where(is_running, self.running_weight, 1.0)
        densities = ParzenPair(
            below_obs, above_obs, search_space, good_weights, bad_weights, self._options
        )

        rng = self.rng(trial, *salt)
        incumbent = None
        if not history.is_multi_objective:
            incumbent = _incumbent(columns, good_rows)
        n_local = min(self.n_local_candidates, self.n_ei_candidates // 2)
        if incumbent is None:
            n_local = 0
        candidates = densities.sample(rng, self.n_ei_candidates - n_local)
        if n_local:
            assert incumbent is not None
            local = densities.sample_local(rng, incumbent, n_local)
            candidates = {k: np.concatenate([candidates[k], local[k]]) for k in names}
        scores = densities.log_ratio(candidates)
        scores = np.where(np.isnan(scores), -np.inf, scores)
        best = int(np.argmax(scores))
        return {
            name: dist.to_external(float(candidates[name][best]))
            for name, dist in search_space.items()
        }

    def _split(
        self, columns: FinishedColumns, multi_objective: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row indices of the good and the bad finished trials (RUNNING ones are always bad).

        Feasible COMPLETE trials rank first (by value), then feasible PRUNED ones (furthest
        step first, then by their last intermediate value), then infeasible ones (least
        violation first): an infeasible trial is good only when too few feasible ones exist.
        Ties go to the older trial. FAIL and WAITING trials carry no information.
        """
        feasible = columns.violation == 0.0
        usable = columns.is_complete | columns.is_pruned
        fraction = 0.1 if self.gamma is None else self.gamma
        n_good = n_below(int(np.count_nonzero(usable)), fraction, _N_BELOW_CAP)
        numbers = columns.numbers

        complete = np.flatnonzero(columns.is_complete & feasible)
        losses = columns.losses[complete]
        if multi_objective:
            good = [complete[_nondominated_best(losses, min(n_good, len(complete)))]]
        else:
            good = [complete[np.lexsort((numbers[complete], losses[:, 0]))[:n_good]]]
        n_left = n_good - len(good[0])

        # (The usual case, enough feasible COMPLETE trials, skips the fallbacks' work.)
        pruned = np.flatnonzero(columns.is_pruned & feasible) if n_left > 0 else good[0][:0]
        if n_left > 0 and not multi_objective and len(pruned) > 0:
            by_rank = (numbers[pruned], columns.pruned_loss[pruned], columns.pruned_step[pruned])
            good.append(pruned[np.lexsort(by_rank)[:n_left]])
            n_left -= len(good[-1])

        infeasible = np.flatnonzero(usable & ~feasible) if n_left > 0 else good[0][:0]
        if n_left > 0 and len(infeasible) > 0:
            by_violation = (numbers[infeasible], columns.violation[infeasible])
            good.append(infeasible[np.lexsort(by_violation)[:n_left]])

        is_good = np.zeros(columns.size, dtype=bool)
        is_good[good[0] if len(good) == 1 else np.concatenate(good)] = True
        return np.flatnonzero(is_good), np.flatnonzero(usable & ~is_good)

    def _split_trials(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> tuple[list[FrozenTrial], list[FrozenTrial]]:
        """The good and bad groups as trials, each ordered by number (for tests and debugging)."""
        columns = self._finished_columns(history, trial)
        running = _running(history, trial)
        below, above = self._split(columns, history.is_multi_objective)
        rows = columns.store.trials
        good = [rows[i] for i in below]
        bad = [rows[i] for i in above] + (running if self.constant_liar else [])
        return sorted(good, key=lambda t: t.number), sorted(bad, key=lambda t: t.number)

    def _finished_columns(self, history: TrialHistory, trial: FrozenTrial) -> FinishedColumns:
        """Columns of the COMPLETE/PRUNED trials other than ``trial``.

        With the store's append-only log this costs O(new trials); otherwise the history
        is scanned and checked against the cache.
        """
        if history.finished_log is not None:
            return self._columns.columns_from_log(history.directions, history.finished_log)
        finished = [t for t in history.trials if t.state in FINISHED and t.number != trial.number]
        return self._columns.columns(history.directions, finished)

    # Caches hold locks and trial references: rebuild them instead of copying or pickling.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_columns"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._columns = ColumnCache()


def _check_optuna_only_arguments(
    consider_prior: bool | None, gamma: Any, weights: Any, group: bool
) -> None:
    if consider_prior is False:
        raise UnsupportedArgumentError(
            "TPESampler(consider_prior=False) is not supported (Optuna 5 removed it too): "
            "the prior kernel is always used; make it lighter with prior_weight."
        )
    if callable(gamma):
        raise UnsupportedArgumentError(
            "TPESampler(gamma=<function>) is not supported: the sampler is stored as JSON for "
            "every worker, so gamma is a fraction (0.1, Optuna's default_gamma, is the "
            "default; the good group is capped at 25 trials)."
        )
    if weights is not None:
        raise UnsupportedArgumentError(
            "TPESampler(weights=<function>) is not supported: trials are weighted as Optuna's "
            "default_weights does (older ones less once there are more than 25)."
        )
    if group:
        raise UnsupportedArgumentError(
            "TPESampler(group=True) is not supported: with multivariate=True the parameters "
            "every finished trial shares are sampled jointly and the others one at a time."
        )


def _running(history: TrialHistory, trial: FrozenTrial) -> list[FrozenTrial]:
    """The RUNNING trials other than ``trial``, in number order."""
    pool = history.unfinished if history.unfinished is not None else history.trials
    return [t for t in pool if t.state is TrialState.RUNNING and t.number != trial.number]


def _incumbent(columns: FinishedColumns, good_rows: np.ndarray) -> int | None:
    """Position in ``good_rows`` of its best feasible COMPLETE trial, if any."""
    usable = np.flatnonzero(columns.is_complete[good_rows] & (columns.violation[good_rows] == 0.0))
    if len(usable) == 0:
        return None
    rows = good_rows[usable]
    return int(usable[np.lexsort((columns.numbers[rows], columns.losses[rows, 0]))[0]])


def _internal_or_nan(distribution: BaseDistribution, params: dict[str, Any], name: str) -> float:
    if name not in params:
        return math.nan
    internal = internal_value(distribution, params[name])
    return math.nan if internal is None else internal


def _rows_by_number(matrix: np.ndarray, numbers: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """Those of ``rows`` (default: all) that hold every parameter, ordered by trial number."""
    if rows is None:
        rows = np.arange(len(matrix))
    kept = rows[~np.isnan(matrix[rows]).any(axis=1)]
    return kept[np.argsort(numbers[kept], kind="stable")]


def _observations(matrix: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    return {name: matrix[:, i] for i, name in enumerate(names)}


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


def _check_int(name: str, value: Any, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidInputError(
            f"{name} must be an integer from {minimum} to {maximum}, got {value!r}."
        )
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be True or False, got {value!r}.")
    return value
