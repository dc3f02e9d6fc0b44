"""Schema migrations: stores written by the last release (a2bbaee, from its frozen DDL) and by a
pre-release build (has_reports) upgraded in place on SQLite, MariaDB and PostgreSQL with
every study, trial and value intact; a version-2 store's RUNNING trials get leases and its
retried trials superseded marks; old and newer stores refused with what to do."""

from __future__ import annotations

import datetime
import json
import math
import multiprocessing
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
from tests.support.old_stores import (
    DISTRIBUTIONS,
    OLD_TRIALS,
    START,
    STUDY_ATTRS,
    create_old_store,
)


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
    create_old_store(storage_url, variant)
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
    assert record.lease_seconds == 60.0
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
                k: DISTRIBUTIONS[k] for k in expected["params"]
            }
            assert found.user_attrs == expected["user_attrs"]
            assert found.system_attrs == expected["system_attrs"]
            assert _same_values(dict(found.intermediate_values), expected["intermediate"])
            assert found.fail_reason == expected.get("fail_reason")
            if expected["state"] != TrialState.WAITING:
                assert found.datetime_start == START
            # The RUNNING trial's live heartbeat became a lease; nothing else holds one.
            assert (found.lease_expires_at is not None) == (expected["state"] == TrialState.RUNNING)
            assert found.job_id is None
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


def _to_version_2(url: str) -> None:
    """Migrate an old store (version 1, no alembic table) to version 2 only, in plain SQL."""
    engine = sa.create_engine(normalize_url(url))
    with engine.begin() as conn:
        schema.alembic_version.create(conn)
        conn.execute(sa.insert(schema.alembic_version).values(version_num="v1"))
        run_migrations(conn, "v2")
    engine.dispose()


def test_a_version_2_store_gets_leases_and_superseded_marks(storage_url: str) -> None:
    create_old_store(storage_url, "a2bbaee")
    _to_version_2(storage_url)
    assert _versions(storage_url) == (2, ["v2"])
    beat = START + datetime.timedelta(hours=1)
    # As version 2 left them: trial 2 failed and was retried as 5, which failed and was
    # retried as 6 (WAITING); the RUNNING trial 3 beat at ``beat``.
    tables = sa.MetaData()
    engine = sa.create_engine(normalize_url(storage_url))
    with engine.begin() as conn:
        tables.reflect(conn)
        trials, studies = tables.tables["hq_trials"], tables.tables["hq_studies"]
        study_id = conn.execute(
            sa.select(studies.c.study_id).where(studies.c.study_name == "old-study")
        ).scalar_one()
        other_id = conn.execute(
            sa.select(studies.c.study_id).where(studies.c.study_name == "second")
        ).scalar_one()
        conn.execute(
            sa.update(trials)
            .where(trials.c.study_id == study_id, trials.c.number == 3)
            .values(heartbeat=beat)
        )
        for number, state, retry_of in ((5, TrialState.FAIL, 2), (6, TrialState.WAITING, 5)):
            conn.execute(
                sa.insert(trials).values(
                    study_id=study_id,
                    number=number,
                    state=int(state),
                    params_json="{}",
                    distributions_json="{}",
                    user_attrs_json="{}",
                    system_attrs_json=json.dumps(
                        {"fixed_params": {"x": 0.0}, "retry_of": retry_of, "retry_count": 1}
                    ),
                    n_reports=0,
                )
            )
        conn.execute(
            sa.update(studies)
            .where(studies.c.study_id == study_id)
            .values(next_number=7, n_failed=2, n_waiting=2)
        )
    engine.dispose()

    result = upgrade_storage(storage_url)

    assert (result.from_version, result.to_version) == (2, schema.SCHEMA_VERSION)
    assert _schema_differences(storage_url) == []
    engine = sa.create_engine(normalize_url(storage_url))
    with engine.connect() as conn:
        marks = conn.execute(
            sa.select(schema.trials.c.study_id, schema.trials.c.number).where(
                schema.trials.c.superseded == 1
            )
        ).all()
        leases = conn.execute(
            sa.select(schema.trials.c.number, schema.trials.c.lease_seconds).where(
                schema.trials.c.lease_expires_at.is_not(None)
            )
        ).all()
    engine.dispose()
    assert sorted(marks) == [(study_id, 2), (study_id, 5)]  # not the second study's trial 2
    assert [tuple(row) for row in leases] == [(3, 60.0)]
    storage = RDBStorage(storage_url)
    running = storage.get_trial(study_id, 3)
    assert running.lease_expires_at == beat + datetime.timedelta(seconds=60)
    assert [t.number for t in storage.find_expired_leases()] == [3]  # it beat long ago
    assert storage.get_trial(other_id, 0).lease_expires_at is None
    assert storage.get_study_by_id(study_id).lease_seconds == 60.0
    # The study goes on: its WAITING trials first (oldest first), then new numbers.
    numbers = [storage.claim_trial(study_id).trial.number for _ in range(3)]  # type: ignore[union-attr]
    assert numbers == [4, 6, 7]


def test_an_old_store_is_refused_with_the_upgrade_command(storage_url: str) -> None:
    create_old_store(storage_url, "a2bbaee")
    with pytest.raises(SchemaVersionError) as info:
        hq.load_study(study_name="old-study", storage=storage_url)
    message = str(info.value)
    assert "schema version 1" in message and f"version {schema.SCHEMA_VERSION}" in message
    # The URL as the user wrote it (mysql://), not the driver's (mysql+pymysql://...?charset=).
    assert f"hpo-queue storage upgrade --storage {storage_url}" in message
    assert "\n" not in message  # the command line shows the first line only


def test_the_upgrade_command_in_the_error_masks_the_password(postgres_url: str) -> None:
    # The test server trusts local connections, so any password is accepted.
    url = normalize_url(postgres_url).set(password="s3cret-pw")
    with_password = url.render_as_string(hide_password=False)
    create_old_store(with_password, "a2bbaee")
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
