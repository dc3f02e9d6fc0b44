"""Schema migrations: stores written by the last release (a2bbaee, from its frozen DDL) and by a
pre-release build (has_reports) upgraded in place on SQLite, MariaDB and PostgreSQL with
every study, trial and value intact; old and newer stores refused with what to do."""

from __future__ import annotations

import datetime
import json
import math
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import hpo_queue as hq
from hpo_queue.distributions import distribution_to_dict
from hpo_queue.exceptions import SchemaVersionError, StorageError
from hpo_queue.storages import RDBStorage, normalize_url
from hpo_queue.storages._rdb import schema
from hpo_queue.storages._rdb.upgrade import head_revision, run_migrations, upgrade_storage
from hpo_queue.trial import TrialState

FIXTURES = Path(__file__).with_name("fixtures")
START = datetime.datetime(2026, 5, 4, 10, 30, 15, 123456)

_FLOAT = {"type": "float", "low": -1.0, "high": 1.0, "log": False, "step": None}
_INT = {"type": "int", "low": 1, "high": 8, "log": False, "step": 1}
_CHOICE = {"type": "categorical", "choices": ["a", "b", None]}
_DISTRIBUTIONS = {"x": _FLOAT, "n": _INT, "kind": _CHOICE}

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


def _create_old_store(url: str, variant: str) -> None:
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
                {k: _DISTRIBUTIONS[k] for k in trial["params"]}, separators=(",", ":")
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


def _versions(url: str) -> tuple[int, list[str]]:
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        version = conn.execute(sa.select(schema.version_info.c.schema_version)).scalar_one()
        revisions = list(conn.execute(sa.select(schema.alembic_version.c.version_num)).scalars())
    engine.dispose()
    return version, revisions


def _same_values(found: dict[int, float], expected: dict[int, float]) -> bool:
    return list(found) == list(expected) and all(
        (math.isnan(a) and math.isnan(b)) or a == b
        for a, b in zip(found.values(), expected.values(), strict=True)
    )


def _schema_differences(url: str) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": schema.ALEMBIC_VERSION_TABLE}
        )
        differences = compare_metadata(context, schema.metadata)
    engine.dispose()
    return list(differences)


@pytest.mark.parametrize("variant", ["a2bbaee", "has_reports"])
def test_an_old_store_is_upgraded_in_place_with_its_data_intact(
    storage_url: str, variant: str
) -> None:
    _create_old_store(storage_url, variant)
    with pytest.raises(SchemaVersionError):
        RDBStorage(storage_url)

    result = upgrade_storage(storage_url)

    assert (result.from_version, result.to_version) == (1, schema.SCHEMA_VERSION)
    assert _versions(storage_url) == (schema.SCHEMA_VERSION, [head_revision()])
    assert _schema_differences(storage_url) == []
    storage = RDBStorage(storage_url)
    assert storage.list_study_names() == ["old-study", "second"]
    record = storage.get_study("old-study")
    assert record.sampler_config == {"name": "RandomSampler", "seed": 7}
    assert record.datetime_created == START
    for kind, expected in STUDY_ATTRS.items():
        assert storage.get_study_attrs(record.study_id, kind) == expected
    trials = storage.get_trials(record.study_id)
    assert [t.number for t in trials] == [t["number"] for t in OLD_TRIALS]
    for trial, expected in zip(trials, OLD_TRIALS, strict=True):
        fresh = storage.get_trial(record.study_id, expected["number"])  # the uncached read
        for found in (trial, fresh):
            assert found.state == expected["state"]
            assert found.values == expected["values"]
            assert found.params == expected["params"]
            assert {k: distribution_to_dict(d) for k, d in found.distributions.items()} == {
                k: _DISTRIBUTIONS[k] for k in expected["params"]
            }
            assert found.user_attrs == expected["user_attrs"]
            assert found.system_attrs == expected["system_attrs"]
            assert _same_values(dict(found.intermediate_values), expected["intermediate"])
            assert found.fail_reason == expected.get("fail_reason")
            if expected["state"] != TrialState.WAITING:
                assert found.datetime_start == START
    second = storage.get_trials(storage.get_study("second").study_id)
    assert [(t.number, t.values) for t in second] == [(0, [1.0, 2.0])]

    # The old study goes on: the enqueued trial first, then new numbers after the old ones.
    study = hq.load_study(study_name="old-study", storage=storage_url)

    def objective(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        trial.suggest_int("n", 1, 8)
        trial.report(x, 0)
        trial.report(math.inf, 1)
        return x

    study.optimize(objective, n_trials=3)
    after = {t.number: t for t in RDBStorage(storage_url).get_trials(record.study_id)}
    assert sorted(after) == [0, 1, 2, 3, 4, 5, 6]
    assert after[4].state == TrialState.COMPLETE and after[4].params["x"] == 0.0
    for number in (4, 5, 6):
        assert after[number].state == TrialState.COMPLETE
        assert _same_values(
            dict(after[number].intermediate_values), {0: after[number].params["x"], 1: math.inf}
        )
    assert _same_values(dict(after[0].intermediate_values), OLD_TRIALS[0]["intermediate"])


def test_an_old_store_is_refused_with_the_upgrade_command(storage_url: str) -> None:
    _create_old_store(storage_url, "a2bbaee")
    with pytest.raises(SchemaVersionError) as info:
        hq.load_study(study_name="old-study", storage=storage_url)
    message = str(info.value)
    assert "schema version 1" in message and f"version {schema.SCHEMA_VERSION}" in message
    url = normalize_url(storage_url).render_as_string(hide_password=True)
    assert f"hpo-queue storage upgrade --storage {url}" in message
    assert "\n" not in message  # the command line shows the first line only


def test_the_upgrade_command_in_the_error_masks_the_password(postgres_url: str) -> None:
    # The test server trusts local connections, so any password is accepted.
    url = normalize_url(postgres_url).set(password="s3cret-pw")
    with_password = url.render_as_string(hide_password=False)
    _create_old_store(with_password, "a2bbaee")
    with pytest.raises(SchemaVersionError) as info:
        RDBStorage(with_password)
    assert "s3cret-pw" not in str(info.value)
    assert f"--storage {url.render_as_string(hide_password=True)}" in str(info.value)
    assert "s3cret-pw" not in upgrade_storage(with_password).url


def test_a_newer_store_is_refused_naming_both_versions(sqlite_url: str) -> None:
    RDBStorage(sqlite_url)
    newer = schema.SCHEMA_VERSION + 1
    engine = sa.create_engine(normalize_url(sqlite_url))
    with engine.begin() as conn:
        conn.execute(sa.update(schema.version_info).values(schema_version=newer))
    engine.dispose()
    for attempt in (lambda: RDBStorage(sqlite_url), lambda: upgrade_storage(sqlite_url)):
        with pytest.raises(SchemaVersionError) as info:
            attempt()
        message = str(info.value)
        assert f"schema version {newer}" in message
        assert f"version {schema.SCHEMA_VERSION} of hpo-queue" in message


def test_a_new_store_is_created_at_the_head(storage_url: str) -> None:
    RDBStorage(storage_url)
    assert head_revision() == f"v{schema.SCHEMA_VERSION}"  # one revision per version
    assert _versions(storage_url) == (schema.SCHEMA_VERSION, [head_revision()])
    result = upgrade_storage(storage_url)
    assert not result.changed and result.to_version == schema.SCHEMA_VERSION
    assert _versions(storage_url) == (schema.SCHEMA_VERSION, [head_revision()])


def test_the_migrations_build_the_current_schema(storage_url: str) -> None:
    engine = sa.create_engine(normalize_url(storage_url))
    with engine.begin() as conn:
        run_migrations(conn)  # from an empty database: the baseline, then each revision
    engine.dispose()
    assert _versions(storage_url) == (schema.SCHEMA_VERSION, [head_revision()])
    assert _schema_differences(storage_url) == []
    RDBStorage(storage_url).create_study("fresh", [hq.StudyDirection.MINIMIZE], {}, {}, None)


def test_upgrading_an_empty_database_is_an_error(sqlite_url: str) -> None:
    with pytest.raises(StorageError, match="holds no hpo-queue store"):
        upgrade_storage(sqlite_url)


def _open(url: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        RDBStorage(url)
        out.put("ok")
    except Exception as exc:  # reported to the parent, which fails the test
        out.put(repr(exc))


def test_racing_processes_create_one_store_at_the_head(storage_url: str) -> None:
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    processes = [context.Process(target=_open, args=(storage_url, out)) for _ in range(6)]
    for process in processes:
        process.start()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert results == ["ok"] * len(processes)
    assert _versions(storage_url) == (schema.SCHEMA_VERSION, [head_revision()])
