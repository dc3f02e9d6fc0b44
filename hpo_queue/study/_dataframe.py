"""A study's trials as table rows: Optuna's ``trials_dataframe`` columns, with or without pandas.

Each attribute becomes one column, or one per key for the dict-valued ones (``params``,
``user_attrs``, ``system_attrs``, ``intermediate_values``) and one per objective for
``values``. Column names are ``(attribute, key)`` pairs, flattened to ``params_x`` unless a
pandas MultiIndex is asked for, as in Optuna.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

from hpo_queue.exceptions import InvalidInputError, MissingDependencyError
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.study._study import Study

DEFAULT_ATTRS = (
    "number",
    "value",
    "datetime_start",
    "datetime_complete",
    "duration",
    "params",
    "user_attrs",
    "system_attrs",
    "state",
)
KNOWN_ATTRS = frozenset(
    (*DEFAULT_ATTRS, "values", "intermediate_values", "distributions", "trial_id", "last_step")
)
Column = tuple[str, Any]


def trial_table(
    study: Study,
    attrs: Sequence[str] = DEFAULT_ATTRS,
    states: Container[TrialState] | None = None,
) -> tuple[list[Column], list[dict[Column, Any]]]:
    """The columns, in Optuna's order, and one row per trial keyed by column.

    Raises:
        InvalidInputError: an attribute a trial does not have.
    """
    names = [attr[1:] if attr.startswith("_") else attr for attr in attrs]
    unknown = [attr for attr in names if attr not in KNOWN_ATTRS]
    if isinstance(attrs, str) or unknown:
        raise InvalidInputError(
            f"trials_dataframe attrs must be a tuple of {sorted(KNOWN_ATTRS)}; "
            f"unknown: {unknown if unknown else attrs!r}."
        )
    n_objectives = len(study.directions)
    if n_objectives > 1:  # Optuna's rule: "value" means "values" for several objectives
        names = ["values" if attr == "value" else attr for attr in names]
    metric_names = study.metric_names
    seen: dict[str, set[Any]] = {attr: set() for attr in names}
    rows = []
    for trial in study.get_trials(deepcopy=False, states=states):
        row: dict[Column, Any] = {}
        for attr in names:
            for key, value in _cells(trial, attr, n_objectives, metric_names):
                row[(attr, key)] = value
                seen[attr].add(key)
        rows.append(row)
    columns: list[Column] = []
    for attr in names:
        if attr == "values" and metric_names is not None:
            columns.extend((attr, name) for name in metric_names)
        else:
            columns.extend((attr, key) for key in sorted(seen[attr], key=str))
    return columns, rows


def _cells(
    trial: Any, attr: str, n_objectives: int, metric_names: list[str] | None
) -> list[tuple[Any, Any]]:
    value = getattr(trial, attr)
    if attr == "values":
        values = list(value) if value is not None else [None] * n_objectives
        keys = metric_names if metric_names is not None else range(n_objectives)
        return list(zip(keys, values, strict=False))
    if attr == "value":
        return [("" if metric_names is None else metric_names[0], value)]
    if isinstance(value, TrialState):
        return [("", value.name)]
    if isinstance(value, dict):
        return list(value.items())
    return [("", value)]


def flat_name(column: Column) -> str:
    """``("params", "x")`` -> ``"params_x"``; ``("number", "")`` -> ``"number"``."""
    return "_".join(str(part) for part in column if part != "")


def trial_records(
    study: Study,
    states: Container[TrialState] | None = None,
    attrs: Sequence[str] = DEFAULT_ATTRS,
) -> list[dict[str, Any]]:
    """One flat dict per trial, with the columns of :meth:`Study.trials_dataframe`."""
    columns, rows = trial_table(study, attrs, states)
    return [{flat_name(c): row[c] for c in columns if c in row} for row in rows]


def trials_dataframe(
    study: Study,
    attrs: Sequence[str] = DEFAULT_ATTRS,
    multi_index: bool = False,
    states: Container[TrialState] | None = None,
) -> Any:
    """The trials as a pandas DataFrame (see :meth:`Study.trials_dataframe`)."""
    try:
        import pandas as pd
    except ImportError:
        raise MissingDependencyError(
            "trials_dataframe() needs pandas: pip install pandas (or use "
            "hpo_queue.study.trial_records(study) for plain dicts)."
        ) from None
    columns, rows = trial_table(study, attrs, states)
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows, columns=pd.MultiIndex.from_tuples(columns))
    if not multi_index:
        frame.columns = [flat_name(c) for c in columns]
    return frame
