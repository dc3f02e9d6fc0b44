"""The study row lock, which serializes trial creation, and the cap it guards.

Lock order, everywhere: the study row first, then its trial and job rows (a claim, a
failed trial and its retry, a cancelled job's trials). A transaction that holds no study
lock writes rows of one kind only (lease renewals: trial rows; a wake-up turn: a job row),
so it cannot close a cycle with one that does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from hpo_queue.exceptions import StudyNotFoundError
from hpo_queue.storages._rdb import schema
from hpo_queue.storages._rdb.clock import utc_now

if TYPE_CHECKING:
    from hpo_queue.storages._rdb.codec import AnyRow

_S = schema.studies


def lock_study_row(conn: Connection, study_id: int) -> AnyRow:
    """Lock the study's row; its counters, cap, lease_seconds and the store's clock (db_now).

    db_now is read by the locking statement itself, so a claim's lease costs no round trip;
    it is the time the statement began, so a lease may start up to one lock wait early.
    """
    query = select(
        _S.c.next_number,
        _S.c.n_failed,
        _S.c.n_waiting,
        _S.c.max_trials,
        _S.c.cap_counts_failed,
        _S.c.lease_seconds,
        utc_now().label("db_now"),
    ).where(_S.c.study_id == study_id)
    if conn.dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE already holds the lock.
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        raise StudyNotFoundError(f"Study id {study_id} no longer exists.")
    return row


def at_cap(study_row: AnyRow, n_failed: int | None = None) -> bool:
    """Whether the study's counted trials already number max_trials (row locked).

    Every trial counts but FAIL ones, unless the study's cap counts those too.
    ``n_failed`` overrides the row's count (a trial failed in this very transaction).
    """
    if study_row.max_trials is None:
        return False
    failed = study_row.n_failed if n_failed is None else n_failed
    if study_row.cap_counts_failed:
        failed = 0
    return bool(study_row.next_number - failed >= study_row.max_trials)
