"""read_optuna_study: one study of an Optuna RDB store as a StudyCopy, read in one transaction.

Optuna keeps a parameter as its internal float (a categorical's index into its choices)
next to its distribution's JSON; the copy holds the value the user sees, as hpo-queue's
trials do. Infinite values and NaN intermediate values are NULL in Optuna's tables with
the kind in a type column. A trial still RUNNING in the source becomes FAIL in the copy
(nothing will ever finish it), with :data:`RUNNING_FAIL_REASON`.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution, distribution_from_optuna_dict
from hpo_queue.exceptions import (
    HpoQueueError,
    SchemaVersionError,
    StorageError,
    StudyNotFoundError,
)
from hpo_queue.storages._optuna import tables as ot
from hpo_queue.storages._study_copy import StudyCopy
from hpo_queue.storages._url import mask_url, normalize_url
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

RUNNING_FAIL_REASON = (
    "Imported from Optuna while RUNNING: it never finished there, so it is failed here."
)
# A server that does not answer within this many seconds fails the import at once.
_CONNECT_TIMEOUT = 10
_VALUES = {"INF_POS": math.inf, "INF_NEG": -math.inf, "NAN": math.nan}
_STATES = {s.name: s for s in TrialState}


def read_optuna_study(url: str, study_name: str) -> StudyCopy:
    """The study ``study_name`` of the Optuna store at ``url``, with every trial.

    Raises:
        StorageURLError: the URL is malformed.
        StorageError: the store cannot be read, is no Optuna store, or holds a trial
            that cannot be read (the message says which).
        SchemaVersionError: the store was written by an Optuna older than 3.0 (upgrade it
            with ``optuna storage upgrade``) or newer than this release knows.
        StudyNotFoundError: no study of that name (the message lists the names there).
    """
    parsed = normalize_url(url)
    masked = mask_url(url)
    _check_sqlite_file(parsed)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() in ("mysql", "postgresql"):
        connect_args["connect_timeout"] = _CONNECT_TIMEOUT
    engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn, conn.begin():
            _check_schema(conn, masked)
            return _read_study(conn, study_name, masked)
    except HpoQueueError:
        raise
    except OperationalError as exc:
        raise StorageError(f"Could not read the Optuna store at {masked}: {_reason(exc)}") from exc
    except DatabaseError as exc:
        raise StorageError(
            f"{masked} cannot be read as an Optuna store ({_reason(exc)}); check the URL."
        ) from exc
    finally:
        engine.dispose()


def _check_sqlite_file(url: URL) -> None:
    # Opening a missing file would create an empty database and then report "no Optuna
    # tables"; the path is the likelier mistake.
    if url.get_backend_name() != "sqlite":
        return
    database = url.database
    if not database or database == ":memory:":
        raise StorageError(
            "An in-memory SQLite database holds no Optuna study; give the file, e.g. "
            "sqlite:///optuna.db."
        )
    if not Path(database).is_file():
        raise StorageError(f"No SQLite database at {database}; check the Optuna storage URL.")


def _check_schema(conn: Connection, masked: str) -> None:
    """Raise unless the database holds Optuna tables at a revision this reader knows."""
    names = set(inspect(conn).get_table_names())
    missing = [t for t in ot.REQUIRED_TABLES if t not in names]
    if missing:
        hint = " (it is an hpo-queue store: use it as it is)" if "hq_studies" in names else ""
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise StorageError(
            f"{masked} is not an Optuna store{hint}: it lacks Optuna's tables "
            f"{', '.join(repr(t) for t in missing[:3])}{more}."
        )
    revision = None
    if "alembic_version" in names:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision in ot.SUPPORTED_REVISIONS:
        return
    library = None
    if "version_info" in names:
        library = conn.execute(text("SELECT library_version FROM version_info")).scalar()
    found = f"schema revision {revision!r}" + (f", written by Optuna {library}" if library else "")
    if revision in ot.OLDER_REVISIONS:
        raise SchemaVersionError(
            f"The Optuna store at {masked} has {found}, older than Optuna 3.0; upgrade it "
            f"first with `optuna storage upgrade --storage URL` (Optuna 3.0 or later)."
        )
    raise SchemaVersionError(
        f"The Optuna store at {masked} has {found}, which this release cannot read "
        f"(it reads revisions {', '.join(ot.SUPPORTED_REVISIONS)}: Optuna 3.0 to 5.x)."
    )


def _read_study(conn: Connection, study_name: str, masked: str) -> StudyCopy:
    # Compared again here: on MySQL, Optuna's name column ignores case and trailing spaces.
    study_id = next(
        (
            row.study_id
            for row in conn.execute(
                select(ot.studies.c.study_id, ot.studies.c.study_name).where(
                    ot.studies.c.study_name == study_name
                )
            )
            if row.study_name == study_name
        ),
        None,
    )
    if study_id is None:
        names = list(conn.execute(select(ot.studies.c.study_name)).scalars())
        raise StudyNotFoundError(_not_found(study_name, names, masked))
    directions = tuple(
        StudyDirection.MAXIMIZE if d == "MAXIMIZE" else StudyDirection.MINIMIZE
        for d in conn.execute(
            select(ot.study_directions.c.direction)
            .where(ot.study_directions.c.study_id == study_id)
            .order_by(ot.study_directions.c.objective)
        ).scalars()
    )
    trial_ids = select(ot.trials.c.trial_id).where(ot.trials.c.study_id == study_id)
    trial_rows = conn.execute(
        select(ot.trials).where(ot.trials.c.study_id == study_id).order_by(ot.trials.c.number)
    ).all()
    parts = _TrialParts(conn, trial_ids)
    trials = [parts.trial(row) for row in trial_rows]
    _check_numbers(trials, study_name)
    return StudyCopy(
        study_name=study_name,
        directions=directions or (StudyDirection.MINIMIZE,),
        user_attrs=_attrs(conn, ot.study_user_attributes, study_id),
        system_attrs=_attrs(conn, ot.study_system_attributes, study_id),
        trials=tuple(trials),
        source=masked,
    )


class _TrialParts:
    """The rows of every trial of one study, grouped by trial id (one query per table)."""

    def __init__(self, conn: Connection, trial_ids: Any) -> None:
        self.values: dict[int, list[float]] = {}
        for row in conn.execute(
            select(ot.trial_values)
            .where(ot.trial_values.c.trial_id.in_(trial_ids))
            .order_by(ot.trial_values.c.trial_id, ot.trial_values.c.objective)
        ):
            self.values.setdefault(row.trial_id, []).append(_float(row.value, row.value_type))
        self.intermediate: dict[int, dict[int, float]] = {}
        table = ot.trial_intermediate_values
        for row in conn.execute(
            select(table)
            .where(table.c.trial_id.in_(trial_ids))
            .order_by(table.c.trial_id, table.c.step)
        ):
            value = _float(row.intermediate_value, row.intermediate_value_type)
            self.intermediate.setdefault(row.trial_id, {})[int(row.step)] = value
        self.params: dict[int, list[Any]] = {}
        for row in conn.execute(
            select(ot.trial_params)
            .where(ot.trial_params.c.trial_id.in_(trial_ids))
            .order_by(ot.trial_params.c.param_id)
        ):
            self.params.setdefault(row.trial_id, []).append(row)
        self.user_attrs = _trial_attrs(conn, ot.trial_user_attributes, trial_ids)
        self.system_attrs = _trial_attrs(conn, ot.trial_system_attributes, trial_ids)

    def trial(self, row: Any) -> FrozenTrial:
        """The trial of a ``trials`` row with its values, params and attrs."""
        state = _STATES.get(str(row.state))
        if state is None or row.number is None:
            raise StorageError(
                f"Optuna trial id {row.trial_id} has state {row.state!r} and number "
                f"{row.number!r}; this release cannot import it."
            )
        params: dict[str, Any] = {}
        distributions: dict[str, BaseDistribution] = {}
        for param in self.params.get(row.trial_id, []):
            try:
                distribution = distribution_from_optuna_dict(json.loads(param.distribution_json))
                value = distribution.to_external(float(param.param_value))
            except (HpoQueueError, ValueError, TypeError, KeyError, IndexError) as exc:
                raise StorageError(
                    f"Parameter {param.param_name!r} of Optuna trial {row.number} cannot be "
                    f"read: {exc}"
                ) from None
            params[param.param_name] = value
            distributions[param.param_name] = distribution
        system_attrs = self.system_attrs.get(row.trial_id, {})
        fail_reason = None
        datetime_complete: datetime.datetime | None = row.datetime_complete
        if state == TrialState.RUNNING:
            state, fail_reason = TrialState.FAIL, RUNNING_FAIL_REASON
        return FrozenTrial(
            number=int(row.number),
            state=state,
            values=self.values.get(row.trial_id),
            params=params,
            distributions=distributions,
            user_attrs=self.user_attrs.get(row.trial_id, {}),
            system_attrs=system_attrs,
            intermediate_values=self.intermediate.get(row.trial_id, {}),
            datetime_start=row.datetime_start,
            datetime_complete=datetime_complete,
            fail_reason=fail_reason,
            constraints=_constraints(system_attrs),
        )


def _float(value: float | None, kind: str | None) -> float:
    if value is not None and kind in (None, "FINITE"):
        return float(value)
    return _VALUES.get(str(kind), math.nan)


def _attrs(conn: Connection, table: Any, study_id: int) -> dict[str, Any]:
    rows = conn.execute(
        select(table.c.key, table.c.value_json)
        .where(table.c.study_id == study_id)
        .order_by(table.primary_key.columns.values()[0])
    )
    return {row.key: json.loads(row.value_json) for row in rows}


def _trial_attrs(conn: Connection, table: Any, trial_ids: Any) -> dict[int, dict[str, Any]]:
    grouped: dict[int, dict[str, Any]] = {}
    for row in conn.execute(
        select(table.c.trial_id, table.c.key, table.c.value_json)
        .where(table.c.trial_id.in_(trial_ids))
        .order_by(table.primary_key.columns.values()[0])
    ):
        grouped.setdefault(row.trial_id, {})[row.key] = json.loads(row.value_json)
    return grouped


def _constraints(system_attrs: dict[str, Any]) -> list[float] | None:
    """The trial's constraint values: Optuna's "constraints" list, or its "constraints:KEY"s.

    A sampler's constraints_func writes the list; Optuna 5's ``trial.set_constraint``
    writes one key per constraint, in the order they were set.
    """
    listed = system_attrs.get("constraints")
    if isinstance(listed, list):
        return [float(c) for c in listed]
    keyed = [float(v) for k, v in system_attrs.items() if k.startswith("constraints:")]
    return keyed or None


def _check_numbers(trials: Sequence[FrozenTrial], study_name: str) -> None:
    # Optuna puts no unique constraint on trial numbers; hpo-queue does.
    seen: set[int] = set()
    for trial in trials:
        if trial.number in seen:
            raise StorageError(
                f"The Optuna study {study_name!r} has two trials numbered {trial.number}; "
                "hpo-queue cannot import a study whose numbers repeat."
            )
        seen.add(trial.number)


def _not_found(study_name: str, names: list[str], masked: str) -> str:
    if not names:
        return f"No study named {study_name!r} in {masked}: it holds no study."
    close = difflib.get_close_matches(study_name, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(repr(n) for n in names[:10]) + (", ..." if len(names) > 10 else "")
    return f"No study named {study_name!r} in {masked}.{hint} Studies there: {shown}."


def _reason(exc: DBAPIError) -> str:
    args: tuple[Any, ...] = tuple(getattr(exc.orig, "args", ()))
    if len(args) >= 2:
        return f"{args[1]} (error {args[0]})"
    return str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
