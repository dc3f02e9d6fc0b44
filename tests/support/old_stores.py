"""Stores as old builds wrote them: their frozen DDL (tests/storages/fixtures), filled by hand.

The rows are written with plain SQL, never through the current storage code: they stand for
what the old release left in a database.
"""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hpo_queue.storages import normalize_url
from hpo_queue.trial import TrialState

FIXTURES = Path(__file__).parents[1] / "storages" / "fixtures"
START = datetime.datetime(2026, 5, 4, 10, 30, 15, 123456)

_FLOAT = {"type": "float", "low": -1.0, "high": 1.0, "log": False, "step": None}
_INT = {"type": "int", "low": 1, "high": 8, "log": False, "step": 1}
_CHOICE = {"type": "categorical", "choices": ["a", "b", None]}
DISTRIBUTIONS = {"x": _FLOAT, "n": _INT, "kind": _CHOICE}

# The old study's trials as the old release stored them, one in every state.
OLD_TRIALS: list[dict[str, Any]] = [
    {
        "number": 0,
        "state": TrialState.COMPLETE,
        "values": [0.25],
        "params": {"x": 0.5, "n": 3, "kind": "b"},
        "user_attrs": {"tag": "first", "nested": {"k": [1, 2]}},
        "system_attrs": {"sys": 1},
        "intermediate": {0: 1.0, 1: math.inf, 2: -math.inf, 3: math.nan, 4: 0.5},
    },
    {
        "number": 1,
        "state": TrialState.PRUNED,
        "values": None,
        "params": {"x": -0.75, "n": 8, "kind": None},
        "user_attrs": {},
        "system_attrs": {},
        "intermediate": {0: 2.0, 2: 1.5},
    },
    {
        "number": 2,
        "state": TrialState.FAIL,
        "values": None,
        "params": {"x": 0.0, "n": 1, "kind": "a"},
        "user_attrs": {"why": "boom"},
        "system_attrs": {},
        "intermediate": {},
        "fail_reason": "ValueError: boom",
    },
    {
        "number": 3,
        "state": TrialState.RUNNING,
        "values": None,
        "params": {"x": 0.125, "n": 2, "kind": "a"},
        "user_attrs": {},
        "system_attrs": {},
        "intermediate": {0: 3.0},
    },
    {
        "number": 4,
        "state": TrialState.WAITING,
        "values": None,
        "params": {},
        "user_attrs": {"queued": True},
        "system_attrs": {"fixed_params": {"x": 0.0, "n": 4, "kind": "b"}},
        "intermediate": {},
    },
]
STUDY_ATTRS = {"user": {"owner": "ana", "budget": 12.5}, "system": {"note": [1, "two"]}}


def create_old_store(url: str, variant: str) -> None:
    """The tables of an old build from its frozen DDL, filled as that build filled them."""
    engine = sa.create_engine(normalize_url(url))
    dialect = "mysql" if engine.dialect.name in ("mysql", "mariadb") else engine.dialect.name
    text = (FIXTURES / f"{variant}.{dialect}.sql").read_text()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    with engine.begin() as conn:
        for statement in body.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        _fill(conn, variant)
    engine.dispose()


def _fill(conn: sa.Connection, variant: str) -> None:
    tables = sa.MetaData()
    tables.reflect(conn)
    studies, attrs = tables.tables["hq_studies"], tables.tables["hq_study_attrs"]
    trials, values = tables.tables["hq_trials"], tables.tables["hq_trial_intermediate_values"]
    conn.execute(
        sa.insert(tables.tables["hq_version_info"]).values(
            version_info_id=1, schema_version=1, library_version="0.1.0"
        )
    )
    study_defaults = {
        "sampler_config": json.dumps({"name": "RandomSampler", "seed": 7}),
        "pruner_config": json.dumps({"name": "NopPruner"}),
        "options_json": json.dumps({"failed_trial_max_retries": 0}),
        "max_trials": None,
        "datetime_created": START,
    }
    # Ids come from the database, as they did for the old release (PostgreSQL's sequences).
    old_study = _insert(
        conn,
        studies,
        study_name="old-study",
        directions='["MINIMIZE"]',
        next_number=len(OLD_TRIALS),
        n_failed=1,
        n_waiting=1,
        **study_defaults,
    )
    second_study = _insert(
        conn,
        studies,
        study_name="second",
        directions='["MAXIMIZE", "MINIMIZE"]',
        next_number=1,
        n_failed=0,
        n_waiting=0,
        **study_defaults,
    )
    for kind, found in STUDY_ATTRS.items():
        for key, value in found.items():
            conn.execute(
                sa.insert(attrs).values(
                    study_id=old_study, kind=kind, attr_key=key, value_json=json.dumps(value)
                )
            )
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # a live heartbeat
    rows = [(old_study, trial) for trial in OLD_TRIALS]
    rows.append((second_study, {**OLD_TRIALS[0], "values": [1.0, 2.0], "intermediate": {}}))
    for study_id, trial in rows:
        state = trial["state"]
        row: dict[str, Any] = {
            "study_id": study_id,
            "number": trial["number"],
            "state": int(state),
            "values_json": json.dumps(trial["values"]) if trial["values"] else None,
            "params_json": json.dumps(trial["params"]),
            "distributions_json": json.dumps(
                {k: DISTRIBUTIONS[k] for k in trial["params"]}, separators=(",", ":")
            ),
            "user_attrs_json": json.dumps(trial["user_attrs"]),
            "system_attrs_json": json.dumps(trial["system_attrs"]),
            "fail_reason": trial.get("fail_reason"),
            "worker": None if state == TrialState.WAITING else "old-host:42",
            "datetime_start": None if state == TrialState.WAITING else START,
            "datetime_complete": START if state.is_finished() else None,
            "heartbeat": now if state == TrialState.RUNNING else None,
        }
        if variant == "has_reports":
            row["has_reports"] = bool(trial["intermediate"])
        else:
            row["n_reports"] = len(trial["intermediate"])
        trial_id = _insert(conn, trials, **row)
        for step, value in trial["intermediate"].items():
            kind = _VALUE_KINDS.get(value, 3 if math.isnan(value) else 0)
            stored = value if kind == 0 else None
            conn.execute(
                sa.insert(values).values(
                    trial_id=trial_id, step=step, value=stored, value_kind=kind
                )
            )


def _insert(conn: sa.Connection, table: sa.Table, **values: Any) -> int:
    key = conn.execute(sa.insert(table).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


# value_kind as the old release wrote it: MySQL's DOUBLE holds no inf or NaN.
_VALUE_KINDS = {math.inf: 1, -math.inf: 2}
