"""FrozenTrial: an immutable snapshot of one trial, as read from the store."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import FrozenTrialError, MultiObjectiveError
from hpo_queue.trial._state import TrialState

_K = TypeVar("_K")
_V = TypeVar("_V")
_T = TypeVar("_T")


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise FrozenTrialError(
        "A FrozenTrial is a read-only snapshot shared with the study's caches; "
        "copy it first (dict(trial.params), list(trial.values)) or make a changed trial "
        "with dataclasses.replace(trial, ...)."
    )


class FrozenDict(dict[_K, _V]):
    """A dict that refuses changes: a FrozenTrial's mapping fields.

    A dict subclass rather than types.MappingProxyType so that user code written for Optuna
    keeps working (``json.dumps(trial.params)``, ``isinstance(trial.params, dict)``); reads
    cost what a dict's cost. Copies (``dict(d)``, ``d | other``, ``d.copy()``) are plain dicts.
    """

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def copy(self) -> dict[_K, _V]:
        return dict(self)

    def __reduce__(self) -> tuple[Any, ...]:  # copy/pickle would rebuild it item by item
        return (type(self), (dict(self),))


class FrozenList(list[_T]):
    """A list that refuses changes: a FrozenTrial's ``values`` and ``constraints``.

    A list subclass so that ``trial.values == [1.0]`` and JSON encoding stay as in Optuna.
    """

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def copy(self) -> list[_T]:
        return list(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self),))


def _frozen_dict(value: Any) -> Any:
    return value if type(value) is FrozenDict else FrozenDict(value)


def _frozen_list(value: Iterable[float] | None) -> FrozenList[float] | None:
    if value is None or type(value) is FrozenList:
        return value
    return FrozenList(value)


@dataclass(frozen=True)
class FrozenTrial:
    """A trial as stored: what the samplers, pruners and users read.

    ``params`` holds external values (what the objective saw); ``distributions`` the
    distribution each parameter was drawn from.

    Immutable: one instance is shared by the storage's cache, the samplers' caches and every
    reader, so neither its fields nor its dicts and lists can be changed (FrozenTrialError).
    Build a changed copy with ``dataclasses.replace(trial, state=...)``. Values nested inside
    the attribute dicts (a JSON list stored as a user attribute) are not frozen.
    """

    number: int
    state: TrialState
    values: list[float] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    intermediate_values: dict[int, float] = field(default_factory=dict)
    datetime_start: datetime.datetime | None = None
    datetime_complete: datetime.datetime | None = None
    trial_id: int = -1
    worker: str | None = None
    fail_reason: str | None = None
    constraints: list[float] | None = None
    # The job (one submit call) the trial was claimed for; None for optimize() and ask().
    job_id: str | None = None
    # When the RUNNING trial's lease runs out, on the store's clock (None once finished).
    lease_expires_at: datetime.datetime | None = None

    def __post_init__(self) -> None:
        # One shallow copy per trial built (a row read), none per read: readers share the
        # instance. Writing __dict__ is how a frozen dataclass may set its own fields.
        fields = self.__dict__
        fields["values"] = _frozen_list(self.values)
        fields["constraints"] = _frozen_list(self.constraints)
        fields["params"] = _frozen_dict(self.params)
        fields["distributions"] = _frozen_dict(self.distributions)
        fields["user_attrs"] = _frozen_dict(self.user_attrs)
        fields["system_attrs"] = _frozen_dict(self.system_attrs)
        fields["intermediate_values"] = _frozen_dict(self.intermediate_values)

    @property
    def value(self) -> float | None:
        """The single objective value (raises for a multi-objective trial)."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise MultiObjectiveError(
                f"Trial {self.number} has {len(self.values)} objective values; "
                "use trial.values instead of trial.value."
            )
        return self.values[0]

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    def is_feasible(self) -> bool:
        """True unless a constraint value is > 0 (the Optuna convention)."""
        return self.constraints is None or all(c <= 0.0 for c in self.constraints)
