"""RDBStorage on SQLite, MariaDB and PostgreSQL: URLs, schema, claims, the exact cap under racing
processes, leases on the database's clock, the connection pool's bound."""

from __future__ import annotations

import datetime
import multiprocessing
import random
import threading
import time

import pytest
import sqlalchemy as sa

import hpo_queue as hq
from hpo_queue.exceptions import InvalidInputError, StorageError, StorageURLError
from hpo_queue.storages import (
    ClaimStatus,
    RDBStorage,
    _validation,
    get_storage,
    mask_url,
    normalize_url,
)
from hpo_queue.storages._rdb import clock, schema
from hpo_queue.storages._rdb import storage as rdb_storage
from hpo_queue.trial import TrialState


def test_mysql_url_uses_pymysql_and_utf8mb4() -> None:
    url = normalize_url("mysql://root@localhost/example")
    assert url.drivername == "mysql+pymysql"
    assert url.query["charset"] == "utf8mb4"
    assert normalize_url("mysql+pymysql://u@h/db").drivername == "mysql+pymysql"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "Could not parse"),
        ("oracle://u@h/db", "Unsupported database"),
        ("mysql://root@localhost", "names no database"),
        ("", "non-empty"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(StorageURLError, match=message):
        RDBStorage(url)


def test_password_is_masked() -> None:
    assert "s3cret" not in mask_url("mysql://root:s3cret@db/x")
    assert "s3cret" not in mask_url("not a url://root:s3cret@db")


def test_unreachable_database_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match=r"127\.0\.0\.1:1") as info:
        RDBStorage("mysql://root:pw@127.0.0.1:1/x")
    assert "pw" not in str(info.value)


def test_schema_version_is_recorded(storage_url: str) -> None:
    RDBStorage(storage_url)
    engine = sa.create_engine(normalize_url(storage_url))
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT schema_version FROM hq_version_info").scalar()
            == schema.SCHEMA_VERSION
        )
    engine.dispose()


def test_claim_is_idempotent_per_task_key(storage_url: str) -> None:
    study = hq.create_study(storage=storage_url)
    storage = study.storage
    first = storage.claim_trial(study.study_id, task_key="task-1")
    second = storage.claim_trial(study.study_id, task_key="task-1")
    assert first.status == ClaimStatus.CLAIMED
    assert second.status == ClaimStatus.DUPLICATE
    assert second.trial is not None and first.trial is not None
    assert second.trial.number == first.trial.number
    assert len(study.trials) == 1


def test_finish_happens_once(storage_url: str) -> None:
    study = hq.create_study(storage=storage_url, max_trials=2)
    storage = study.storage
    claim = storage.claim_trial(study.study_id)
    assert claim.trial is not None
    assert storage.finish_trial(study.study_id, claim.trial.trial_id, TrialState.FAIL)
    assert not storage.finish_trial(study.study_id, claim.trial.trial_id, TrialState.COMPLETE, [1])
    # The failed trial freed its slot: two more fit under max_trials=2.
    assert storage.claim_trial(study.study_id).status == ClaimStatus.CLAIMED
    assert storage.claim_trial(study.study_id).status == ClaimStatus.CLAIMED
    assert storage.claim_trial(study.study_id).status == ClaimStatus.CAP_REACHED


def test_history_cache_sees_updates_of_running_trials(storage_url: str) -> None:
    study = hq.create_study(storage=storage_url)
    other = RDBStorage(storage_url)  # a second process's view, with its own cache
    trial = study.ask()
    assert [t.state for t in other.get_trials(study.study_id)] == [TrialState.RUNNING]
    trial.suggest_float("x", 0, 1)
    trial._write_params()  # what the delayed-write timer does 50 ms after a suggestion
    trial.report(0.5, 3)
    (seen,) = other.get_trials(study.study_id)
    assert set(seen.params) == {"x"} and seen.intermediate_values == {3: 0.5}
    study.tell(trial, 1.0)
    study.ask()
    states = [t.state for t in other.get_trials(study.study_id)]
    assert states == [TrialState.COMPLETE, TrialState.RUNNING]


def test_intermediate_values_keep_inf_and_nan(storage_url: str) -> None:
    study = hq.create_study(storage=storage_url)
    trial = study.ask()
    trial.report(float("inf"), 0)
    trial.report(float("-inf"), 1)
    trial.report(float("nan"), 2)
    trial.report(1.5, 3)
    values = study.storage.get_trial(study.study_id, trial.number).intermediate_values
    assert values[0] == float("inf") and values[1] == float("-inf")
    assert values[2] != values[2] and values[3] == 1.5


def _race(url: str, study_name: str, seed: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    rng = random.Random(seed)
    study = hq.load_study(study_name=study_name, storage=url)
    claimed = []
    while True:
        claim = study.storage.claim_trial(study.study_id, worker=f"p{seed}")
        if claim.status != ClaimStatus.CLAIMED:
            break
        assert claim.trial is not None
        state = TrialState.FAIL if rng.random() < 0.2 else TrialState.COMPLETE
        study.storage.finish_trial(
            study.study_id,
            claim.trial.trial_id,
            state,
            [1.0] if state == TrialState.COMPLETE else None,
        )
        claimed.append(claim.trial.number)
    out.put(claimed)


@pytest.mark.parametrize("n_processes", [8])
def test_racing_processes_never_exceed_the_cap(storage_url: str, n_processes: int) -> None:
    cap = 60
    study = hq.create_study(study_name="race", storage=storage_url, max_trials=cap)
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    processes = [
        context.Process(target=_race, args=(storage_url, "race", i, out))
        for i in range(n_processes)
    ]
    for process in processes:
        process.start()
    claimed = [number for _ in processes for number in out.get(timeout=120)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    trials = study.trials
    numbers = [t.number for t in trials]
    assert sorted(claimed) == numbers == list(range(len(trials)))  # unique, gap-free
    states = [t.state for t in trials]
    assert states.count(TrialState.COMPLETE) == cap  # exactly the cap, failures replaced
    assert TrialState.RUNNING not in states


def test_postgresql_url_picks_an_installed_driver() -> None:
    import importlib.util

    url = normalize_url("postgresql://u@h/db")
    if importlib.util.find_spec("psycopg2") is None:
        assert url.drivername == "postgresql+psycopg"
    else:
        assert url.drivername == "postgresql"
    assert normalize_url("postgres://u@h/db").get_backend_name() == "postgresql"


def test_claim_can_take_a_given_waiting_trial(storage_url: str) -> None:
    study = hq.create_study(storage=storage_url)
    first = study.enqueue_trial({"x": 1.0})
    second = study.enqueue_trial({"x": 2.0})
    assert first is not None and second is not None
    claim = study.storage.claim_trial(study.study_id, waiting_number=second.number)
    assert claim.trial is not None and claim.trial.number == second.number
    # Without a number (or once it is taken) the oldest WAITING trial comes first.
    again = study.storage.claim_trial(study.study_id, waiting_number=second.number)
    assert again.trial is not None and again.trial.number == first.number


def _job_row_writes(storage: RDBStorage) -> list[str]:
    """Record the UPDATEs ``storage`` sends to the jobs table from now on."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE") and "hq_jobs" in statement:
            statements.append(statement)

    event.listen(storage._engine, "before_cursor_execute", record)
    return statements


def test_claims_in_quick_succession_write_the_job_row_once(storage_url: str) -> None:
    study = hq.create_study(storage=storage_url)
    storage = study.storage
    assert isinstance(storage, RDBStorage)
    storage.create_job(study.study_id, "burst", "mod:fn", 5)
    writes = _job_row_writes(storage)
    for _ in range(4):  # well within CLAIM_RECORD_RESOLUTION of each other
        claim = storage.claim_trial(study.study_id, job_id="burst")
        assert claim.status == ClaimStatus.CLAIMED
    assert len(writes) == 1  # the first claim is recorded; the others find it fresh
    progress = storage.job_progress("burst")
    assert progress.last_claim is not None and progress.last_claim <= progress.now

    # A wake-up turn taken since leaves a back-off pending: the next claim writes to end it.
    assert storage.take_wakeup_turn("burst", idle_seconds=0.0)
    storage.claim_trial(study.study_id, job_id="burst")
    assert len(writes) == 3  # the turn's write, then the claim's
    with storage._engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT next_wakeup_at, wakeup_backoff FROM hq_jobs WHERE job_id = 'burst'")
        ).one()
    assert tuple(row) == (None, None)


def _intermediate_value_reads(storage: RDBStorage) -> list[str]:
    """Record the SELECTs ``storage`` sends to the intermediate values table from now on."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and (
            "hq_trial_intermediate_values" in statement
        ):
            statements.append(statement)

    event.listen(storage._engine, "before_cursor_execute", record)
    return statements


def test_a_running_curve_is_read_incrementally_and_completely(storage_url: str) -> None:
    study = hq.create_study(storage=storage_url)
    other = RDBStorage(storage_url)  # a second process's view, with its own cache
    reads = _intermediate_value_reads(other)
    trial = study.ask()
    expected: dict[int, float] = {}
    for step in range(0, 30, 3):
        trial.report(step / 10, step)
        expected[step] = step / 10
        (seen,) = other.get_trials(study.study_id)
        assert seen.intermediate_values == expected
    assert len(reads) == 10  # one read per refresh that had a new report...

    other.get_trials(study.study_id)
    other.get_trials(study.study_id)
    assert len(reads) == 10  # ...and none when nothing was reported

    # A step below the last one read (out of order) is still picked up.
    trial.report(-1.0, 4)
    expected[4] = -1.0
    (seen,) = other.get_trials(study.study_id)
    assert seen.intermediate_values == dict(sorted(expected.items()))
    assert list(seen.intermediate_values) == sorted(expected)

    study.tell(trial, 0.0)
    (seen,) = other.get_trials(study.study_id)
    assert seen.state == TrialState.COMPLETE
    assert seen.intermediate_values == dict(sorted(expected.items()))
    assert (
        study.storage.get_trial(study.study_id, 0).intermediate_values == seen.intermediate_values
    )


@pytest.mark.parametrize("server", ["mysql_url", "postgres_url"])
def test_leases_are_judged_on_the_database_clock_not_the_process_clock(
    request: pytest.FixtureRequest, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = str(request.getfixturevalue(server))
    storage = RDBStorage(url)
    study_id = storage.create_study(
        "s", [hq.StudyDirection.MINIMIZE], {}, {}, None, lease_seconds=0.5
    ).study_id
    real = _validation.utcnow
    assert abs(storage.db_now() - real()) < datetime.timedelta(seconds=5)  # a local server

    def skewed() -> datetime.datetime:  # this node's clock runs 30 s ahead
        return real() + datetime.timedelta(seconds=30)

    for module in (_validation, rdb_storage, clock):
        monkeypatch.setattr(module, "utcnow", skewed)
    claim = storage.claim_trial(study_id, worker="skewed:1")
    assert claim.trial is not None and claim.trial.lease_expires_at is not None
    left = claim.trial.lease_expires_at - storage.db_now()
    assert datetime.timedelta(0) < left <= datetime.timedelta(seconds=0.5)
    assert storage.find_expired_leases(study_id) == []  # not 30 s early
    time.sleep(0.35)
    storage.renew_leases([claim.trial.trial_id])
    time.sleep(0.35)
    assert storage.find_expired_leases(study_id) == []  # renewed on the server's clock
    renewed = storage.get_trial(study_id, 0).lease_expires_at
    assert renewed is not None and renewed - storage.db_now() < datetime.timedelta(seconds=0.5)
    time.sleep(0.4)
    assert [t.number for t in storage.find_expired_leases(study_id)] == [0]


def test_a_process_opens_at_most_pool_size_connections(mysql_url: str) -> None:
    storage = RDBStorage(mysql_url, pool_size=2)
    assert storage._engine.pool.size() == 2  # type: ignore[attr-defined]
    study = storage.create_study("s", [hq.StudyDirection.MINIMIZE], {}, {}, None)
    name = normalize_url(mysql_url).database
    admin = sa.create_engine(normalize_url(mysql_url))
    seen: list[int] = []
    done = threading.Event()

    def sessions() -> int:
        with admin.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = :db"),
                    {"db": name},
                ).scalar_one()
            )

    def watch() -> None:
        while not done.is_set():
            seen.append(sessions() - 1)  # less the watcher's own session
            time.sleep(0.005)

    def work() -> None:
        for _ in range(10):
            claim = storage.claim_trial(study.study_id)
            assert claim.trial is not None
            storage.renew_leases([claim.trial.trial_id])
            storage.finish_trial(study.study_id, claim.trial.trial_id, TrialState.COMPLETE, [1])

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    admin.dispose()
    assert len(storage.get_trials(study.study_id)) == 80
    assert seen and max(seen) <= 2
    assert "Pool size: 2" in storage._engine.pool.status()  # type: ignore[attr-defined]


def test_the_pool_size_is_checked_and_get_storage_passes_it_on(sqlite_url: str) -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidInputError, match="pool_size"):
            RDBStorage(sqlite_url, pool_size=bad)  # type: ignore[arg-type]
    three = get_storage(sqlite_url, pool_size=3)
    assert three._engine.pool.size() == 3  # type: ignore[attr-defined]
    assert get_storage(sqlite_url, pool_size=3) is three
    assert get_storage(sqlite_url) is get_storage(sqlite_url, pool_size=2)  # the default
    assert get_storage(sqlite_url)._engine.pool.size() == 2  # type: ignore[attr-defined]
