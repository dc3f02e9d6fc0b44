"""Correlation-ratio importance: how much of the objective's variance each parameter's bins explain.

For each parameter, the completed trials are grouped into bins of that parameter (one bin per
category; up to ``n_bins`` equal-count bins of a numeric parameter, at least three trials a bin
on average, on a log scale when the distribution is log). The share of the objective's variance
explained by the bin means is the correlation ratio; its small-sample bias is removed as in
epsilon-squared, ``(SS_between - (k - 1) * MS_within) / SS_total``, clipped at 0. The
importances are then normalized to sum to 1. Like fANOVA's main effects, this ignores
interactions between parameters; unlike it, it needs no random forest, so the dashboard and
``hpo-queue plot`` use it on every refresh.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo_queue._target import Target, resolve_target
from hpo_queue.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.importance._base import (
    BaseImportanceEvaluator,
    importance_table,
    sort_by_importance,
)
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.study import Study

DEFAULT_BINS = 10


def _bins(name: str, trials: Sequence[FrozenTrial], n_bins: int) -> np.ndarray:
    """The bin index of each trial's value of parameter ``name``."""
    raw = [t.params[name] for t in trials]
    distribution = trials[-1].distributions.get(name)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
    if isinstance(distribution, CategoricalDistribution) or not numeric:
        labels: dict[str, int] = {}
        return np.array([labels.setdefault(repr(v), len(labels)) for v in raw])
    x = np.array(raw, dtype=float)
    if isinstance(distribution, (FloatDistribution, IntDistribution)) and distribution.log:
        x = np.log10(np.where(x > 0, x, np.nan))
    x = np.nan_to_num(x, nan=-np.inf)
    unique = np.unique(x)
    # At least three trials a bin on average: fewer make every parameter look important.
    n_bins = max(2, min(n_bins, len(x) // 3))
    if len(unique) <= n_bins:
        return np.searchsorted(unique, x)
    edges = np.quantile(x, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    return np.searchsorted(edges, x, side="right")


def _explained(y: np.ndarray, bins: np.ndarray) -> tuple[float, float]:
    """(epsilon-squared, eta-squared) of ``y`` grouped by ``bins``."""
    total = float(((y - y.mean()) ** 2).sum())
    if total <= 0.0:
        return 0.0, 0.0
    between = 0.0
    groups = np.unique(bins)
    for group in groups:
        members = y[bins == group]
        between += len(members) * float((members.mean() - y.mean()) ** 2)
    k, n = len(groups), len(y)
    eta = between / total
    if k < 2:
        return 0.0, 0.0
    within_mean_square = (total - between) / (n - k) if n > k else 0.0
    epsilon = max(0.0, (between - (k - 1) * within_mean_square) / total)
    return epsilon, eta


def _objective(trial: FrozenTrial, index: int) -> float:
    assert trial.values is not None
    return float(trial.values[index])


def param_importances(
    trials: Sequence[FrozenTrial],
    objective_index: int = 0,
    n_bins: int = DEFAULT_BINS,
) -> dict[str, float]:
    """Each parameter's share of the objective's variance, most important first; sums to 1.

    Uses the COMPLETE trials with a finite value for objective ``objective_index``; a
    parameter only some trials have is judged on those trials. Returns {} with fewer than
    two such trials.
    """
    completed = [
        t
        for t in trials
        if t.state == TrialState.COMPLETE
        and t.values
        and objective_index < len(t.values)
        and math.isfinite(t.values[objective_index])
    ]
    names = sorted({name for t in completed for name in t.params})
    return _shares(completed, lambda t: _objective(t, objective_index), names, n_bins)


def _shares(
    completed: Sequence[FrozenTrial],
    value_of: Callable[[FrozenTrial], float],
    names: Sequence[str],
    n_bins: int,
) -> dict[str, float]:
    """The normalized correlation ratios of ``names`` over trials with finite values."""
    if len(completed) < 2 or not names:
        return {}
    epsilons: dict[str, float] = {}
    etas: dict[str, float] = {}
    for name in names:
        having = [t for t in completed if name in t.params]
        if len(having) < 2:
            epsilons[name] = etas[name] = 0.0
            continue
        y = np.array([value_of(t) for t in having], dtype=float)
        epsilons[name], etas[name] = _explained(y, _bins(name, having, n_bins))
    # Noise-corrected shares when any survive the correction, else the raw ones, else equal.
    for scores in (epsilons, etas):
        total = sum(scores.values())
        if total > 0.0:
            shares = {name: score / total for name, score in scores.items()}
            break
    else:
        shares = {name: 1.0 / len(names) for name in names}
    return sort_by_importance(shares)


class CorrelationRatioImportanceEvaluator(BaseImportanceEvaluator):
    """The binned correlation ratio (epsilon-squared) of each parameter, normalized.

    Not fANOVA: one parameter at a time over bins of the trials, no model. Fast enough for
    every dashboard refresh; :class:`FanovaImportanceEvaluator` is the default elsewhere.
    """

    def __init__(self, *, n_bins: int = DEFAULT_BINS) -> None:
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or not 2 <= n_bins <= 1000:
            raise InvalidInputError(
                f"CorrelationRatioImportanceEvaluator: n_bins must be an integer from 2 to "
                f"1000, got {n_bins!r}."
            )
        self._n_bins = n_bins

    def evaluate(
        self, study: Study, params: list[str] | None = None, *, target: Target | None = None
    ) -> dict[str, float]:
        owner = "CorrelationRatioImportanceEvaluator"
        table = importance_table(study, params, target, owner)  # validates params and target
        value_of = resolve_target(study.directions, target, owner)
        names = set(table.names)
        completed = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if names <= set(t.params) and math.isfinite(value_of(t))
        ]
        scores = dict.fromkeys(table.names + table.constant, 0.0)
        scores.update(_shares(completed, lambda t: float(value_of(t)), table.names, self._n_bins))
        return sort_by_importance(scores)
