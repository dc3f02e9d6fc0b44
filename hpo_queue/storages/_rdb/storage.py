"""RDBStorage: the one place that writes SQL, on MySQL/MariaDB, PostgreSQL or SQLite.

Every state change is one short transaction. Trial creation locks the study row, which
serializes numbering and makes the max_trials check exact however many processes race.
"""

from __future__ import annotations

import bisect
import datetime
import json
import logging
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    distribution_from_dict,
    distribution_to_dict,
)
from hpo_queue.exceptions import (
    DuplicatedStudyError,
    InvalidInputError,
    SchemaVersionError,
    SearchSpaceExhausted,
    StorageError,
    StudyNotFoundError,
    TrialNotFoundError,
)
from hpo_queue.storages import _schema as schema
from hpo_queue.storages._base import BaseStorage, FixedParamsHook
from hpo_queue.storages._engine import get_engine
from hpo_queue.storages._records import (
    Claim,
    ClaimStatus,
    StudyRecord,
    StudySummary,
    TrialSnapshot,
)
from hpo_queue.storages._retry import run_with_retry
from hpo_queue.storages._url import mask_url, normalize_url
from hpo_queue.storages._validation import check_name, utcnow
from hpo_queue.storages._validation import dumps_json as _dumps
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

_logger = logging.getLogger("hpo_queue.storage")

_T = schema.trials
_S = schema.studies
_IV = schema.intermediate_values


class _StudyTrialCache:
    """Finished trials of one study, read once; unfinished ones are re-read on refresh.

    Trial rows of a study are inserted under the study row lock, so their ids commit in
    increasing order: "id > the largest id seen" finds every new trial.
    """

    def __init__(self) -> None:
        self.finished: dict[int, FrozenTrial] = {}  # by trial_id
        self.unfinished: dict[int, FrozenTrial] = {}
        self.max_trial_id = 0
        self.sorted_finished: list[FrozenTrial] = []
        # The same finished trials in the order this process learned of them. Only ever
        # appended to, so a reader can pick up where it left off (the TPE column cache).
        self.finished_log: list[FrozenTrial] = []
        # Best COMPLETE feasible single-objective trial, per direction, kept incrementally.
        self.best: dict[StudyDirection, FrozenTrial] = {}
        self.lock = threading.Lock()

    def add_finished(self, trial: FrozenTrial) -> None:
        self.finished[trial.trial_id] = trial
        self.finished_log.append(trial)
        if (
            trial.state != TrialState.COMPLETE
            or not trial.values
            or len(trial.values) != 1
            or not trial.is_feasible()
        ):
            return
        for direction in StudyDirection:
            current = self.best.get(direction)
            if current is None or direction.is_better(trial.values[0], current.values[0]):  # type: ignore[index]
                self.best[direction] = trial


class RDBStorage(BaseStorage):
    """Studies and trials in a relational database, shared by every process that opens it.

    Args:
        url: mysql://user:pass@host/db (PyMySQL), mysql+pymysql://..., sqlite:///file.db,
            postgresql://... (needs a driver), or None for a database held in this process.
    """

    def __init__(self, url: str | None = None) -> None:
        self._url = normalize_url(url)
        self.url = mask_url(self._url)
        self.backend = self._url.get_backend_name()
        self.is_in_memory = self.backend == "sqlite" and not self._url.database
        self._engine = get_engine(self._url)
        self._memory_lock: Any = threading.RLock() if self.is_in_memory else nullcontext()
        self._caches: dict[int, _StudyTrialCache] = {}
        self._caches_lock = threading.Lock()
        self._distribution_memo: dict[str, dict[str, BaseDistribution]] = {}
        self._ensure_schema()

    def __repr__(self) -> str:
        return f"RDBStorage({self.url!r})"

    # -- plumbing --------------------------------------------------------------------------

    def _transaction(self, fn: Callable[[Connection], Any], what: str, attempts: int = 8) -> Any:
        def attempt() -> Any:
            # An in-memory database is one shared connection: one transaction at a time.
            with self._memory_lock, self._engine.begin() as conn:
                return fn(conn)

        try:
            return run_with_retry(attempt, what=what, attempts=attempts)
        except OperationalError as exc:
            raise StorageError(f"Could not {what} on {self.url}: {_short_reason(exc)}") from exc

    def _lock_study_row(self, conn: Connection, study_id: int) -> Any:
        query = select(_S.c.next_number, _S.c.n_failed, _S.c.n_waiting, _S.c.max_trials).where(
            _S.c.study_id == study_id
        )
        if self.backend != "sqlite":  # SQLite's BEGIN IMMEDIATE already holds the lock.
            query = query.with_for_update()
        row = conn.execute(query).one_or_none()
        if row is None:
            raise StudyNotFoundError(f"Study id {study_id} no longer exists.")
        return row

    def _ensure_schema(self) -> None:
        def create(conn: Connection) -> None:
            schema.metadata.create_all(conn, checkfirst=True)
            row = conn.execute(select(schema.version_info)).one_or_none()
            if row is None:
                from hpo_queue import __version__

                conn.execute(
                    insert(schema.version_info).values(
                        version_info_id=1,
                        schema_version=schema.SCHEMA_VERSION,
                        library_version=__version__,
                    )
                )
            elif row.schema_version != schema.SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"{self.url} holds schema version {row.schema_version} "
                    f"(written by hpo-queue {row.library_version}); this release reads "
                    f"version {schema.SCHEMA_VERSION}."
                )

        for attempt in range(3):
            try:
                # Fail fast on a wrong URL: a first connection is not retried for long.
                self._transaction(create, "open the database", attempts=2)
                return
            except StorageError as exc:
                cause = exc.__cause__
                if (
                    attempt < 2
                    and isinstance(cause, OperationalError)
                    and ("already exists" in str(cause))
                ):
                    continue  # another process created the tables at the same moment
                raise
            except (IntegrityError, ProgrammingError) as exc:
                if attempt < 2:
                    continue  # two processes inserted the version row together
                raise StorageError(f"Could not create the schema on {self.url}: {exc}") from exc

    # -- studies ---------------------------------------------------------------------------

    def create_study(
        self,
        study_name: str,
        directions: Sequence[StudyDirection],
        sampler_config: dict[str, Any],
        pruner_config: dict[str, Any],
        max_trials: int | None,
        options: dict[str, Any] | None = None,
    ) -> StudyRecord:
        check_name("Study name", study_name)
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
                )
            )
            return _inserted_id(result)

        try:
            self._transaction(create, "create a study")
        except IntegrityError:
            raise DuplicatedStudyError(
                f"A study named {study_name!r} already exists; pass load_if_exists=True "
                "(--skip-if-exists on the command line) to reuse it."
            ) from None
        return self.get_study(study_name)

    def get_study(self, study_name: str) -> StudyRecord:
        check_name("Study name", study_name)

        def read(conn: Connection) -> Any:
            return conn.execute(select(_S).where(_S.c.study_name == study_name)).one_or_none()

        row = self._transaction(read, "read a study")
        if row is None:
            raise StudyNotFoundError(f"No study named {study_name!r} in {self.url}.")
        return _study_record(row)

    def get_study_by_id(self, study_id: int) -> StudyRecord:
        row = self._transaction(
            lambda conn: conn.execute(select(_S).where(_S.c.study_id == study_id)).one_or_none(),
            "read a study",
        )
        if row is None:
            raise StudyNotFoundError(f"Study id {study_id} does not exist in {self.url}.")
        return _study_record(row)

    def delete_study(self, study_id: int) -> None:
        def remove(conn: Connection) -> None:
            trial_ids = select(_T.c.trial_id).where(_T.c.study_id == study_id)
            conn.execute(delete(_IV).where(_IV.c.trial_id.in_(trial_ids)))
            conn.execute(delete(_T).where(_T.c.study_id == study_id))
            conn.execute(
                delete(schema.study_attrs).where(schema.study_attrs.c.study_id == study_id)
            )
            conn.execute(delete(_S).where(_S.c.study_id == study_id))

        self._transaction(remove, "delete a study")
        with self._caches_lock:
            self._caches.pop(study_id, None)

    def list_study_names(self) -> list[str]:
        rows = self._transaction(
            lambda conn: conn.execute(select(_S.c.study_name).order_by(_S.c.study_id)).all(),
            "list studies",
        )
        return [r.study_name for r in rows]

    def list_study_summaries(self) -> list[StudySummary]:
        """Every study with its counts by state and best trial, in three queries in all."""

        def read(conn: Connection) -> tuple[Any, Any, Any]:
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
            record = _study_record(row)
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
        return self._cache_for(study_id).best.get(direction)

    def cached_best_trial(self, study_id: int, direction: StudyDirection) -> FrozenTrial | None:
        """The best trial this process has seen so far, without asking the database."""
        return self._cache_for(study_id).best.get(direction)

    def set_max_trials(self, study_id: int, max_trials: int | None) -> None:
        self._transaction(
            lambda conn: conn.execute(
                update(_S).where(_S.c.study_id == study_id).values(max_trials=max_trials)
            ),
            "set max_trials",
        )

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        check_name("Attribute key", key)
        value_json = _dumps(value)
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
    ) -> Claim:
        """Create (or take an enqueued) RUNNING trial, in one transaction under the study lock.

        Args:
            worker: who runs the trial (hostname:pid), shown in status views.
            task_key: an idempotency key (a Celery task id): a second claim with the same key
                returns the first trial with status DUPLICATE instead of creating another.
            fixed_params: parameters the trial must use (a retry of a failed trial).
            system_attrs: extra attributes stored on the trial.
            fixed_params_hook: called with the up-to-date trial list while the lock is held;
                returns fixed params (a grid point) or raises SearchSpaceExhausted.
            use_waiting: take the oldest WAITING (enqueued) trial first if there is one.
            waiting_number: take this WAITING trial (a retry the caller queued) if it is
                still WAITING, before any other.
        """

        def claim(conn: Connection) -> Claim:
            if task_key is not None:
                row = conn.execute(
                    select(_T).where(_T.c.study_id == study_id, _T.c.task_key == task_key)
                ).one_or_none()
                if row is not None:
                    return Claim(ClaimStatus.DUPLICATE, self._trial_from_row(row, {}))
            study = self._lock_study_row(conn, study_id)
            now = utcnow()
            if use_waiting and study.n_waiting > 0 and fixed_params is None:
                waiting = select(_T).where(
                    _T.c.study_id == study_id, _T.c.state == int(TrialState.WAITING)
                )
                row = None
                if waiting_number is not None:
                    row = conn.execute(waiting.where(_T.c.number == waiting_number)).one_or_none()
                if row is None:
                    row = conn.execute(waiting.order_by(_T.c.number).limit(1)).one_or_none()
                if row is not None:
                    conn.execute(
                        update(_T)
                        .where(_T.c.trial_id == row.trial_id)
                        .values(
                            state=int(TrialState.RUNNING),
                            worker=worker,
                            task_key=task_key,
                            datetime_start=now,
                            heartbeat=now,
                        )
                    )
                    conn.execute(
                        update(_S)
                        .where(_S.c.study_id == study_id)
                        .values(n_waiting=_S.c.n_waiting - 1)
                    )
                    trial = self._trial_from_row(row, {})
                    trial.state = TrialState.RUNNING
                    trial.worker, trial.datetime_start = worker, now
                    return Claim(ClaimStatus.CLAIMED, trial)
            if _at_cap(study):
                return Claim(
                    ClaimStatus.CAP_REACHED,
                    detail=f"max_trials={study.max_trials} reached",
                )
            attrs = dict(system_attrs or {})
            params = fixed_params
            if params is None and fixed_params_hook is not None:
                try:
                    params = fixed_params_hook(self._refresh(study_id, conn).trials)
                except SearchSpaceExhausted as exc:
                    return Claim(ClaimStatus.EXHAUSTED, detail=str(exc))
            if params is not None:
                attrs["fixed_params"] = params
            trial = _insert_trial(
                conn,
                study_id,
                study.next_number,
                TrialState.RUNNING,
                system_attrs=attrs,
                worker=worker,
                task_key=task_key,
                now=now,
            )
            return Claim(ClaimStatus.CLAIMED, trial)

        return self._transaction(claim, "claim a trial")

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
            study = self._lock_study_row(conn, study_id)
            if _at_cap(study):
                return None
            return _insert_trial(
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
        values = _params_payload(params, distributions)
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
        self._transaction(
            lambda conn: conn.execute(
                update(_T).where(_T.c.trial_id == trial_id).values(**payload)
            ),
            "store trial attributes",
        )

    def add_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Store the value reported at ``step`` and count it on the trial's row."""
        kind, stored = _encode_float(value)

        def write(conn: Connection) -> None:
            # The trial row first: its exclusive lock then covers the foreign-key check of
            # the insert, so a heartbeat updating the same row cannot deadlock with this.
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

    def record_heartbeat(self, trial_ids: Iterable[int]) -> None:
        ids = list(trial_ids)
        if not ids:
            return
        now = utcnow()
        self._transaction(
            lambda conn: conn.execute(
                update(_T)
                .where(_T.c.trial_id.in_(ids), _T.c.state == int(TrialState.RUNNING))
                .values(heartbeat=now)
            ),
            "record a heartbeat",
        )

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
    ) -> bool:
        """Move a RUNNING trial to a finished state; False if it was no longer RUNNING.

        ``params`` (params, distributions) not yet written are stored in the same statement.

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
        }
        if constraints is not None:
            payload["constraints_json"] = _dumps(list(constraints))
        if params is not None:
            payload.update(_params_payload(*params))

        def finish(conn: Connection) -> bool:
            if state == TrialState.FAIL:
                self._lock_study_row(conn, study_id)  # lock order: study row, then trial row
            changed = conn.execute(
                update(_T)
                .where(_T.c.trial_id == trial_id, _T.c.state == int(TrialState.RUNNING))
                .values(**payload)
            ).rowcount
            if changed and state == TrialState.FAIL:
                # A failed trial frees its slot under max_trials.
                conn.execute(
                    update(_S).where(_S.c.study_id == study_id).values(n_failed=_S.c.n_failed + 1)
                )
            return bool(changed)

        return self._transaction(finish, "finish a trial")

    def find_stale_trials(
        self, grace_seconds: float, study_id: int | None = None
    ) -> list[FrozenTrial]:
        """RUNNING trials whose heartbeat is older than ``grace_seconds``."""
        cutoff = utcnow() - datetime.timedelta(seconds=grace_seconds)
        query = select(_T).where(
            _T.c.state == int(TrialState.RUNNING),
            or_(_T.c.heartbeat < cutoff, _T.c.heartbeat.is_(None)),
        )
        if study_id is not None:
            query = query.where(_T.c.study_id == study_id)
        rows = self._transaction(lambda conn: conn.execute(query).all(), "find stale trials")
        return [self._trial_from_row(r, {}) for r in rows]

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
                self._read_intermediate_after(conn, {row.trial_id: -1}, reported)
            return self._trial_from_row(row, reported[row.trial_id])

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
        return None if row is None else self._trial_from_row(row, {})

    def get_snapshot(self, study_id: int) -> TrialSnapshot:
        """The study's trials, refreshed, with the finished and unfinished ones apart."""
        return self._transaction(lambda conn: self._refresh(study_id, conn), "read trials")

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

    def _cache_for(self, study_id: int) -> _StudyTrialCache:
        with self._caches_lock:
            cache = self._caches.get(study_id)
            if cache is None:
                cache = self._caches[study_id] = _StudyTrialCache()
            return cache

    def _refresh(self, study_id: int, conn: Connection) -> TrialSnapshot:
        cache = self._cache_for(study_id)
        with cache.lock:
            condition = _T.c.trial_id > cache.max_trial_id
            if cache.unfinished:
                condition = or_(condition, _T.c.trial_id.in_(list(cache.unfinished)))
            rows = conn.execute(select(_T).where(_T.c.study_id == study_id, condition)).all()
            intermediate = self._read_new_intermediate(conn, rows, cache.unfinished)
            newly_finished = []
            for row in rows:
                trial = self._trial_from_row(row, intermediate.get(row.trial_id, {}))
                cache.max_trial_id = max(cache.max_trial_id, row.trial_id)
                if trial.state.is_finished():
                    cache.unfinished.pop(row.trial_id, None)
                    cache.add_finished(trial)
                    newly_finished.append(trial)
                else:
                    cache.unfinished[row.trial_id] = trial
            if newly_finished:
                # Copy on write: lists handed out earlier stay valid for their readers.
                updated = list(cache.sorted_finished)
                for trial in newly_finished:
                    # Mostly an append: trials tend to finish in the order they started.
                    bisect.insort(updated, trial, key=_by_number)
                cache.sorted_finished = updated
            finished = cache.sorted_finished
            if not cache.unfinished:
                return TrialSnapshot(finished, cache.finished_log, [])
            running = sorted(cache.unfinished.values(), key=_by_number)
            if not finished or running[0].number > finished[-1].number:
                merged = [*finished, *running]
            else:
                merged = sorted([*finished, *running], key=_by_number)
            return TrialSnapshot(merged, cache.finished_log, running)

    def _read_new_intermediate(
        self, conn: Connection, rows: Sequence[Any], known: dict[int, FrozenTrial]
    ) -> dict[int, dict[int, float]]:
        """The intermediate values of the trials in ``rows``, reading only what is new.

        ``known`` holds this process's last view of unfinished trials. A trial whose row
        counts no more values than that view holds is not read again; one that reported
        since is read from just after its last known step, so a running trial's curve costs
        its new steps, not all of them, at every refresh. A trial that reported a step
        below its last known one (rare) is read in full.
        """
        result: dict[int, dict[int, float]] = {}
        after_step: dict[int, int] = {}  # trial id -> read the steps above this one
        counted = {row.trial_id: row.n_reports for row in rows}
        for row in rows:
            old = known.get(row.trial_id)
            values = old.intermediate_values if old is not None else {}
            if row.n_reports > len(values):
                after_step[row.trial_id] = next(reversed(values), -1)  # kept in step order
                values = dict(values)  # a copy: trials handed out earlier keep theirs
            result[row.trial_id] = values  # unchanged: the same (never mutated) dict
        self._read_intermediate_after(conn, after_step, result)

        short = {t: -1 for t in after_step if len(result[t]) < counted[t]}
        self._read_intermediate_after(conn, short, result)
        for trial_id in short:  # its older steps came after the newer ones: put them in order
            result[trial_id] = dict(sorted(result[trial_id].items()))
        return result

    def _read_intermediate_after(
        self,
        conn: Connection,
        after_step: dict[int, int],
        into: dict[int, dict[int, float]],
    ) -> None:
        """Add to ``into`` each trial's values at steps above ``after_step[trial_id]``.

        Values are added in step order, so a dict that held lower steps stays in step order.
        """
        ids = list(after_step)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            # One index range per trial: (trial_id = t AND step > s) OR ...
            ranges = [and_(_IV.c.trial_id == t, _IV.c.step > after_step[t]) for t in chunk]
            rows = conn.execute(
                select(_IV.c.trial_id, _IV.c.step, _IV.c.value, _IV.c.value_kind)
                .where(or_(*ranges))
                .order_by(_IV.c.trial_id, _IV.c.step)  # the primary key's order: free
            ).all()
            for trial_id, step, value, kind in rows:
                into[trial_id][step] = _decode_float(kind, value)

    def _trial_from_row(self, row: Any, intermediate: dict[int, float]) -> FrozenTrial:
        return FrozenTrial(
            number=row.number,
            state=TrialState(row.state),
            values=json.loads(row.values_json) if row.values_json is not None else None,
            params=json.loads(row.params_json),
            distributions=self._distributions(row.distributions_json),
            user_attrs=json.loads(row.user_attrs_json),
            system_attrs=json.loads(row.system_attrs_json),
            intermediate_values=intermediate,  # already in step order
            datetime_start=row.datetime_start,
            datetime_complete=row.datetime_complete,
            trial_id=row.trial_id,
            worker=row.worker,
            fail_reason=row.fail_reason,
            constraints=json.loads(row.constraints_json) if row.constraints_json else None,
        )

    def _distributions(self, text: str) -> dict[str, BaseDistribution]:
        # Most trials of a study share their distributions: parse each distinct text once.
        parsed = self._distribution_memo.get(text)
        if parsed is None:
            parsed = {k: distribution_from_dict(v) for k, v in json.loads(text).items()}
            if len(self._distribution_memo) < 10_000:
                self._distribution_memo[text] = parsed
        return dict(parsed)

    def ping(self) -> None:
        """Raise StorageError unless the database answers."""
        self._transaction(lambda conn: conn.execute(select(1)).one(), "connect")


def _by_number(trial: FrozenTrial) -> int:
    return trial.number


def _study_record(row: Any) -> StudyRecord:
    return StudyRecord(
        study_id=row.study_id,
        study_name=row.study_name,
        directions=tuple(StudyDirection[d] for d in json.loads(row.directions)),
        sampler_config=json.loads(row.sampler_config),
        pruner_config=json.loads(row.pruner_config),
        max_trials=row.max_trials,
        datetime_created=row.datetime_created,
        options=json.loads(row.options_json),
    )


def _encode_float(value: float) -> tuple[int, float | None]:
    if math.isnan(value):
        return schema.NAN, None
    if math.isinf(value):
        return (schema.POS_INF if value > 0 else schema.NEG_INF), None
    return schema.FINITE, value


def _decode_float(kind: int, value: float | None) -> float:
    if kind == schema.FINITE:
        return float(value)  # type: ignore[arg-type]
    return {schema.POS_INF: math.inf, schema.NEG_INF: -math.inf}.get(kind, math.nan)


def _at_cap(study_row: Any) -> bool:
    """Whether the study's non-failed trials already number max_trials (row locked)."""
    return study_row.max_trials is not None and (
        study_row.next_number - study_row.n_failed >= study_row.max_trials
    )


def _insert_trial(
    conn: Connection,
    study_id: int,
    number: int,
    state: TrialState,
    *,
    system_attrs: dict[str, Any],
    user_attrs: dict[str, Any] | None = None,
    worker: str | None = None,
    task_key: str | None = None,
    now: datetime.datetime | None = None,
) -> FrozenTrial:
    """Insert trial ``number`` and advance the study's counters; the study row is locked."""
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
            worker=worker,
            task_key=task_key,
            datetime_start=now,
            heartbeat=now,
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
        datetime_start=now,
        trial_id=_inserted_id(result),
        worker=worker,
    )


def _params_payload(
    params: dict[str, Any], distributions: dict[str, BaseDistribution]
) -> dict[str, str]:
    return {
        "params_json": _dumps(params),
        "distributions_json": _dumps(
            {k: distribution_to_dict(d) for k, d in distributions.items()}
        ),
    }


def _inserted_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _short_reason(exc: DBAPIError) -> str:
    orig = exc.orig
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    if len(args) >= 2:
        return f"{args[1]} (error {args[0]})"
    return str(orig).splitlines()[0] if str(orig) else type(orig).__name__
