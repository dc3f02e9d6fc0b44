"""Trial rows written under the study row lock: a new trial, a WAITING one started, a retry.

Each function runs inside a transaction that holds the study's lock (``locking.py``), which
is what keeps numbers gap-free and the cap exact.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from hpo_queue.storages._rdb import schema
from hpo_queue.storages._rdb.codec import TrialCodec, inserted_id
from hpo_queue.storages._rdb.locking import at_cap
from hpo_queue.storages._validation import dumps_json as _dumps
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.storages._rdb.codec import AnyRow

_T = schema.trials
_S = schema.studies


@dataclasses.dataclass(frozen=True)
class TrialStart:
    """What a claim writes on the trial it starts: who runs it, since when, its lease."""

    worker: str | None
    task_key: str | None
    now: datetime.datetime
    lease_expires_at: datetime.datetime
    lease_seconds: float
    job_id: str | None

    def columns(self) -> dict[str, Any]:
        """The trial-row columns a start sets."""
        return {
            "worker": self.worker,
            "task_key": self.task_key,
            "datetime_start": self.now,
            "lease_expires_at": self.lease_expires_at,
            "lease_seconds": self.lease_seconds,
            "job_id": self.job_id,
        }


def insert_trial(
    conn: Connection,
    study_id: int,
    number: int,
    state: TrialState,
    *,
    system_attrs: dict[str, Any],
    user_attrs: dict[str, Any] | None = None,
    start: TrialStart | None = None,
    job_id: str | None = None,
) -> FrozenTrial:
    """Insert trial ``number`` (RUNNING: with ``start``) and advance the study's counters.

    The study row is locked. ``job_id`` is that of a WAITING trial (a RUNNING one has its
    start's).
    """
    if start is not None:
        job_id = start.job_id
        started = start.columns()
    else:
        started = {"job_id": job_id}
    result = conn.execute(
        insert(_T).values(
            study_id=study_id,
            number=number,
            state=int(state),
            params_json="{}",
            distributions_json="{}",
            user_attrs_json=_dumps(user_attrs or {}),
            system_attrs_json=_dumps(system_attrs),
            n_reports=0,
            superseded=0,
            **started,
        )
    )
    counters: dict[str, Any] = {"next_number": number + 1}
    if state == TrialState.WAITING:
        counters["n_waiting"] = _S.c.n_waiting + 1
    conn.execute(update(_S).where(_S.c.study_id == study_id).values(**counters))
    return FrozenTrial(
        number=number,
        state=state,
        user_attrs=dict(user_attrs or {}),
        system_attrs=system_attrs,
        datetime_start=None if start is None else start.now,
        trial_id=inserted_id(result),
        worker=None if start is None else start.worker,
        job_id=job_id,
        lease_expires_at=None if start is None else start.lease_expires_at,
    )


def take_waiting(
    conn: Connection,
    codec: TrialCodec,
    study_id: int,
    owner: str | None,
    waiting_number: int | None,
    start: TrialStart,
) -> FrozenTrial | None:
    """Start the oldest WAITING trial of job ``owner`` (None: of no job), if any.

    ``waiting_number`` is taken first if it is one of those. The study row is locked.
    """
    waiting = select(_T).where(
        _T.c.study_id == study_id,
        _T.c.job_id.is_(None) if owner is None else _T.c.job_id == owner,
        _T.c.state == int(TrialState.WAITING),
    )
    row = None
    if waiting_number is not None:
        row = conn.execute(waiting.where(_T.c.number == waiting_number)).one_or_none()
    if row is None:
        row = conn.execute(waiting.order_by(_T.c.number).limit(1)).one_or_none()
    if row is None:
        return None
    conn.execute(
        update(_T)
        .where(_T.c.trial_id == row.trial_id)
        .values(state=int(TrialState.RUNNING), **start.columns())
    )
    conn.execute(update(_S).where(_S.c.study_id == study_id).values(n_waiting=_S.c.n_waiting - 1))
    return dataclasses.replace(
        codec.trial_from_row(row, {}),
        state=TrialState.RUNNING,
        worker=start.worker,
        datetime_start=start.now,
        lease_expires_at=start.lease_expires_at,
        job_id=start.job_id,
    )


def insert_retry(
    conn: Connection, study_id: int, study: AnyRow, trial_id: int, retry_limit: int
) -> FrozenTrial | None:
    """The WAITING retry of the trial just failed, unless retried enough or at the cap."""
    row = conn.execute(
        select(
            _T.c.number,
            _T.c.params_json,
            _T.c.user_attrs_json,
            _T.c.system_attrs_json,
            _T.c.job_id,
        ).where(_T.c.trial_id == trial_id)
    ).one()
    failed_attrs = json.loads(row.system_attrs_json)
    retries = int(failed_attrs.get("retry_count", 0))
    if retries >= retry_limit or at_cap(study, n_failed=study.n_failed + 1):
        return None
    fixed = dict(failed_attrs.get("fixed_params") or {}) | json.loads(row.params_json)
    retry = insert_trial(
        conn,
        study_id,
        study.next_number,
        TrialState.WAITING,
        system_attrs={
            "fixed_params": fixed,
            "retry_of": row.number,
            "retry_count": retries + 1,
            "retry_history": [*failed_attrs.get("retry_history", []), row.number],
        },
        user_attrs=json.loads(row.user_attrs_json),
        job_id=row.job_id,
    )
    # The retry now stands for the failed trial's share of its job.
    conn.execute(update(_T).where(_T.c.trial_id == trial_id).values(superseded=1))
    return retry
