"""import_optuna_study copies studies that Optuna 5 wrote, on SQLite and MariaDB, field by field."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

import hpo_queue as hq
from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import (
    DuplicatedStudyError,
    InvalidInputError,
    SchemaVersionError,
    StorageError,
    StudyNotFoundError,
)
from hpo_queue.storages import get_storage
from hpo_queue.storages._study_copy import StudyCopy
from hpo_queue.trial import FrozenTrial, TrialState
from tests.support.optuna_studies import (
    ENQUEUED,
    N_OPTIMIZED,
    assert_same_trial,
    optuna_storage,
    write_optuna_studies,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def optuna_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file holding the studies "single" and "multi", written by Optuna 5."""
    url = f"sqlite:///{tmp_path_factory.mktemp('optuna') / 'optuna.db'}"
    write_optuna_studies(url)
    return url


@pytest.fixture(
    params=[
        "sqlite->sqlite",
        "sqlite->mysql",
        "mysql->sqlite",
        "mysql->mysql",
        "postgresql->postgresql",
    ]
)
def source_and_target(
    request: pytest.FixtureRequest, optuna_sqlite: str, sqlite_url: str
) -> tuple[str, str]:
    """(Optuna store, hpo-queue store); a server's pair shares one database, as tables may."""
    source_kind, target_kind = request.param.split("->")
    server = {"mysql": "mysql_url", "postgresql": "postgres_url"}
    urls = {"sqlite": sqlite_url}
    for kind in {source_kind, target_kind} - {"sqlite"}:
        urls[kind] = str(request.getfixturevalue(server[kind]))
    if source_kind == "sqlite":
        return optuna_sqlite, urls[target_kind]
    write_optuna_studies(urls[source_kind])
    return urls[source_kind], urls[target_kind]


def test_every_field_of_every_trial_is_copied(source_and_target: tuple[str, str]) -> None:
    source, target = source_and_target
    for name in ("single", "multi"):
        with optuna_storage(source) as storage:
            expected = optuna.load_study(study_name=name, storage=storage)
            source_trials = expected.get_trials()
            directions = [d.name for d in expected.directions]
            user_attrs = expected.user_attrs
            system_attrs = storage.get_study_system_attrs(expected._study_id)
        study = hq.import_optuna_study(from_storage=source, study_name=name, storage=target)
        assert study.study_name == name
        assert [d.name for d in study.directions] == directions
        assert study.user_attrs == user_attrs
        assert study.system_attrs == system_attrs
        copied = study.get_trials()
        assert len(copied) == len(source_trials) > 0
        for source_trial, trial in zip(source_trials, copied, strict=True):
            assert_same_trial(source_trial, trial)
    states = {t.state for t in hq.load_study(study_name="single", storage=target).trials}
    assert states == {
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAIL,
        TrialState.WAITING,
    }


def test_new_trials_continue_the_numbering_and_run_the_enqueued_trial_first(
    source_and_target: tuple[str, str],
) -> None:
    source, target = source_and_target
    study = hq.import_optuna_study(from_storage=source, study_name="single", storage=target)
    n_source = len(study.trials)

    def objective(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", 1e-3, 10.0, log=True)
        trial.suggest_int("n", 0, 20, step=4)
        trial.suggest_int("k", 1, 64, log=True)
        trial.suggest_categorical("c", ["a", None, 2.5, True])
        return x + trial.suggest_float("s", -1.0, 1.0, step=0.5)

    study.optimize(objective, n_trials=3)
    trials = hq.load_study(study_name="single", storage=target).trials
    assert [t.number for t in trials] == list(range(n_source + 2))
    enqueued = trials[N_OPTIMIZED + 1]
    assert enqueued.state == TrialState.COMPLETE and dict(enqueued.params) == ENQUEUED
    assert all(t.state == TrialState.COMPLETE for t in trials[n_source:])


def test_the_cap_counts_the_copied_trials(optuna_sqlite: str, sqlite_url: str) -> None:
    """The study row's counters match its trials: failed ones free their slots, as always."""
    trials = hq.import_optuna_study(
        from_storage=optuna_sqlite, study_name="single", storage=sqlite_url
    ).trials
    not_failed = sum(t.state != TrialState.FAIL for t in trials)  # the WAITING one included
    study = hq.import_optuna_study(
        from_storage=optuna_sqlite,
        study_name="single",
        storage=sqlite_url,
        new_study_name="capped",
        max_trials=not_failed + 1,  # room for one new trial
    )
    study.optimize(lambda t: t.suggest_float("x", 1e-3, 10.0, log=True), n_trials=5)
    after = hq.load_study(study_name="capped", storage=sqlite_url).trials
    assert len(after) == len(trials) + 1
    assert after[-1].number == len(trials)
    assert after[N_OPTIMIZED + 1].state == TrialState.COMPLETE  # the WAITING one ran too


def test_the_sampler_uses_the_copied_history(tmp_path: Path) -> None:
    """A grid half covered in Optuna is finished in hpo-queue without repeating a point."""
    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    grid = {"x": [0, 1, 2, 3, 4, 5]}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    first = optuna.create_study(
        storage=source, study_name="grid", sampler=optuna.samplers.GridSampler(grid, seed=0)
    )
    first.optimize(lambda t: t.suggest_int("x", 0, 5), n_trials=3)
    target = f"sqlite:///{tmp_path / 'hq.db'}"
    study = hq.import_optuna_study(
        from_storage=source,
        study_name="grid",
        storage=target,
        sampler=hq.samplers.GridSampler(grid, seed=1),
    )
    study.optimize(lambda t: t.suggest_int("x", 0, 5), n_trials=10)
    xs = [t.params["x"] for t in study.trials]
    assert sorted(xs) == grid["x"]  # three copied points, the other three sampled here


def test_a_study_of_that_name_in_the_target_is_an_error(
    optuna_sqlite: str, sqlite_url: str
) -> None:
    existing = hq.create_study(study_name="single", storage=sqlite_url)
    with pytest.raises(DuplicatedStudyError, match="'single' already exists in the target"):
        hq.import_optuna_study(from_storage=optuna_sqlite, study_name="single", storage=sqlite_url)
    assert existing.trials == []
    renamed = hq.import_optuna_study(
        from_storage=optuna_sqlite,
        study_name="single",
        storage=sqlite_url,
        new_study_name="single-copy",
    )
    assert len(renamed.trials) == N_OPTIMIZED + 2


def test_an_unknown_study_names_the_studies_there(optuna_sqlite: str, sqlite_url: str) -> None:
    with pytest.raises(StudyNotFoundError, match="Did you mean 'single'") as info:
        hq.import_optuna_study(from_storage=optuna_sqlite, study_name="singel", storage=sqlite_url)
    assert "'single', 'multi'" in str(info.value)


def test_a_database_without_optuna_tables_is_named(tmp_path: Path, sqlite_url: str) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(StorageError, match="is not an Optuna store"):
        hq.import_optuna_study(
            from_storage=f"sqlite:///{empty}", study_name="s", storage=sqlite_url
        )
    hq.create_study(study_name="s", storage=sqlite_url)  # an hpo-queue store
    with pytest.raises(StorageError, match="it is an hpo-queue store"):
        hq.import_optuna_study(from_storage=sqlite_url, study_name="s", storage=sqlite_url)
    with pytest.raises(StorageError, match="No SQLite database at"):
        hq.import_optuna_study(
            from_storage=f"sqlite:///{tmp_path / 'missing.db'}", study_name="s", storage=sqlite_url
        )
    assert not (tmp_path / "missing.db").exists()


def _v3_store(path: Path, revision: str) -> str:
    """An Optuna 3.0-shaped SQLite store (frozen DDL) with one study, filled by plain SQL."""
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "optuna_v3.0.0.d.sqlite.sql").read_text())
    choice = {"name": "CategoricalDistribution", "attributes": {"choices": ["a", None, True]}}
    floats = {"name": "UniformDistribution", "attributes": {"low": 0.0, "high": 2.0}}
    conn.executescript(
        f"""
        INSERT INTO alembic_version VALUES ('{revision}');
        INSERT INTO version_info VALUES (1, 12, '3.0.0');
        INSERT INTO studies VALUES (1, 'old');
        INSERT INTO study_directions VALUES (1, 'MAXIMIZE', 1, 0);
        INSERT INTO study_user_attributes VALUES (1, 1, 'k', '[1, 2]');
        INSERT INTO trials VALUES
            (1, 0, 1, 'COMPLETE', '2023-01-02 03:04:05.000006', '2023-01-02 03:04:07.000000'),
            (2, 1, 1, 'PRUNED', '2023-01-02 03:05:00.000000', '2023-01-02 03:05:01.000000'),
            (3, 2, 1, 'RUNNING', '2023-01-02 03:06:00.000000', NULL);
        INSERT INTO trial_values VALUES (1, 1, 0, NULL, 'INF_POS');
        INSERT INTO trial_params VALUES
            (1, 1, 'c', 2.0, '{json.dumps(choice)}'),
            (2, 1, 'u', 1.5, '{json.dumps(floats)}');
        INSERT INTO trial_intermediate_values VALUES
            (1, 2, 0, 0.5, 'FINITE'), (2, 2, 1, NULL, 'NAN'), (3, 2, 2, NULL, 'INF_NEG');
        INSERT INTO trial_user_attributes VALUES (1, 1, 'u', '"x"');
        INSERT INTO trial_system_attributes VALUES (1, 1, 'constraints', '[0.5, -1.0]');
        INSERT INTO trial_heartbeats VALUES (1, 3, '2023-01-02 03:06:10.000000');
        """
    )
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_an_optuna_3_0_store_imports(tmp_path: Path, sqlite_url: str) -> None:
    source = _v3_store(tmp_path / "v3.db", "v3.0.0.d")
    study = hq.import_optuna_study(from_storage=source, study_name="old", storage=sqlite_url)
    assert study.directions == [StudyDirection.MAXIMIZE]
    assert study.user_attrs == {"k": [1, 2]}
    done, pruned, running = study.trials
    assert done.values == [math.inf] and dict(done.params) == {"c": True, "u": 1.5}
    assert done.distributions["u"] == hq.distributions.FloatDistribution(0.0, 2.0)
    assert done.constraints == [0.5, -1.0] and dict(done.user_attrs) == {"u": "x"}
    assert done.datetime_start is not None and done.datetime_start.microsecond == 6
    assert pruned.state == TrialState.PRUNED and pruned.values is None
    iv = pruned.intermediate_values
    assert iv[0] == 0.5 and math.isnan(iv[1]) and iv[2] == -math.inf
    assert running.state == TrialState.FAIL and "RUNNING" in (running.fail_reason or "")


@pytest.mark.parametrize(
    ("revision", "says"),
    [("v2.6.0.a", "older than Optuna 3.0; upgrade it"), ("v9.0.0.a", "cannot read")],
)
def test_an_unsupported_optuna_schema_says_which_version_it_found(
    tmp_path: Path, sqlite_url: str, revision: str, says: str
) -> None:
    source = _v3_store(tmp_path / "old.db", revision)
    with pytest.raises(SchemaVersionError, match=f"'{revision}', written by Optuna 3.0.0") as info:
        hq.import_optuna_study(from_storage=source, study_name="old", storage=sqlite_url)
    assert says in str(info.value)


def test_a_failed_import_writes_nothing(sqlite_url: str) -> None:
    """An error in the middle of the copy (a trial that cannot be stored) rolls it all back."""
    storage = get_storage(sqlite_url)
    good = FrozenTrial(number=0, state=TrialState.COMPLETE, values=[1.0])
    # Its params are written with the trial rows, after the study's row.
    bad = FrozenTrial(number=1, state=TrialState.COMPLETE, values=[2.0], params={"o": object()})
    copy = StudyCopy("half", (StudyDirection.MINIMIZE,), user_attrs={"a": 1}, trials=(good, bad))
    with pytest.raises(InvalidInputError, match="cannot be stored as JSON"):
        storage.import_study(copy, {"name": "RandomSampler"}, {"name": "NopPruner"})
    assert "half" not in storage.list_study_names()


def test_the_import_needs_no_optuna_installed(optuna_sqlite: str, sqlite_url: str) -> None:
    script = """
import importlib.abc, sys
class NoOptuna(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "optuna":
            raise ModuleNotFoundError("optuna is not installed", name=name)
sys.meta_path.insert(0, NoOptuna())
import hpo_queue
study = hpo_queue.import_optuna_study(from_storage=sys.argv[1], study_name="multi",
                                      storage=sys.argv[2])
print(len(study.trials), "optuna" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, optuna_sqlite, sqlite_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4", "False"]


def test_a_name_differing_in_case_is_another_study_on_mysql(
    mysql_url: str, sqlite_url: str
) -> None:
    """Optuna's study_name column on MySQL ignores case; the import compares exactly."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with optuna_storage(mysql_url) as storage:
        optuna.create_study(storage=storage, study_name="Mixed")
    with pytest.raises(StudyNotFoundError, match="Did you mean 'Mixed'"):
        hq.import_optuna_study(from_storage=mysql_url, study_name="mixed", storage=sqlite_url)
    study = hq.import_optuna_study(from_storage=mysql_url, study_name="Mixed", storage=sqlite_url)
    assert study.study_name == "Mixed" and study.trials == []
