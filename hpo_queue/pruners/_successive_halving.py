"""SuccessiveHalvingPruner: asynchronous successive halving (ASHA), computed from the history."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners._base import BasePruner
from hpo_queue.pruners._percentile import check_int, single_direction
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

# Trials whose reports count in a rung competition; FAIL and WAITING trials do not.
_COMPETING_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous Successive Halving (ASHA) as a pure function of the shared history.

    Rung ``k`` ends at step ``r_k = min_resource * reduction_factor ** (min_early_stopping_rate
    + k)``. A trial's *rung-k value* is the value it reported at the first step >= ``r_k``.
    When a report takes a trial's last step past ``r_k`` (its previous report was before
    ``r_k``), the trial competes at rung ``k`` against every other COMPLETE, PRUNED or RUNNING
    trial of the history that has reported at a step >= ``r_k``, using rung-k values (NaN
    counts as worst). With ``n`` competitors including itself, it is promoted iff its value
    is at least as good as the ``max(n // reduction_factor, 1)``-th best, otherwise pruned;
    it is also pruned if ``n <= bootstrap_count`` or its value is NaN. Each rung is decided
    once, at the report that crosses it, so a promotion is never revoked, no trial ever waits
    for others, and every worker reaches the same decision from the same history. Nothing is
    written to the store: the trials that reached a rung are exactly those whose reports go
    that far. Call ``should_prune`` after every report, as usual, so no rung is skipped.

    Args:
        min_resource: The step that ends rung 0 (before ``min_early_stopping_rate``), or
            "auto": ``max(n_steps // 100, 1)`` where ``n_steps`` is the last step of the
            earliest COMPLETE trial; nothing is pruned until a trial completes.
        reduction_factor: About one in ``reduction_factor`` trials is promoted at each rung.
        min_early_stopping_rate: Shifts every rung ``reduction_factor`` times later per unit.
        bootstrap_count: A trial is pruned at a rung that at most this many trials reached,
            itself included (Optuna's rule); needs an integer ``min_resource``.

    Raises:
        InvalidInputError: On an argument outside its range.
    """

    def __init__(
        self,
        min_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        if min_resource != "auto":
            check_int("min_resource", min_resource, minimum=1)
        self._min_resource = min_resource
        self._reduction_factor = check_int("reduction_factor", reduction_factor, minimum=2)
        self._min_early_stopping_rate = check_int(
            "min_early_stopping_rate", min_early_stopping_rate, minimum=0
        )
        self._bootstrap_count = check_int("bootstrap_count", bootstrap_count, minimum=0)
        if bootstrap_count > 0 and min_resource == "auto":
            raise InvalidInputError(
                "bootstrap_count > 0 needs an integer min_resource, not 'auto'."
            )

    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        """True if ``trial``'s latest report crosses a rung where it is not promoted.

        Raises:
            InvalidInputError: If the study is multi-objective.
        """
        direction = single_direction(history, type(self).__name__)
        if isinstance(self._min_resource, int):
            min_resource = self._min_resource
        else:
            n_steps = first_completed_last_step(history)
            if n_steps is None:
                return False
            min_resource = max(n_steps // 100, 1)
        return asha_should_prune(
            trial,
            direction,
            history.trials,
            first_rung_step=min_resource * self._reduction_factor**self._min_early_stopping_rate,
            reduction_factor=self._reduction_factor,
            bootstrap_count=self._bootstrap_count,
        )

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "SuccessiveHalvingPruner",
            "min_resource": self._min_resource,
            "reduction_factor": self._reduction_factor,
            "min_early_stopping_rate": self._min_early_stopping_rate,
            "bootstrap_count": self._bootstrap_count,
        }


def asha_should_prune(
    trial: FrozenTrial,
    direction: StudyDirection,
    competitors: Iterable[FrozenTrial],
    *,
    first_rung_step: int,
    reduction_factor: int,
    bootstrap_count: int,
) -> bool:
    """The ASHA decision for ``trial``'s latest report (see SuccessiveHalvingPruner).

    ``competitors`` is only iterated if the report crosses a rung, so callers may pass a lazy
    filter; ``trial`` itself is skipped in it and judged on its own reports.
    """
    reports = trial.intermediate_values
    if not reports:
        return False
    step = max(reports)
    previous_step = max((s for s in reports if s != step), default=-1)
    rung_step = first_rung_step
    while rung_step <= previous_step:  # rungs decided at earlier reports
        rung_step *= reduction_factor
    if rung_step > step:
        return False
    value = reports[step]
    if math.isnan(value):
        return True
    own = -value if direction == StudyDirection.MAXIMIZE else value

    others = [t for t in competitors if t.number != trial.number and t.state in _COMPETING_STATES]
    while rung_step <= step:
        rung_values = _rung_values(others, rung_step, direction)
        n = rung_values.size + 1
        if n <= bootstrap_count:
            return True
        kth = max(n // reduction_factor, 1) - 1
        threshold = np.partition(np.append(rung_values, own), kth)[kth]
        if own > threshold:
            return True
        rung_step *= reduction_factor
    return False


def _rung_values(
    trials: Iterable[FrozenTrial], rung_step: int, direction: StudyDirection
) -> np.ndarray:
    """Rung values of the trials that reached ``rung_step``, as a lower-is-better array."""
    values = []
    for t in trials:
        reports = t.intermediate_values
        if rung_step in reports:
            values.append(reports[rung_step])
        else:
            reached = [s for s in reports if s >= rung_step]
            if reached:
                values.append(reports[min(reached)])
    array = np.asarray(values, dtype=float)
    if direction == StudyDirection.MAXIMIZE:
        array = -array
    array[np.isnan(array)] = np.inf
    return array


def first_completed_last_step(history: TrialHistory) -> int | None:
    """The last reported step of the earliest COMPLETE trial with reports, or None.

    "Earliest" is by completion time, then trial number, so the answer does not change as
    more trials complete and all workers agree on it.
    """
    first: FrozenTrial | None = None
    for t in history.trials:
        if (
            t.state == TrialState.COMPLETE
            and t.intermediate_values
            and (first is None or _completed_before(t, first))
        ):
            first = t
    return None if first is None else max(first.intermediate_values)


def _completed_before(a: FrozenTrial, b: FrozenTrial) -> bool:
    da, db = a.datetime_complete, b.datetime_complete
    if da is not None and db is not None and da != db:
        return da < db
    if (da is None) != (db is None):
        return da is not None
    return a.number < b.number
