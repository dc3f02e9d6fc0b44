"""Retrying transactions: deadlocks and lost connections are retried, other errors are not."""

from __future__ import annotations

import pymysql
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError, ProgrammingError

import hpo_queue as hq
from hpo_queue.storages import RDBStorage, normalize_url
from hpo_queue.storages._rdb.retry import is_retryable, run_with_retry


def _mysql_error(code: int, message: str) -> OperationalError:
    return OperationalError("SELECT 1", {}, pymysql.err.OperationalError(code, message))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (1213, "Deadlock found when trying to get lock"),
        (1205, "Lock wait timeout exceeded"),
        (2006, "MySQL server has gone away"),
        (2013, "Lost connection to MySQL server during query"),
    ],
)
def test_deadlocks_and_lost_connections_are_retried(code: int, message: str) -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _mysql_error(code, message)
        return "done"

    assert is_retryable(_mysql_error(code, message))
    assert run_with_retry(flaky) == "done"
    assert len(calls) == 3


def test_other_errors_are_raised_at_once() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ProgrammingError("SELEC 1", {}, pymysql.err.ProgrammingError(1064, "syntax"))

    with pytest.raises(ProgrammingError):
        run_with_retry(broken)
    assert len(calls) == 1


def test_gives_up_after_the_last_attempt() -> None:
    def always_deadlocked() -> None:
        raise _mysql_error(1213, "Deadlock found")

    with pytest.raises(OperationalError):
        run_with_retry(always_deadlocked, attempts=2)


@pytest.mark.mysql
def test_storage_survives_its_connections_being_killed(mysql_url: str) -> None:
    study = hq.create_study(storage=mysql_url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    database = normalize_url(mysql_url).database
    admin = sa.create_engine(normalize_url(mysql_url).set(database="test"))
    with admin.connect() as conn:
        ids = (
            conn.exec_driver_sql(
                "SELECT id FROM information_schema.processlist WHERE db = %s", (database,)
            )
            .scalars()
            .all()
        )
        for connection_id in ids:
            conn.exec_driver_sql(f"KILL CONNECTION {int(connection_id)}")
    admin.dispose()
    assert ids  # the study's pooled connections were there, and are now dead
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.state for t in study.trials] == [hq.TrialState.COMPLETE] * 4
    assert isinstance(study.storage, RDBStorage)
