"""Jobs in SQL: the record of what one submit is owed, its progress and its wake-up turns.

Each function is the body of one transaction on ``conn``; ``storage.py`` runs them. Every
time here is the database's own (``clock.py``).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select, update

from hpo_queue.exceptions import JobNotFoundError, StudyNotFoundError
from hpo_queue.storages._base import JOB_CANCELLED_REASON, MAX_WAKEUP_BACKOFF_SECONDS
from hpo_queue.storages._rdb import schema
from hpo_queue.storages._rdb.clock import utc_now
from hpo_queue.storages._rdb.codec import job_record
from hpo_queue.storages._rdb.locking import at_cap, lock_study_row
from hpo_queue.storages._records import JobProgress, JobRecord
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.storages._rdb.codec import AnyRow

_J = schema.jobs
_S = schema.studies
_T = schema.trials


def create_job(
    conn: Connection,
    study_id: int,
    job_id: str,
    objective_ref: str,
    n_trials: int,
    error_retries: int,
    queue: str | None,
) -> JobRecord:
    """Insert the job; IntegrityError for a used id (the caller names it)."""
    row = conn.execute(
        select(_S.c.study_id, utc_now().label("db_now")).where(_S.c.study_id == study_id)
    ).one_or_none()
    if row is None:
        raise StudyNotFoundError(f"Study id {study_id} does not exist.")
    record = JobRecord(
        job_id=job_id,
        study_id=study_id,
        objective_ref=objective_ref,
        n_trials=n_trials,
        error_retries=error_retries,
        queue=queue,
        datetime_created=row.db_now,
    )
    conn.execute(
        insert(_J).values(
            job_id=job_id,
            study_id=study_id,
            objective_ref=objective_ref,
            n_trials=n_trials,
            error_retries=error_retries,
            queue=queue,
            datetime_created=row.db_now,
            cancelled=0,
            settled=0,
        )
    )
    return record


def read_job_row(conn: Connection, job_id: str, *, lock: bool = False) -> AnyRow:
    """The job's row with the store's clock (db_now). Raises JobNotFoundError."""
    query = select(_J, utc_now().label("db_now")).where(_J.c.job_id == job_id)
    if lock and conn.dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE locks already
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        raise JobNotFoundError(f"No job with id {job_id!r}.")
    return row


def counted_trials(conn: Connection, study_id: int, job_id: str) -> int:
    """How many of the job's trials stand for its work (those no retry replaced)."""
    return int(
        conn.execute(
            select(func.count()).where(
                _T.c.study_id == study_id, _T.c.job_id == job_id, _T.c.superseded == 0
            )
        ).scalar_one()
    )


# How stale the recorded last claim may be. It only tells owed work that no worker takes (idle
# for the lease + 2 s, or 30 s for the "no worker" notice) from work that moves, so a second
# changes nothing there, and it spares the job row a write per trial under the study lock.
CLAIM_RECORD_RESOLUTION = datetime.timedelta(seconds=1)


def record_claim(conn: Connection, job: AnyRow, now: datetime.datetime) -> None:
    """A trial was claimed for ``job`` (its row, read in this transaction): note when, and
    end the wake-up back-off; nothing is written while the recorded claim is fresh and no
    back-off is pending."""
    if (
        job.next_wakeup_at is None
        and job.wakeup_backoff is None
        and job.last_claim_at is not None
        and now - job.last_claim_at < CLAIM_RECORD_RESOLUTION
    ):
        return
    conn.execute(
        update(_J)
        .where(_J.c.job_id == job.job_id)
        .values(last_claim_at=now, next_wakeup_at=None, wakeup_backoff=None)
    )


def job_progress(conn: Connection, job_id: str) -> JobProgress:
    """The job's trials by state (superseded ones left out), what it is owed, the cap."""
    job = read_job_row(conn, job_id)
    study = conn.execute(
        select(_S.c.next_number, _S.c.n_failed, _S.c.max_trials, _S.c.cap_counts_failed).where(
            _S.c.study_id == job.study_id
        )
    ).one()
    rows = conn.execute(
        select(_T.c.state, func.count())
        .where(_T.c.study_id == job.study_id, _T.c.job_id == job_id, _T.c.superseded == 0)
        .group_by(_T.c.state)
    ).all()
    counts = {TrialState(state): int(n) for state, n in rows}
    return JobProgress(
        job=job_record(job),
        counts=counts,
        owed=max(0, job.n_trials - sum(counts.values())),
        at_cap=at_cap(study),
        last_claim=job.last_claim_at,
        now=job.db_now,
    )


def list_active_jobs(conn: Connection) -> list[JobRecord]:
    rows = conn.execute(
        select(_J)
        .where(_J.c.settled == 0, _J.c.cancelled == 0)
        .order_by(_J.c.datetime_created, _J.c.job_id)
    ).all()
    return [job_record(row) for row in rows]


def mark_job_settled(conn: Connection, job_id: str) -> None:
    read_job_row(conn, job_id)  # raises for an unknown job
    conn.execute(update(_J).where(_J.c.job_id == job_id).values(settled=1))


def take_wakeup_turn(conn: Connection, job_id: str, idle_seconds: float) -> bool:
    """Take the job's wake-up turn if it is due; the job row is locked while deciding.

    Idle time counts from the last claim, or from the job's creation before any (its first
    wake-ups were sent then). A cancelled or settled job never has a turn.
    """
    job = read_job_row(conn, job_id, lock=True)
    if job.cancelled or job.settled:
        return False
    now: datetime.datetime = job.db_now
    quiet_since = job.last_claim_at or job.datetime_created
    if now - quiet_since < datetime.timedelta(seconds=idle_seconds):
        return False
    if job.next_wakeup_at is not None and now < job.next_wakeup_at:
        return False
    backoff = idle_seconds if job.wakeup_backoff is None else 2 * job.wakeup_backoff
    backoff = min(backoff, MAX_WAKEUP_BACKOFF_SECONDS)
    conn.execute(
        update(_J)
        .where(_J.c.job_id == job_id)
        .values(next_wakeup_at=now + datetime.timedelta(seconds=backoff), wakeup_backoff=backoff)
    )
    return True


def cancel_job(conn: Connection, job_id: str, now: datetime.datetime) -> None:
    """Mark the job cancelled and fail its WAITING trials, under its study's lock."""
    study_id = read_job_row(conn, job_id).study_id
    lock_study_row(conn, study_id)  # lock order: study row, then its job and trials
    conn.execute(update(_J).where(_J.c.job_id == job_id).values(cancelled=1))
    failed = conn.execute(
        update(_T)
        .where(
            _T.c.study_id == study_id,
            _T.c.job_id == job_id,
            _T.c.state == int(TrialState.WAITING),
        )
        .values(
            state=int(TrialState.FAIL),
            datetime_complete=now,
            fail_reason=JOB_CANCELLED_REASON,
        )
    ).rowcount
    if failed:
        conn.execute(
            update(_S)
            .where(_S.c.study_id == study_id)
            .values(n_waiting=_S.c.n_waiting - failed, n_failed=_S.c.n_failed + failed)
        )
