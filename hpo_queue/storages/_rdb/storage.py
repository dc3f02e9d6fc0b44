"""RDBStorage: the one place that writes SQL, on MySQL/MariaDB, PostgreSQL or SQLite.

Every state change is one short transaction. Trial creation locks the study row, which
serializes numbering and makes the max_trials check exact however many processes race.
Leases and job times are on the database's clock (``clock.py``); the jobs' SQL is in
``jobs.py``, the study lock in ``locking.py``.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import (
    DatabaseError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)

from hpo_queue._limits import check_attr_size, check_name, check_trial_attrs_size
from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import (
    DuplicatedStudyError,
    InvalidInputError,
    JobNotFoundError,
    SearchSpaceExhausted,
    StorageError,
    StudyNotFoundError,
    TrialNotFoundError,
    UnsupportedArgumentError,
)
from hpo_queue.storages._base import (
    DEFAULT_LEASE_SECONDS,
    BaseStorage,
    FixedParamsHook,
)
from hpo_queue.storages._callbacks import RetryFailedTrialCallback
from hpo_queue.storages._rdb import jobs, schema
from hpo_queue.storages._rdb.cache import TrialCache, read_intermediate_after
from hpo_queue.storages._rdb.clock import utc_after, utc_now
from hpo_queue.storages._rdb.codec import (
    TrialCodec,
    encode_float,
    inserted_id,
    job_record,
    params_payload,
    study_record,
)
from hpo_queue.storages._rdb.engine import DEFAULT_POOL_SIZE, get_engine
from hpo_queue.storages._rdb.locking import at_cap, lock_study_row
from hpo_queue.storages._rdb.retry import run_with_retry
from hpo_queue.storages._rdb.schema_version import open_schema
from hpo_queue.storages._rdb.study_import import (
    check_study_copy,
    check_trial_copy,
    insert_study_copy,
    insert_trials,
)
from hpo_queue.storages._rdb.trial_rows import (
    TrialStart,
    insert_retry,
    insert_trial,
    take_waiting,
)
from hpo_queue.storages._records import (
    Claim,
    ClaimStatus,
    FinishResult,
    JobProgress,
    JobRecord,
    StudyRecord,
    StudySummary,
    TrialSnapshot,
)
from hpo_queue.storages._study_copy import StudyCopy
from hpo_queue.storages._url import mask_url, normalize_url
from hpo_queue.storages._validation import (
    check_job,
    check_lease_seconds,
    study_not_found,
    utcnow,
)
from hpo_queue.storages._validation import dumps_json as _dumps
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.storages._rdb.codec import AnyRow

_logger = logging.getLogger("hpo_queue.storage")

_T = schema.trials
_S = schema.studies
_IV = schema.intermediate_values
_J = schema.jobs

_R = TypeVar("_R")


class RDBStorage(BaseStorage):
    """Studies and trials in a relational database, shared by every process that opens it.

    Args:
        url: mysql://user:pass@host/db (PyMySQL), mysql+pymysql://..., sqlite:///file.db,
            postgresql://... (needs a driver), or None for a database held in this process.
        pool_size: the most connections this process opens to the store (default 2), shared
            by every RDBStorage of the same URL and pool size in the process; a thread waits
            for a free one rather than opening more (no overflow), so a fleet of N worker
            processes holds at most N x pool_size connections of the server's limit. A
            worker needs two: one for its trial, one for the lease renewals.
    """

    def __init__(
        self,
        url: str | None = None,
        engine_kwargs: dict[str, Any] | None = None,
        skip_compatibility_check: bool = False,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        heartbeat_interval: int | None = None,
        grace_period: int | None = None,
        failed_trial_callback: Callable[..., Any] | None = None,
        skip_table_creation: bool = False,
    ) -> None:
        """Open (and create or check the schema of) the store at ``url``.

        Optuna's arguments are taken so its scripts run: ``heartbeat_interval`` and
        ``grace_period`` are accepted and left to the settings (hpo-queue always keeps a
        lease on every running trial: HPO_HEARTBEAT_INTERVAL, HPO_HEARTBEAT_GRACE), and a
        :class:`RetryFailedTrialCallback` sets how often a lost trial is re-run. The others
        raise UnsupportedArgumentError saying what to do instead.
        """
        _check_optuna_arguments(
            engine_kwargs, skip_compatibility_check, failed_trial_callback, skip_table_creation
        )
        self.lost_trial_max_retries = getattr(failed_trial_callback, "max_retry", None)
        self._url = normalize_url(url)
        # Messages show the URL as the user wrote it, not the driver and charset added here.
        self.url = mask_url(url.strip()) if isinstance(url, str) else mask_url(self._url)
        self.backend = self._url.get_backend_name()
        self.is_in_memory = self.backend == "sqlite" and not self._url.database
        self._engine = get_engine(self._url, pool_size)
        self._memory_lock: AbstractContextManager[Any] = (
            threading.RLock() if self.is_in_memory else nullcontext()
        )
        self._codec = TrialCodec()
        self._cache = TrialCache(self._codec)
        self._ensure_schema()

    def __repr__(self) -> str:
        return f"RDBStorage({self.url!r})"

    def close(self) -> None:
        """Close the pooled connections (SQLite then removes its -wal and -shm files).

        The engine stays usable: the next call opens a connection again. An in-memory
        database is left open, as closing would drop it.
        """
        if not self.is_in_memory:
            self._engine.dispose()

    # -- plumbing --------------------------------------------------------------------------

    def _transaction(self, fn: Callable[[Connection], _R], what: str, attempts: int = 8) -> _R:
        """Run ``fn`` as one transaction, retried on deadlocks and lost connections."""

        def attempt() -> _R:
            # An in-memory database is one shared connection: one transaction at a time.
            with self._memory_lock, self._engine.begin() as conn:
                return fn(conn)

        try:
            return run_with_retry(attempt, what=what, attempts=attempts)
        except OperationalError as exc:
            raise StorageError(f"Could not {what} on {self.url}: {_short_reason(exc)}") from exc

    def _ensure_schema(self) -> None:
        """Create the tables in a new database, or check an existing store's schema version."""
        for attempt in range(_CREATION_ATTEMPTS):
            try:
                # Fail fast on a wrong URL: a first connection is not retried for long.
                self._transaction(
                    lambda conn: open_schema(conn, self.url), "open the database", attempts=2
                )
                return
            except StorageError as exc:
                if attempt + 1 < _CREATION_ATTEMPTS and _lost_creation_race(exc.__cause__):
                    time.sleep(random.uniform(0.05, 0.2))
                    continue  # another process created the tables at the same moment
                raise
            except (IntegrityError, ProgrammingError) as exc:
                if attempt + 1 < _CREATION_ATTEMPTS:
                    time.sleep(random.uniform(0.05, 0.2))
                    continue  # two processes inserted the version row together
                raise StorageError(f"Could not create the schema on {self.url}: {exc}") from exc
            except DatabaseError as exc:
                # SQLite on a file that is not a database (sqlite:////etc/passwd).
                raise StorageError(
                    f"{self.url} cannot be opened as a database ({_short_reason(exc)}); "
                    "check the path in the storage URL."
                ) from exc

    # -- studies ---------------------------------------------------------------------------

    def create_study(
        self,
        study_name: str,
        directions: Sequence[StudyDirection],
        sampler_config: dict[str, Any],
        pruner_config: dict[str, Any],
        max_trials: int | None,
        options: dict[str, Any] | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> StudyRecord:
        check_name("Study name", study_name)
        lease_seconds = check_lease_seconds(lease_seconds)
        created = utcnow()

        def create(conn: Connection) -> int:
            result = conn.execute(
                insert(_S).values(
                    study_name=study_name,
                    directions=_dumps([d.name for d in directions]),
                    sampler_config=_dumps(sampler_config),
                    pruner_config=_dumps(pruner_config),
                    options_json=_dumps(options or {}),
                    max_trials=max_trials,
                    next_number=0,
                    n_failed=0,
                    n_waiting=0,
                    datetime_created=created,
                    lease_seconds=lease_seconds,
                )
            )
            return inserted_id(result)

        try:
            self._transaction(create, "create a study")
        except IntegrityError:
            raise DuplicatedStudyError(
                f"A study named {study_name!r} already exists; pass load_if_exists=True "
                "(--skip-if-exists on the command line) to reuse it."
            ) from None
        return self.get_study(study_name)

    def import_study(
        self,
        copy: StudyCopy,
        sampler_config: dict[str, Any],
        pruner_config: dict[str, Any],
        *,
        study_name: str | None = None,
        max_trials: int | None = None,
        options: dict[str, Any] | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> StudyRecord:
        """Create a study holding every trial of ``copy``, numbers kept, in one transaction.

        New trials continue after the highest number copied; ``max_trials`` counts the
        copied trials as any others. ``study_name`` defaults to the copy's. Raises
        DuplicatedStudyError if the name is taken; on any error nothing is written.
        """
        name = check_name("Study name", study_name or copy.study_name)
        lease_seconds = check_lease_seconds(lease_seconds)
        check_study_copy(copy)

        def write(conn: Connection) -> int:
            return insert_study_copy(
                conn,
                copy,
                study_name=name,
                directions_json=_dumps([d.name for d in copy.directions]),
                sampler_config=sampler_config,
                pruner_config=pruner_config,
                max_trials=max_trials,
                options=options or {},
                lease_seconds=lease_seconds,
            )

        try:
            study_id = self._transaction(write, "import a study")
        except IntegrityError:  # the name was taken between the check and the insert
            raise DuplicatedStudyError(
                f"A study named {name!r} already exists in the target store."
            ) from None
        return self.get_study_by_id(study_id)

    def get_study(self, study_name: str) -> StudyRecord:
        check_name("Study name", study_name, existing=True)

        def read(conn: Connection) -> AnyRow | None:
            return conn.execute(select(_S).where(_S.c.study_name == study_name)).one_or_none()

        row = self._transaction(read, "read a study")
        if row is None:
            raise study_not_found(study_name, self.url, self.list_study_names())
        return study_record(row)

    def get_study_by_id(self, study_id: int) -> StudyRecord:
        row = self._transaction(
            lambda conn: conn.execute(select(_S).where(_S.c.study_id == study_id)).one_or_none(),
            "read a study",
        )
        if row is None:
            raise StudyNotFoundError(f"Study id {study_id} does not exist in {self.url}.")
        return study_record(row)

    def delete_study(self, study_id: int) -> None:
        def remove(conn: Connection) -> None:
            trial_ids = select(_T.c.trial_id).where(_T.c.study_id == study_id)
            conn.execute(delete(_IV).where(_IV.c.trial_id.in_(trial_ids)))
            conn.execute(delete(_T).where(_T.c.study_id == study_id))
            conn.execute(delete(_J).where(_J.c.study_id == study_id))
            conn.execute(
                delete(schema.study_attrs).where(schema.study_attrs.c.study_id == study_id)
            )
            conn.execute(delete(_S).where(_S.c.study_id == study_id))

        self._transaction(remove, "delete a study")
        self._cache.forget(study_id)

    def list_study_names(self) -> list[str]:
        rows = self._transaction(
            lambda conn: conn.execute(select(_S.c.study_name).order_by(_S.c.study_id)).all(),
            "list studies",
        )
        return [r.study_name for r in rows]

    def list_study_summaries(self) -> list[StudySummary]:
        """Every study with its counts by state and best trial, in three queries in all."""

        def read(
            conn: Connection,
        ) -> tuple[Sequence[AnyRow], Sequence[AnyRow], Sequence[AnyRow]]:
            study_rows = conn.execute(select(_S).order_by(_S.c.study_id)).all()
            count_rows = conn.execute(
                select(_T.c.study_id, _T.c.state, func.count()).group_by(_T.c.study_id, _T.c.state)
            ).all()
            attr_rows = conn.execute(
                select(schema.study_attrs).where(schema.study_attrs.c.kind == "user")
            ).all()
            return study_rows, count_rows, attr_rows

        study_rows, count_rows, attr_rows = self._transaction(read, "list studies")
        counts: dict[int, dict[str, int]] = {}
        for study_id, state, n in count_rows:
            counts.setdefault(study_id, {})[TrialState(state).name] = int(n)
        attrs: dict[int, dict[str, Any]] = {}
        for row in attr_rows:
            attrs.setdefault(row.study_id, {})[row.attr_key] = json.loads(row.value_json)
        summaries = []
        for row in study_rows:
            record = study_record(row)
            study_counts = counts.get(record.study_id, {})
            best = None
            if len(record.directions) == 1 and study_counts.get("COMPLETE"):
                best = self.get_best_trial(record.study_id, record.directions[0])
            summaries.append(
                StudySummary(
                    study_name=record.study_name,
                    study_id=record.study_id,
                    directions=record.directions,
                    max_trials=record.max_trials,
                    n_trials=sum(study_counts.values()),
                    counts=study_counts,
                    best_trial=best,
                    datetime_created=record.datetime_created,
                    user_attrs=attrs.get(record.study_id, {}),
                )
            )
        return summaries

    def get_best_trial(self, study_id: int, direction: StudyDirection) -> FrozenTrial | None:
        """The best COMPLETE feasible trial of a single-objective study."""
        self.get_trials(study_id)  # refresh the cache, which keeps the best incrementally
        return self._cache.for_study(study_id).best.get(direction)

    def cached_best_trial(self, study_id: int, direction: StudyDirection) -> FrozenTrial | None:
        """The best trial this process has seen so far, without asking the database."""
        return self._cache.for_study(study_id).best.get(direction)

    def set_max_trials(
        self, study_id: int, max_trials: int | None, *, count_failed: bool = False
    ) -> None:
        self._transaction(
            lambda conn: conn.execute(
                update(_S)
                .where(_S.c.study_id == study_id)
                .values(max_trials=max_trials, cap_counts_failed=int(count_failed))
            ),
            "set max_trials",
        )

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        check_name("Attribute key", key)
        value_json = _dumps(value)
        check_attr_size(f"{kind.capitalize()} attribute", key, value_json)
        table = schema.study_attrs

        def write(conn: Connection) -> None:
            where = and_(
                table.c.study_id == study_id, table.c.kind == kind, table.c.attr_key == key
            )
            if conn.execute(update(table).where(where).values(value_json=value_json)).rowcount:
                return
            conn.execute(
                insert(table).values(
                    study_id=study_id, kind=kind, attr_key=key, value_json=value_json
                )
            )

        self._transaction(write, "set a study attribute")

    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        table = schema.study_attrs
        rows = self._transaction(
            lambda conn: conn.execute(
                select(table.c.attr_key, table.c.value_json).where(
                    table.c.study_id == study_id, table.c.kind == kind
                )
            ).all(),
            "read study attributes",
        )
        return {r.attr_key: json.loads(r.value_json) for r in rows}

    # -- creating and claiming trials ------------------------------------------------------

    def claim_trial(
        self,
        study_id: int,
        *,
        worker: str | None = None,
        task_key: str | None = None,
        fixed_params: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        fixed_params_hook: FixedParamsHook | None = None,
        use_waiting: bool = True,
        waiting_number: int | None = None,
        job_id: str | None = None,
    ) -> Claim:
        """Create (or take an enqueued) RUNNING trial, in one transaction under the study lock.

        See :meth:`BaseStorage.claim_trial`: without ``job_id`` only WAITING trials of no
        job are taken; with one, the job's own WAITING trials first, then (while the job is
        owed a trial) a WAITING trial of no job or a new trial. ``waiting_number`` names a
        WAITING trial to take first among those the claim may take.
        """
        _dumps(system_attrs or {})  # fail on unstorable attrs before taking the lock

        def claim(conn: Connection) -> Claim:
            if task_key is not None:
                row = conn.execute(
                    select(_T).where(_T.c.study_id == study_id, _T.c.task_key == task_key)
                ).one_or_none()
                if row is not None:
                    return Claim(ClaimStatus.DUPLICATE, self._codec.trial_from_row(row, {}))
            study = lock_study_row(conn, study_id)
            job = None
            if job_id is not None:
                job = jobs.read_job_row(conn, job_id)
                if job.study_id != study_id:
                    raise JobNotFoundError(
                        f"Job {job_id!r} belongs to study id {job.study_id}, not {study_id}."
                    )
                if job.cancelled:
                    return Claim(ClaimStatus.CANCELLED, detail=f"job {job_id!r} was cancelled")
            start = TrialStart(
                worker=worker,
                task_key=task_key,
                now=utcnow(),
                lease_expires_at=study.db_now
                + datetime.timedelta(seconds=float(study.lease_seconds)),
                lease_seconds=float(study.lease_seconds),
                job_id=job_id,
            )
            may_take_waiting = use_waiting and study.n_waiting > 0 and fixed_params is None
            if may_take_waiting and job_id is not None:
                trial = take_waiting(conn, self._codec, study_id, job_id, waiting_number, start)
                if trial is not None:
                    return self._claimed(conn, trial, job, study.db_now)
            if (
                job is not None
                and job.n_trials - jobs.counted_trials(conn, study_id, job.job_id) <= 0
            ):
                return Claim(
                    ClaimStatus.NOTHING_OWED,
                    detail=f"job {job_id!r} has all of its {job.n_trials} trial(s)",
                )
            if may_take_waiting:
                trial = take_waiting(conn, self._codec, study_id, None, waiting_number, start)
                if trial is not None:
                    return self._claimed(conn, trial, job, study.db_now)
            if at_cap(study):
                return Claim(
                    ClaimStatus.CAP_REACHED,
                    detail=f"max_trials={study.max_trials} reached",
                )
            attrs = dict(system_attrs or {})
            params = fixed_params
            if params is None and fixed_params_hook is not None:
                try:
                    params = fixed_params_hook(self._cache.refresh(conn, study_id).trials)
                except SearchSpaceExhausted as exc:
                    return Claim(ClaimStatus.EXHAUSTED, detail=str(exc))
            if params is not None:
                attrs["fixed_params"] = params
            trial = insert_trial(
                conn,
                study_id,
                study.next_number,
                TrialState.RUNNING,
                system_attrs=attrs,
                start=start,
            )
            return self._claimed(conn, trial, job, study.db_now)

        return self._transaction(claim, "claim a trial")

    @staticmethod
    def _claimed(
        conn: Connection, trial: FrozenTrial, job: AnyRow | None, db_now: datetime.datetime
    ) -> Claim:
        if job is not None:  # a claim for a job: the trial is the job's now
            jobs.record_claim(conn, job, db_now)
        return Claim(ClaimStatus.CLAIMED, trial)

    def add_finished_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial | None:
        if not trial.state.is_finished():
            raise InvalidInputError(f"A trial to add must be finished, not {trial.state.name}.")
        check_trial_copy(trial)

        def write(conn: Connection) -> FrozenTrial | None:
            study = lock_study_row(conn, study_id)
            if at_cap(study):
                return None
            number = int(study.next_number)
            now = utcnow()
            stored = dataclasses.replace(
                trial,
                number=number,
                datetime_start=trial.datetime_start or now,
                datetime_complete=trial.datetime_complete or now,
            )
            ids = insert_trials(conn, study_id, [stored])
            counters: dict[str, Any] = {"next_number": number + 1}
            if trial.state == TrialState.FAIL:
                counters["n_failed"] = _S.c.n_failed + 1
            conn.execute(update(_S).where(_S.c.study_id == study_id).values(**counters))
            return dataclasses.replace(stored, trial_id=ids[number])

        return self._transaction(write, "add a finished trial")

    def enqueue_trial(
        self,
        study_id: int,
        params: dict[str, Any],
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> FrozenTrial | None:
        """Add a WAITING trial with fixed params; None if the cap leaves no room for it."""
        attrs = {**(system_attrs or {}), "fixed_params": params}
        _dumps(user_attrs or {})  # fail on unstorable attrs before taking the lock

        def enqueue(conn: Connection) -> FrozenTrial | None:
            study = lock_study_row(conn, study_id)
            if at_cap(study):
                return None
            return insert_trial(
                conn,
                study_id,
                study.next_number,
                TrialState.WAITING,
                system_attrs=attrs,
                user_attrs=dict(user_attrs or {}),
            )

        return self._transaction(enqueue, "enqueue a trial")

    # -- writing a running trial -----------------------------------------------------------

    def set_trial_params(
        self, trial_id: int, params: dict[str, Any], distributions: dict[str, BaseDistribution]
    ) -> None:
        """Store a RUNNING trial's whole parameter dict (only its own process writes it)."""
        values = params_payload(params, distributions)
        self._transaction(
            lambda conn: conn.execute(
                update(_T)
                .where(_T.c.trial_id == trial_id, _T.c.state == int(TrialState.RUNNING))
                .values(**values)
            ),
            "store parameters",
        )

    def set_trial_attrs(self, trial_id: int, kind: str, attrs: dict[str, Any]) -> None:
        column = "user_attrs_json" if kind == "user" else "system_attrs_json"
        payload = {column: _dumps(attrs)}
        check_trial_attrs_size(kind, payload[column])
        self._transaction(
            lambda conn: conn.execute(
                update(_T).where(_T.c.trial_id == trial_id).values(**payload)
            ),
            "store trial attributes",
        )

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        column = _T.c.user_attrs_json if kind == "user" else _T.c.system_attrs_json
        check_name(f"{kind.capitalize()} attribute key", key)
        check_attr_size(f"{kind.capitalize()} attribute", key, _dumps(value))

        def merge(conn: Connection) -> None:
            query = select(column).where(_T.c.trial_id == trial_id)
            if conn.dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE already holds the lock
                query = query.with_for_update()
            stored = conn.execute(query).scalar_one_or_none()
            if stored is None:
                raise TrialNotFoundError(f"No trial with id {trial_id}.")
            text = _dumps({**json.loads(stored), key: value})
            check_trial_attrs_size(kind, text)
            conn.execute(update(_T).where(_T.c.trial_id == trial_id).values({column: text}))

        self._transaction(merge, "store a trial attribute")

    def add_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Store the value reported at ``step`` and count it on the trial's row."""
        kind, stored = encode_float(value)

        def write(conn: Connection) -> None:
            # The trial row first: its exclusive lock then covers the foreign-key check of
            # the insert, so a lease renewal updating the same row cannot deadlock with this.
            conn.execute(
                update(_T).where(_T.c.trial_id == trial_id).values(n_reports=_T.c.n_reports + 1)
            )
            conn.execute(
                insert(_IV).values(trial_id=trial_id, step=step, value=stored, value_kind=kind)
            )

        def overwrite(conn: Connection) -> None:
            where = and_(_IV.c.trial_id == trial_id, _IV.c.step == step)
            conn.execute(update(_IV).where(where).values(value=stored, value_kind=kind))

        try:
            self._transaction(write, "store an intermediate value")
        except IntegrityError:  # the step was stored already (a retried write)
            self._transaction(overwrite, "store an intermediate value")

    def renew_leases(self, trial_ids: Iterable[int]) -> None:
        """Extend the leases of these RUNNING trials to now + their lease_seconds.

        The database computes the new leases on its own clock, in one UPDATE per 500 trials.
        """
        ids = sorted(set(trial_ids))  # one row order for every renewer: fewer deadlocks
        if not ids:
            return

        def renew(conn: Connection) -> None:
            for start in range(0, len(ids), 500):
                conn.execute(
                    update(_T)
                    .where(
                        _T.c.trial_id.in_(ids[start : start + 500]),
                        _T.c.state == int(TrialState.RUNNING),
                    )
                    .values(lease_expires_at=utc_after(_T.c.lease_seconds))
                )

        self._transaction(renew, "renew leases")

    def finish_trial(
        self,
        study_id: int,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        fail_reason: str | None = None,
        constraints: Sequence[float] | None = None,
        params: tuple[dict[str, Any], dict[str, BaseDistribution]] | None = None,
        retry_limit: int = 0,
    ) -> FinishResult:
        """Move a RUNNING trial to a finished state; falsy if it was no longer RUNNING.

        ``params`` (params, distributions) not yet written are stored in the same statement.
        A FAIL within ``retry_limit`` gets its WAITING retry in the same transaction (see
        :meth:`BaseStorage.finish_trial`).

        The check and the write are one statement, so a trial is finished once only even
        when a reaper and its worker race.
        """
        if not state.is_finished():
            raise InvalidInputError(f"{state.name} is not a finished state.")
        payload: dict[str, Any] = {
            "state": int(state),
            "datetime_complete": utcnow(),
            "values_json": _dumps(list(values)) if values is not None else None,
            "fail_reason": fail_reason,
            "lease_expires_at": None,
        }
        if constraints is not None:
            payload["constraints_json"] = _dumps(list(constraints))
        if params is not None:
            payload.update(params_payload(*params))

        def finish(conn: Connection) -> FinishResult:
            study = None
            if state == TrialState.FAIL:
                study = lock_study_row(conn, study_id)  # lock order: study row, then trials
            changed = conn.execute(
                update(_T)
                .where(_T.c.trial_id == trial_id, _T.c.state == int(TrialState.RUNNING))
                .values(**payload)
            ).rowcount
            if not changed:
                return FinishResult(False)
            if study is None:
                return FinishResult(True)
            # A failed trial frees its slot under max_trials.
            conn.execute(
                update(_S).where(_S.c.study_id == study_id).values(n_failed=_S.c.n_failed + 1)
            )
            retry = None
            if retry_limit > 0:
                retry = insert_retry(conn, study_id, study, trial_id, retry_limit)
            return FinishResult(True, retry)

        return self._transaction(finish, "finish a trial")

    def find_expired_leases(self, study_id: int | None = None) -> list[FrozenTrial]:
        """RUNNING trials whose lease has expired by the database's clock (all if None)."""
        query = select(_T).where(
            _T.c.state == int(TrialState.RUNNING),
            or_(_T.c.lease_expires_at < utc_now(), _T.c.lease_expires_at.is_(None)),
        )
        if study_id is not None:
            query = query.where(_T.c.study_id == study_id)
        rows = self._transaction(
            lambda conn: conn.execute(query.order_by(_T.c.trial_id)).all(),
            "find expired leases",
        )
        return [self._codec.trial_from_row(r, {}) for r in rows]

    def db_now(self) -> datetime.datetime:
        """The database server's clock (naive UTC)."""
        now: datetime.datetime = self._transaction(
            lambda conn: conn.execute(select(utc_now())).scalar_one(), "read the clock"
        )
        return now

    # -- jobs ------------------------------------------------------------------------------

    def create_job(
        self,
        study_id: int,
        job_id: str,
        objective_ref: str,
        n_trials: int,
        error_retries: int = 0,
        queue: str | None = None,
    ) -> JobRecord:
        """Record a job before its wake-ups are sent. Raises InvalidInputError for a used id."""
        check_job(job_id, n_trials, error_retries)
        try:
            return self._transaction(
                lambda conn: jobs.create_job(
                    conn, study_id, job_id, objective_ref, n_trials, error_retries, queue
                ),
                "create a job",
            )
        except IntegrityError:
            raise InvalidInputError(
                f"A job with id {job_id!r} exists already; give each submit a new id."
            ) from None

    def get_job(self, job_id: str) -> JobRecord:
        return job_record(
            self._transaction(lambda conn: jobs.read_job_row(conn, job_id), "read a job")
        )

    def cancel_job(self, job_id: str) -> None:
        """Mark a job cancelled; its WAITING trials, which no claim takes any more, FAIL."""
        now = utcnow()
        self._transaction(lambda conn: jobs.cancel_job(conn, job_id, now), "cancel a job")

    def job_progress(self, job_id: str) -> JobProgress:
        return self._transaction(lambda conn: jobs.job_progress(conn, job_id), "read a job")

    def list_active_jobs(self) -> list[JobRecord]:
        return self._transaction(jobs.list_active_jobs, "list jobs")

    def mark_job_settled(self, job_id: str) -> None:
        self._transaction(lambda conn: jobs.mark_job_settled(conn, job_id), "settle a job")

    def take_wakeup_turn(self, job_id: str, idle_seconds: float) -> bool:
        return self._transaction(
            lambda conn: jobs.take_wakeup_turn(conn, job_id, idle_seconds), "take a wake-up turn"
        )

    def study_id_of_trial(self, trial_id: int) -> int:
        row = self._transaction(
            lambda conn: conn.execute(
                select(_T.c.study_id).where(_T.c.trial_id == trial_id)
            ).one_or_none(),
            "read a trial",
        )
        if row is None:
            raise TrialNotFoundError(f"No trial with id {trial_id}.")
        return int(row.study_id)

    # -- reading trials --------------------------------------------------------------------

    def get_trial(self, study_id: int, number: int) -> FrozenTrial:
        """One trial by number, read fresh from the store."""

        def read(conn: Connection) -> FrozenTrial | None:
            row = conn.execute(
                select(_T).where(_T.c.study_id == study_id, _T.c.number == number)
            ).one_or_none()
            if row is None:
                return None
            reported: dict[int, dict[int, float]] = {row.trial_id: {}}
            if row.n_reports:
                read_intermediate_after(conn, {row.trial_id: -1}, reported)
            return self._codec.trial_from_row(row, reported[row.trial_id])

        trial = self._transaction(read, "read a trial")
        if trial is None:
            raise TrialNotFoundError(f"No trial number {number} in this study.")
        return trial

    def get_trial_by_task_key(self, study_id: int, task_key: str) -> FrozenTrial | None:
        row = self._transaction(
            lambda conn: conn.execute(
                select(_T).where(_T.c.study_id == study_id, _T.c.task_key == task_key)
            ).one_or_none(),
            "read a trial",
        )
        return None if row is None else self._codec.trial_from_row(row, {})

    def get_snapshot(self, study_id: int) -> TrialSnapshot:
        """The study's trials, refreshed, with the finished and unfinished ones apart."""
        return self._transaction(lambda conn: self._cache.refresh(conn, study_id), "read trials")

    def get_trials(self, study_id: int) -> list[FrozenTrial]:
        """Every trial of the study ordered by number; finished ones come from the cache.

        The returned list and trials are shared with the cache: treat them as read-only.
        """
        return self.get_snapshot(study_id).trials

    def count_trials_by_state(self, study_id: int) -> dict[TrialState, int]:
        rows = self._transaction(
            lambda conn: conn.execute(
                select(_T.c.state, func.count())
                .where(_T.c.study_id == study_id)
                .group_by(_T.c.state)
            ).all(),
            "count trials",
        )
        return {TrialState(state): int(n) for state, n in rows}

    def ping(self) -> None:
        """Raise StorageError unless the database answers."""
        self._transaction(lambda conn: conn.execute(select(1)).one(), "connect")


# Racing processes that open a new database: each lost race is one more attempt.
_CREATION_ATTEMPTS = 5


def _lost_creation_race(exc: BaseException | None) -> bool:
    """Whether creating the tables failed because another process was creating them too."""
    if not isinstance(exc, OperationalError):
        return False
    # MariaDB (1684): a table "was skipped since its definition is being modified by
    # concurrent DDL statement", when another process creates it in the same moment.
    return "already exists" in str(exc) or "concurrent DDL" in str(exc)


def _check_optuna_arguments(
    engine_kwargs: dict[str, Any] | None,
    skip_compatibility_check: bool,
    failed_trial_callback: Callable[..., Any] | None,
    skip_table_creation: bool,
) -> None:
    if engine_kwargs:
        raise UnsupportedArgumentError(
            "RDBStorage(engine_kwargs=...) is not supported: the engine's pool is sized by "
            "pool_size (HPO_DB_POOL_SIZE) and its options are chosen per database."
        )
    if skip_compatibility_check or skip_table_creation:
        raise UnsupportedArgumentError(
            "RDBStorage(skip_compatibility_check/skip_table_creation=True) is not supported: "
            "the schema is always checked; upgrade an old one with `hpo-queue storage upgrade`."
        )
    if failed_trial_callback is not None and not isinstance(
        failed_trial_callback, RetryFailedTrialCallback
    ):
        raise UnsupportedArgumentError(
            "RDBStorage(failed_trial_callback=...) takes only RetryFailedTrialCallback: lost "
            "trials are failed and re-run by the store itself, not by a callback."
        )


def _short_reason(exc: DBAPIError) -> str:
    orig = exc.orig
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    if len(args) >= 2:
        return f"{args[1]} (error {args[0]})"
    return str(orig).splitlines()[0] if str(orig) else type(orig).__name__
