"""create_trial: a finished trial built by hand, for study.add_trial (warm starts)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, BaseDistribution] | None = None,
    user_attrs: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    intermediate_values: dict[int, float] | None = None,
) -> FrozenTrial:
    """A trial as Optuna's ``optuna.trial.create_trial`` makes it, to pass to add_trial.

    Raises:
        InvalidInputError: both value and values, a COMPLETE trial without them, or params
            and distributions that do not match.
    """
    if value is not None and values is not None:
        raise InvalidInputError("Give value or values, not both.")
    result = [float(value)] if value is not None else None
    if values is not None:
        result = [float(v) for v in values]
    state = TrialState.parse(state)
    if state == TrialState.COMPLETE and result is None:
        raise InvalidInputError("A COMPLETE trial needs a value (or values).")
    params = dict(params or {})
    distributions = dict(distributions or {})
    if set(params) != set(distributions):
        raise InvalidInputError(
            f"params and distributions must name the same parameters; got {sorted(params)} "
            f"and {sorted(distributions)}."
        )
    for name, distribution in distributions.items():
        params[name] = distribution.validate_value(params[name])
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # naive UTC, as stored
    return FrozenTrial(
        number=-1,
        state=state,
        values=result,
        params=params,
        distributions=distributions,
        user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}),
        intermediate_values={int(k): float(v) for k, v in (intermediate_values or {}).items()},
        datetime_start=now,
        datetime_complete=now if state.is_finished() else None,
    )
