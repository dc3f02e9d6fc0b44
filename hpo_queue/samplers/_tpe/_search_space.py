"""Which parameters TPE samples jointly, and how past trials become arrays of observations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hpo_queue.distributions import BaseDistribution, CategoricalDistribution
from hpo_queue.exceptions import InvalidDistributionError
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

_FINISHED_FOR_SPACE = (TrialState.COMPLETE, TrialState.PRUNED)


def intersection_search_space(
    trials: Sequence[FrozenTrial], exclude_number: int | None = None
) -> dict[str, BaseDistribution]:
    """Parameters every COMPLETE/PRUNED trial has, with one identical distribution each.

    Single-valued distributions are left out: there is nothing to sample.
    """
    space: dict[str, BaseDistribution] | None = None
    for trial in trials:
        if trial.state not in _FINISHED_FOR_SPACE or trial.number == exclude_number:
            continue
        if space is None:
            space = dict(trial.distributions)
            continue
        if space.items() <= trial.distributions.items():
            continue  # the usual case, checked without building a dict per trial
        space = {
            name: dist for name, dist in space.items() if trial.distributions.get(name) == dist
        }
        if not space:
            break
    if not space:
        return {}
    return {name: space[name] for name in sorted(space) if not space[name].single()}


def internal_value(distribution: BaseDistribution, value: object) -> float | None:
    """A param's internal value under ``distribution``, or None if it does not fit there."""
    try:
        if isinstance(distribution, CategoricalDistribution):
            return distribution.to_internal(value)  # type: ignore[arg-type]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        internal = float(value)
    except InvalidDistributionError:
        return None
    return internal if distribution.low <= internal <= distribution.high else None


def observations(
    trials: Sequence[FrozenTrial], search_space: dict[str, BaseDistribution]
) -> tuple[dict[str, np.ndarray], list[int]]:
    """Internal values of the trials that hold every parameter of ``search_space``.

    Returns the arrays (one per parameter, aligned) and the positions in ``trials`` kept.
    Trials lacking a parameter, or holding a value the distribution cannot contain (its
    range changed since), are left out.
    """
    names = list(search_space)
    rows: list[list[float]] = []
    kept: list[int] = []
    for position, trial in enumerate(trials):
        params = trial.params
        row: list[float] = []
        for name in names:
            if name not in params:
                break
            internal = internal_value(search_space[name], params[name])
            if internal is None:
                break
            row.append(internal)
        else:
            rows.append(row)
            kept.append(position)
    matrix = np.asarray(rows, dtype=float).reshape(len(rows), len(names))
    return {name: matrix[:, i] for i, name in enumerate(names)}, kept
