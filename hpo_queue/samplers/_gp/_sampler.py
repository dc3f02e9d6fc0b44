"""GPSampler: Bayesian optimization with a Gaussian process and log expected improvement."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np

from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import InvalidInputError, MultiObjectiveError
from hpo_queue.samplers._arguments import (
    check_float,
    check_int,
    check_no_constraints_func,
    loss_sign,
)
from hpo_queue.samplers._base import SAMPLER_METHOD_KEY, BaseSampler
from hpo_queue.samplers._gp._acquisition import Acquisition, maximize
from hpo_queue.samplers._gp._model import Posterior, fit_theta
from hpo_queue.samplers._qmc import qmc_point
from hpo_queue.samplers._random import check_seed, sample_uniform
from hpo_queue.samplers._tpe._search_space import intersection_search_space
from hpo_queue.samplers._unit_space import UnitSpace
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

# At most this many unseen RUNNING trials are given a fantasized point before this one's.
_MAX_FANTASIES = 16
# The trial system attr holding the kernel hyperparameters a GP trial used (see hyperparameters).
HYPERPARAMETERS_KEY = "GPSampler:hyperparameters"
RUNNING_STRATEGIES = ("kriging_believer", "constant_liar", "ignore")


class GPSampler(BaseSampler):
    """Gaussian-process Bayesian optimization (numpy and scipy), with Optuna's argument names.

    The search space (every finished trial's shared parameters) is mapped to the unit cube;
    a Matérn-5/2 kernel with one length scale per dimension (a Hamming term for categorical
    parameters) is fitted by maximizing the marginal likelihood with priors, and the next
    point maximizes log expected improvement over quasi-random candidates refined by L-BFGS-B.

    Trials RUNNING on other workers enter the model as pseudo-observations with the fitted
    hyperparameters: at the posterior mean (``"kriging_believer"``, the default) or at the
    best value so far (``"constant_liar"``), so parallel workers do not propose one point.
    A RUNNING trial with a lower number whose params are not stored yet (another worker is
    choosing them at this moment) is given the point this trial would pick, as a
    pseudo-observation, before this trial picks its own: workers that sample at the same
    time spread out instead of all taking the acquisition's maximum.
    Constraint values stored on trials (``create_study(constraints_func=...)``) are modelled
    by one GP each; the acquisition is multiplied by the probability of feasibility.

    Past ``max_fit_trials`` finished trials, the hyperparameters are fitted to a subset
    (the best quarter and a seeded random rest); past ``max_condition_trials`` the posterior
    is conditioned on such a subset too, so the cost per suggestion levels off.

    Args:
        seed: Makes suggestions reproducible; each trial number gets its own stream.
        n_startup_trials: Scrambled Sobol points until this many trials are COMPLETE.
        deterministic_objective: Fix the noise variance at its minimum.
        constraints_func: Not taken here: pass it to ``create_study``; every sampler reads
            the constraint values stored on trials. Must be None.
        running_trials: ``"kriging_believer"``, ``"constant_liar"`` or ``"ignore"``.
        n_candidates: Sobol candidates scored per suggestion.
        candidates_halving_trials: From this many rows in the model (finished trials and
            running ones' pseudo-observations) the candidates are halved, and again at each
            doubling, down to 256 (0: never): scoring one costs the history's square, and the
            local search, not the candidates, finds the optimum's last digits.
        n_local_search: How many of the best candidates L-BFGS-B refines.
        max_fit_trials: At most this many trials for the hyperparameter fit.
        max_condition_trials: At most this many trials in the posterior.
        refit_growth: The kernel hyperparameters a trial used are stored on it and reused by
            later trials until the usable history is ``refit_growth`` times the size they
            were fitted on (1.0: refit for every suggestion).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        deterministic_objective: bool = False,
        constraints_func: None = None,
        running_trials: str = "kriging_believer",
        n_candidates: int = 1024,
        candidates_halving_trials: int = 128,
        n_local_search: int = 5,
        max_fit_trials: int = 200,
        max_condition_trials: int = 1000,
        refit_growth: float = 1.2,
    ) -> None:
        self.seed = check_seed(seed)
        self.n_startup_trials = check_int("n_startup_trials", n_startup_trials, 0)
        if not isinstance(deterministic_objective, bool):
            raise InvalidInputError(
                f"deterministic_objective must be True or False, got {deterministic_objective!r}."
            )
        self.deterministic_objective = deterministic_objective
        check_no_constraints_func(constraints_func)
        if running_trials not in RUNNING_STRATEGIES:
            raise InvalidInputError(
                f"running_trials must be one of {', '.join(RUNNING_STRATEGIES)}; "
                f"got {running_trials!r}."
            )
        self.running_trials = running_trials
        self.n_candidates = check_int("n_candidates", n_candidates, 1)
        self.candidates_halving_trials = check_int(
            "candidates_halving_trials", candidates_halving_trials, 0
        )
        self.n_local_search = check_int("n_local_search", n_local_search, 0)
        self.max_fit_trials = check_int("max_fit_trials", max_fit_trials, 10)
        self.max_condition_trials = check_int("max_condition_trials", max_condition_trials, 10)
        self.refit_growth = check_float("refit_growth", refit_growth, 1.0)
        # Caches of pure computations (not state), for the trial asked about last: its data,
        # and its intersection search space.
        self._last_prepared: tuple[TrialHistory, tuple[int, str, float], _Data | None] | None = None
        self._last_space: tuple[TrialHistory, int, dict[str, BaseDistribution]] | None = None

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "GPSampler",
            "seed": self.seed,
            "n_startup_trials": self.n_startup_trials,
            "deterministic_objective": self.deterministic_objective,
            "running_trials": self.running_trials,
            "n_candidates": self.n_candidates,
            "candidates_halving_trials": self.candidates_halving_trials,
            "n_local_search": self.n_local_search,
            "max_fit_trials": self.max_fit_trials,
            "max_condition_trials": self.max_condition_trials,
            "refit_growth": self.refit_growth,
        }

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if history.is_multi_objective:
            raise MultiObjectiveError(
                "GPSampler optimizes one objective; for several use NSGAIISampler, "
                "TPESampler or AutoSampler (the default)."
            )
        space = self.intersection_space(history, trial)
        if not space:
            # Nothing finished yet: the parameters the running trials share, for start-up.
            running = [
                t
                for t in history.trials
                if t.state is TrialState.RUNNING and t.number != trial.number
            ]
            space = _shared_space(running)
        return space

    def intersection_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters every finished trial shares (``intersection_search_space``).

        A trial asks for it several times (its method, attrs, space and sampling): it is
        computed once per history and trial.
        """
        last = self._last_space
        if last is None or last[0] is not history or last[1] != trial.number:
            space = intersection_search_space(history.trials, exclude_number=trial.number)
            last = self._last_space = (history, trial.number, space)
        return dict(last[2])

    def trial_system_attrs(self, history: TrialHistory, trial: FrozenTrial) -> dict[str, Any]:
        """The method (``"qmc"`` or ``"gp"``) and, for a GP trial, the kernel's fit."""
        if self._in_startup(history, trial):
            return {SAMPLER_METHOD_KEY: "qmc"}
        attrs: dict[str, Any] = {SAMPLER_METHOD_KEY: "gp"}
        if history.is_multi_objective:
            return attrs
        space = UnitSpace(self.infer_relative_search_space(history, trial))
        if space.dim:
            data = self._prepare(space, history, trial, loss_sign(history.directions[0]))
            if data is not None:
                attrs[HYPERPARAMETERS_KEY] = hyperparameters(self, space, data, history, trial)
        return attrs

    def _in_startup(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        n = sum(
            1 for t in history.trials if t.state is TrialState.COMPLETE and t.number != trial.number
        )
        return n < max(self.n_startup_trials, 2)

    def sample_relative(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        space = UnitSpace(search_space)
        if self._in_startup(history, trial):
            point = qmc_point("sobol", space.dim, trial.number, scramble=True, seed=self.seed)
            return space.decode_unit(point)
        return suggest_gp(
            self,
            space,
            history,
            trial,
            self.rng(trial, "gp"),
            sign=loss_sign(history.directions[0]),
        )

    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        return sample_uniform(self.rng(trial, "gp independent", name), distribution)

    def _prepare(
        self, space: UnitSpace, history: TrialHistory, trial: FrozenTrial, sign: float
    ) -> _Data | None:
        """``_prepare``, kept for the trial's next call: its attrs and its sampling use it."""
        key = (trial.number, _space_key(space), sign)
        last = self._last_prepared
        if last is not None and last[0] is history and last[1] == key:
            return last[2]
        data = _prepare(self, space, history, trial, sign)
        self._last_prepared = (history, key, data)
        return data


@dataclass
class _Data:
    """The COMPLETE trials a suggestion models, encoded and standardized."""

    x: np.ndarray
    y: np.ndarray
    trials: list[FrozenTrial]
    fit_rows: np.ndarray
    n_usable: int  # usable COMPLETE trials before the posterior's subsampling
    space_key: str


def _prepare(
    sampler: GPSampler, space: UnitSpace, history: TrialHistory, trial: FrozenTrial, sign: float
) -> _Data | None:
    """The model's data, or None with fewer than two usable COMPLETE trials."""
    complete = [
        t
        for t in history.trials
        if t.state is TrialState.COMPLETE
        and t.number != trial.number
        and t.values is not None
        and math.isfinite(t.values[0])
    ]
    x_all, kept = space.encode_trials(complete)
    trials = [complete[i] for i in kept]
    if len(trials) < 2:
        return None
    n_usable = len(trials)
    losses = sign * np.array([t.values[0] for t in trials if t.values is not None])
    if len(trials) > sampler.max_condition_trials:
        rows = _subset(losses, sampler.max_condition_trials, sampler.rng(trial, "gp condition"))
        x_all, losses, trials = x_all[rows], losses[rows], [trials[i] for i in rows]
    y, _, _ = _standardize(losses)
    fit_rows = (
        _subset(losses, sampler.max_fit_trials, sampler.rng(trial, "gp fit rows"))
        if len(trials) > sampler.max_fit_trials
        else np.arange(len(trials))
    )
    return _Data(x_all, y, trials, fit_rows, n_usable, _space_key(space))


def _space_key(space: UnitSpace) -> str:
    described = repr([(n, repr(d)) for n, d in zip(space.names, space.distributions, strict=True)])
    return f"{zlib.crc32(described.encode()):08x}"


def _stored_fit(attrs: dict[str, Any], data: _Data, dim: int) -> dict[str, Any] | None:
    """The hyperparameter record in ``attrs`` if it is well formed and for this space."""
    record = attrs.get(HYPERPARAMETERS_KEY)
    if not isinstance(record, dict) or record.get("space") != data.space_key:
        return None
    theta, n = record.get("theta"), record.get("n")
    if not _is_count(n) or not isinstance(theta, list) or len(theta) != dim + 2:
        return None
    if not all(isinstance(v, float | int) and math.isfinite(v) for v in theta):
        return None
    return record


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _last_full_fit(record: dict[str, Any]) -> int:
    """The history size at which the chain of ``record`` last fitted from the default start:
    its ``"full"`` mark if that is a count no larger than its ``n``, else its ``n`` (records
    from before the mark, whose every fit started there, or malformed ones)."""
    full, n = record.get("full"), int(record["n"])
    return full if _is_count(full) and full <= n else n


def hyperparameters(
    sampler: GPSampler, space: UnitSpace, data: _Data, history: TrialHistory, trial: FrozenTrial
) -> dict[str, Any]:
    """The kernel hyperparameters for ``trial``, as the record stored on it.

    The newest trial in the history that stored a fit for this space is reused while the
    usable history is less than ``refit_growth`` times the size of that fit; otherwise they are
    refitted, warm-started from it; from the default start too once the history has doubled
    since a fit last started there (``"full"`` in the record). The record travels with the
    trials, so every worker shares the fits and a suggestion stays a pure function of the
    history.
    """
    own = _stored_fit(trial.system_attrs, data, space.dim)
    if own is not None:
        return own
    previous = None
    for other in reversed(history.trials):
        if other.number != trial.number:
            previous = _stored_fit(other.system_attrs, data, space.dim)
            if previous is not None:
                break
    if previous is not None and data.n_usable < previous["n"] * sampler.refit_growth:
        return previous
    # A chain of warm starts alone could keep a poor mode of the likelihood for a whole
    # study; starting from the default too at every doubling bounds that, while most refits
    # make one run instead of two (level on held-out seeds, BENCHMARKS.md).
    last_full = None if previous is None else _last_full_fit(previous)
    full = last_full is None or data.n_usable >= 2 * last_full
    theta = fit_theta(
        data.x[data.fit_rows],
        data.y[data.fit_rows],
        space.is_categorical,
        deterministic=sampler.deterministic_objective,
        rng=sampler.rng(trial, "gp fit"),
        warm_start=None if previous is None else np.array(previous["theta"], dtype=float),
        # The first fit also starts from a random point (dropping it for refits cost no
        # quality on held-out seeds).
        n_restarts=1 if previous is None else 0,
        default_start=full,
    )
    return {
        "theta": [float(v) for v in theta],
        "n": data.n_usable,
        "space": data.space_key,
        "full": data.n_usable if full else last_full,
    }


def suggest_gp(
    sampler: GPSampler,
    space: UnitSpace,
    history: TrialHistory,
    trial: FrozenTrial,
    rng: np.random.Generator,
    *,
    sign: float,
) -> dict[str, Any]:
    """One GP-EI suggestion over ``space`` from the COMPLETE trials of ``history``."""
    data = sampler._prepare(space, history, trial, sign)
    if data is None:
        return {}
    x_all, y, trials, fit_rows = data.x, data.y, data.trials, data.fit_rows
    cat = space.is_categorical
    deterministic = sampler.deterministic_objective
    theta = np.array(hyperparameters(sampler, space, data, history, trial)["theta"])

    violations = [t.constraints for t in trials]
    has_constraints = all(c is not None and len(c) > 0 for c in violations)
    feasible = (
        np.array([all(v <= 0 for v in c) for c in violations if c is not None])
        if has_constraints
        else np.ones(len(trials), dtype=bool)
    )

    x_model, y_model = x_all, y
    running = [
        t for t in history.trials if t.state is TrialState.RUNNING and t.number != trial.number
    ]
    pending, kept_running = space.encode_trials(running)
    lie_value = float(y[feasible].min() if feasible.any() else y.min())

    def lies_at(points: np.ndarray, x_now: np.ndarray, y_now: np.ndarray) -> np.ndarray:
        if sampler.running_trials == "kriging_believer":
            return Posterior.condition(x_now, y_now, cat, theta).predict_mean(points)
        return np.full(len(points), lie_value)

    if len(pending) and sampler.running_trials != "ignore":
        x_model = np.vstack([x_all, pending])
        y_model = np.concatenate([y, lies_at(pending, x_all, y)])
    # RUNNING trials started before this one whose params are not in the store yet (another
    # worker is choosing them now, from nearly this history): they will land near this
    # acquisition's maximum, so it is taken for them, one after the other, before this
    # trial's own point is chosen (a greedy batch in trial-number order).
    n_unknown = sum(
        1 for i, t in enumerate(running) if t.number < trial.number and i not in set(kept_running)
    )
    n_unknown = 0 if sampler.running_trials == "ignore" else min(n_unknown, _MAX_FANTASIES)
    objective: Posterior | None = None
    best = 0.0
    if feasible.any():
        objective = Posterior.condition(x_model, y_model, cat, theta)
        # The believer takes its lies as data: a pending point predicted to improve becomes
        # the incumbent, so improving on it, not sitting next to it, is what scores.
        best = float(min(y[feasible].min(), y_model[len(y) :].min(initial=math.inf)))

    constraint_models: list[Posterior] = []
    thresholds: list[float] = []
    if has_constraints:
        values = np.array([list(c) for c in violations if c is not None], dtype=float)
        for k in range(values.shape[1]):
            column = values[:, k]
            if not np.isfinite(column).all():
                continue
            standardized, mean, sd = _standardize(column)
            c_theta = fit_theta(
                x_all[fit_rows], standardized[fit_rows], cat, deterministic=deterministic, rng=rng
            )
            constraint_models.append(Posterior.condition(x_all, standardized, cat, c_theta))
            thresholds.append((0.0 - mean) / sd)
    acquisition = Acquisition(objective, best, constraint_models, thresholds)
    for fantasy in range(n_unknown + 1):
        x = maximize(
            acquisition,
            space.dim,
            cat,
            space.n_choices,
            rng,
            n_candidates=_candidate_count(sampler, len(x_model)),
            n_local=sampler.n_local_search,
            round_row=space.round_row,
        )
        if objective is None or fantasy == n_unknown:
            break
        lie = lies_at(x[None, :], x_model, y_model)
        y_model = np.concatenate([y_model, lie])
        x_model = np.vstack([x_model, x])
        objective = Posterior.condition(x_model, y_model, cat, theta)
        best = min(best, float(lie[0]))
        acquisition = Acquisition(objective, best, constraint_models, thresholds)
    return space.decode(x)


def halvings_past(n: int, start: int) -> int:
    """0 below ``start`` (or if ``start`` is 0), then 1 from ``start``, 2 from twice it, ..."""
    return (n // start).bit_length() if start and n >= start else 0


def _candidate_count(sampler: GPSampler, n_model: int) -> int:
    """``n_candidates`` halved ``halvings_past(rows, candidates_halving_trials)`` times, where
    rows are the model's (running trials' pseudo-observations included); a halved count
    stops at 256, and a count below 256 is kept."""
    halved = sampler.n_candidates >> halvings_past(n_model, sampler.candidates_halving_trials)
    return max(halved, min(sampler.n_candidates, 256))


def _standardize(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    mean = float(values.mean())
    sd = float(values.std())
    if not sd > 0 or not math.isfinite(sd):
        sd = 1.0
    return (values - mean) / sd, mean, sd


def _subset(losses: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices: the best quarter of ``size`` by loss, the rest a random draw of the others."""
    n_best = size // 4
    order = np.argsort(losses, kind="stable")
    best, rest = order[:n_best], order[n_best:]
    drawn = rng.choice(rest, size - n_best, replace=False)
    return np.sort(np.concatenate([best, drawn]))


def _shared_space(trials: list[FrozenTrial]) -> dict[str, BaseDistribution]:
    space: dict[str, BaseDistribution] | None = None
    for t in trials:
        if not t.distributions:
            continue
        if space is None:
            space = dict(t.distributions)
        else:
            space = {n: d for n, d in space.items() if t.distributions.get(n) == d}
    if not space:
        return {}
    return {n: space[n] for n in sorted(space) if not space[n].single()}
