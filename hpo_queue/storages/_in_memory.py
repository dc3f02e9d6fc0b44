"""InMemoryStorage: the store behind ``storage=None``, plain Python shared by one process's threads.

It keeps the contract of ``BaseStorage`` (exact cap, gap-free numbers, WAITING trials first,
check-and-set finishing, jobs, leases) with one lock instead of transactions, and the
process's own clock, made monotonic, as the store's. Every trial it hands out is a
``FrozenTrial`` that it never changes afterwards: a write builds a new trial and puts it in
place, and the lists a snapshot returns are copied before the next change (copy on write), so
readers and the samplers' caches share them without copying.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import json
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from hpo_queue._limits import check_attr_size, check_name, check_trial_attrs_size
from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import (
    DuplicatedStudyError,
    InvalidInputError,
    JobNotFoundError,
    SearchSpaceExhausted,
    StudyNotFoundError,
    TrialNotFoundError,
)
from hpo_queue.storages._base import (
    DEFAULT_LEASE_SECONDS,
    JOB_CANCELLED_REASON,
    MAX_WAKEUP_BACKOFF_SECONDS,
    BaseStorage,
    FixedParamsHook,
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
from hpo_queue.storages._validation import (
    check_job,
    check_lease_seconds,
    dumps_json,
    study_not_found,
    utcnow,
)
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

_RUNNING = TrialState.RUNNING
_WAITING = TrialState.WAITING


def _json_copy(value: Any) -> Any:
    """``value`` as a JSON store would give it back (tuples become lists, keys strings)."""
    return json.loads(dumps_json(value))


class _Study:
    """One study's state; every field is read and written under the storage's lock."""

    def __init__(self, record: StudyRecord) -> None:
        self.record = record
        self.attrs: dict[str, dict[str, str]] = {}  # kind -> key -> JSON text
        # Index == trial number. Copied before a change once a snapshot shared it.
        self.trials: list[FrozenTrial] = []
        self.trials_shared = False
        self.finished_log: list[FrozenTrial] = []  # only ever appended to
        self.unfinished: dict[int, None] = {}  # numbers of WAITING and RUNNING trials
        self.unfinished_list: list[FrozenTrial] | None = None  # built on demand
        self.waiting: dict[int, None] = {}  # numbers of WAITING trials of no job, oldest first
        self.superseded: set[int] = set()  # numbers of failed trials a retry replaced
        self.job_ids: set[str] = set()
        self.task_keys: dict[str, int] = {}  # task key -> trial number
        self.n_failed = 0
        self.counts: dict[TrialState, int] = {}
        self.best: dict[StudyDirection, FrozenTrial] = {}

    def at_cap(self) -> bool:
        cap = self.record.max_trials
        if cap is None:
            return False
        failed = 0 if self.record.cap_counts_failed else self.n_failed
        return len(self.trials) - failed >= cap

    def put(self, trial: FrozenTrial) -> None:
        """Store a new version of a trial (or a new trial, with the next number)."""
        if self.trials_shared:
            self.trials = list(self.trials)
            self.trials_shared = False
        number = trial.number
        if number == len(self.trials):
            self.trials.append(trial)
            old_state = None
        else:
            old_state = self.trials[number].state
            self.trials[number] = trial
        state = trial.state
        if state is not old_state:
            if old_state is not None:
                self.counts[old_state] -= 1
            self.counts[state] = self.counts.get(state, 0) + 1
        if state.is_finished():
            self.unfinished.pop(number, None)
            self.finished_log.append(trial)
            self._update_best(trial)
        else:
            self.unfinished[number] = None
        self.unfinished_list = None

    def _update_best(self, trial: FrozenTrial) -> None:
        values = trial.values
        if (
            trial.state is not TrialState.COMPLETE
            or not values
            or len(values) != 1
            or not trial.is_feasible()
        ):
            return
        for direction in StudyDirection:
            current = self.best.get(direction)
            if current is None or direction.is_better(values[0], current.values[0]):  # type: ignore[index]
                self.best[direction] = trial

    def add(self, trial: FrozenTrial, jobs: dict[str, _Job]) -> None:
        """Store a new trial (the next number); a WAITING one joins its queue."""
        self.put(trial)
        if trial.state is _WAITING:
            job = jobs[trial.job_id] if trial.job_id is not None else None
            (self.waiting if job is None else job.waiting)[trial.number] = None

    def snapshot(self) -> TrialSnapshot:
        self.trials_shared = True
        unfinished = self.unfinished_list
        if unfinished is None:
            trials = self.trials
            unfinished = self.unfinished_list = [trials[n] for n in sorted(self.unfinished)]
        return TrialSnapshot(self.trials, self.finished_log, unfinished)


class _Job:
    """One job's state; read and written under the storage's lock."""

    def __init__(self, record: JobRecord) -> None:
        self.record = record
        self.settled = False
        self.numbers: list[int] = []  # the job's trials
        self.waiting: dict[int, None] = {}  # the job's WAITING trials, oldest first
        self.n_counted = 0  # its trials that no retry replaced
        self.last_claim: datetime.datetime | None = None
        self.next_wakeup: datetime.datetime | None = None
        self.backoff: float | None = None


class _MonotonicClock:
    """UTC datetimes that never go back: the wall clock once, then the monotonic clock."""

    def __init__(self) -> None:
        self._start_wall = utcnow()
        self._start = time.monotonic()

    def now(self) -> datetime.datetime:
        return self._start_wall + datetime.timedelta(seconds=time.monotonic() - self._start)


def _pick(queue: dict[int, None], number: int | None) -> int | None:
    """Take ``number`` from a WAITING queue if it is there, else the oldest; None if empty."""
    if not queue:
        return None
    if number is None or number not in queue:
        number = next(iter(queue))
    del queue[number]
    return number


class InMemoryStorage(BaseStorage):
    """Studies and trials held in this process, for ``create_study(storage=None)``.

    Thread-safe: the threads of ``optimize(n_jobs=...)`` share one instance. Nothing
    survives the process, and other processes cannot see it.
    """

    backend = "memory"

    def __init__(self) -> None:
        self.url = "memory"
        self.is_in_memory = True
        # Re-entrant: a fixed_params_hook runs under the lock and may read the storage.
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._by_name: dict[str, int] = {}
        self._trial_index: dict[int, tuple[_Study, int]] = {}  # trial id -> (study, number)
        # RUNNING trial id -> its lease_seconds (the study's when it was claimed).
        self._lease_seconds: dict[int, float] = {}
        self._jobs: dict[str, _Job] = {}  # oldest first
        # The store's clock: leases survive a step of the wall clock.
        self._clock = _MonotonicClock()
        self._study_ids = itertools.count(1)
        self._trial_ids = itertools.count(1)

    def __repr__(self) -> str:
        return "InMemoryStorage()"

    # -- plumbing --------------------------------------------------------------------------

    def _study(self, study_id: int) -> _Study:
        study = self._studies.get(study_id)
        if study is None:
            raise StudyNotFoundError(f"Study id {study_id} does not exist in {self.url}.")
        return study

    def _locate(self, trial_id: int) -> tuple[_Study, FrozenTrial]:
        found = self._trial_index.get(trial_id)
        if found is None:
            raise TrialNotFoundError(f"No trial with id {trial_id}.")
        study, number = found
        return study, study.trials[number]

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
        sampler = _json_copy(sampler_config)
        pruner = _json_copy(pruner_config)
        stored_options = _json_copy(options or {})
        with self._lock:
            if study_name in self._by_name:
                raise DuplicatedStudyError(
                    f"A study named {study_name!r} already exists; pass load_if_exists=True "
                    "(--skip-if-exists on the command line) to reuse it."
                )
            study_id = next(self._study_ids)
            record = StudyRecord(
                study_id=study_id,
                study_name=study_name,
                directions=tuple(directions),
                sampler_config=sampler,
                pruner_config=pruner,
                max_trials=max_trials,
                datetime_created=utcnow(),
                options=stored_options,
                lease_seconds=lease_seconds,
            )
            self._studies[study_id] = _Study(record)
            self._by_name[study_name] = study_id
            return _record_copy(record)

    def get_study(self, study_name: str) -> StudyRecord:
        check_name("Study name", study_name, existing=True)
        with self._lock:
            study_id = self._by_name.get(study_name)
            if study_id is None:
                raise study_not_found(study_name, self.url, list(self._by_name))
            return _record_copy(self._studies[study_id].record)

    def get_study_by_id(self, study_id: int) -> StudyRecord:
        with self._lock:
            return _record_copy(self._study(study_id).record)

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._studies.pop(study_id, None)
            if study is None:
                return
            del self._by_name[study.record.study_name]
            for trial in study.trials:
                self._trial_index.pop(trial.trial_id, None)
                self._lease_seconds.pop(trial.trial_id, None)
            for job_id in study.job_ids:
                self._jobs.pop(job_id, None)

    def list_study_names(self) -> list[str]:
        with self._lock:
            return [s.record.study_name for s in self._studies.values()]

    def list_study_summaries(self) -> list[StudySummary]:
        with self._lock:
            summaries = []
            for study in self._studies.values():
                record = study.record
                counts = {state.name: n for state, n in study.counts.items() if n}
                best = None
                if len(record.directions) == 1:
                    best = study.best.get(record.directions[0])
                summaries.append(
                    StudySummary(
                        study_name=record.study_name,
                        study_id=record.study_id,
                        directions=record.directions,
                        max_trials=record.max_trials,
                        n_trials=len(study.trials),
                        counts=counts,
                        best_trial=best,
                        datetime_created=record.datetime_created,
                        user_attrs=_loads_all(study.attrs.get("user", {})),
                    )
                )
            return summaries

    def set_max_trials(
        self, study_id: int, max_trials: int | None, *, count_failed: bool = False
    ) -> None:
        with self._lock:
            study = self._study(study_id)
            study.record = dataclasses.replace(
                study.record, max_trials=max_trials, cap_counts_failed=count_failed
            )

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        check_name("Attribute key", key)
        text = dumps_json(value)
        check_attr_size(f"{kind.capitalize()} attribute", key, text)
        with self._lock:
            self._study(study_id).attrs.setdefault(kind, {})[key] = text

    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        with self._lock:
            return _loads_all(self._study(study_id).attrs.get(kind, {}))

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
        """Create (or take an enqueued) RUNNING trial, atomically under the storage's lock.

        See :meth:`BaseStorage.claim_trial` for the arguments and the order of a job's claim.
        """
        attrs = _json_copy(system_attrs or {})  # fail on unstorable attrs before any change
        with self._lock:
            study = self._study(study_id)
            if task_key is not None:
                number = study.task_keys.get(task_key)
                if number is not None:
                    return Claim(ClaimStatus.DUPLICATE, study.trials[number])
            job = None
            if job_id is not None:
                job = self._job(job_id)
                if job.record.study_id != study_id:
                    raise JobNotFoundError(
                        f"Job {job_id!r} belongs to study id {job.record.study_id}, not {study_id}."
                    )
                if job.record.cancelled:
                    return Claim(ClaimStatus.CANCELLED, detail=f"job {job_id!r} was cancelled")
            now = utcnow()
            take_waiting = use_waiting and fixed_params is None
            number = None
            if take_waiting and job is not None:
                number = _pick(job.waiting, waiting_number)
            if number is None:
                if job is not None and job.record.n_trials - job.n_counted <= 0:
                    return Claim(
                        ClaimStatus.NOTHING_OWED,
                        detail=f"job {job_id!r} has all of its {job.record.n_trials} trial(s)",
                    )
                if take_waiting:
                    number = _pick(study.waiting, waiting_number)
            # A trial of no job (a new one, or one enqueued) starts counting toward the job.
            new_to_job = job is not None and (number is None or study.trials[number].job_id is None)
            if number is not None:
                trial = dataclasses.replace(
                    study.trials[number],
                    state=_RUNNING,
                    worker=worker,
                    datetime_start=now,
                    job_id=job_id if job_id is not None else study.trials[number].job_id,
                    lease_expires_at=self._lease_end(study.record.lease_seconds),
                )
            else:
                if study.at_cap():
                    return Claim(
                        ClaimStatus.CAP_REACHED,
                        detail=f"max_trials={study.record.max_trials} reached",
                    )
                params = fixed_params
                if params is None and fixed_params_hook is not None:
                    try:
                        params = fixed_params_hook(study.snapshot().trials)
                    except SearchSpaceExhausted as exc:
                        return Claim(ClaimStatus.EXHAUSTED, detail=str(exc))
                if params is not None:
                    attrs["fixed_params"] = _json_copy(params)
                trial = FrozenTrial(
                    number=len(study.trials),
                    state=_RUNNING,
                    system_attrs=attrs,
                    datetime_start=now,
                    trial_id=next(self._trial_ids),
                    worker=worker,
                    job_id=job_id,
                    lease_expires_at=self._lease_end(study.record.lease_seconds),
                )
            study.put(trial)
            self._trial_index[trial.trial_id] = (study, trial.number)
            self._lease_seconds[trial.trial_id] = study.record.lease_seconds
            if task_key is not None:
                study.task_keys[task_key] = trial.number
            if job is not None:
                if new_to_job:
                    job.numbers.append(trial.number)
                    job.n_counted += 1
                job.last_claim, job.next_wakeup, job.backoff = self._clock.now(), None, None
            return Claim(ClaimStatus.CLAIMED, trial)

    def _lease_end(self, lease_seconds: float) -> datetime.datetime:
        return self._clock.now() + datetime.timedelta(seconds=lease_seconds)

    def _job(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(f"No job with id {job_id!r}.")
        return job

    def add_finished_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial | None:
        if not trial.state.is_finished():
            raise InvalidInputError(f"A trial to add must be finished, not {trial.state.name}.")
        for kind, attrs in (("user", trial.user_attrs), ("system", trial.system_attrs)):
            check_trial_attrs_size(kind, dumps_json(dict(attrs)))
        dumps_json(dict(trial.params))
        now = utcnow()
        with self._lock:
            study = self._study(study_id)
            if study.at_cap():
                return None
            stored = FrozenTrial(
                number=len(study.trials),
                state=trial.state,
                values=None if trial.values is None else [float(v) for v in trial.values],
                params=_json_copy(dict(trial.params)),
                distributions=dict(trial.distributions),
                user_attrs=_json_copy(dict(trial.user_attrs)),
                system_attrs=_json_copy(dict(trial.system_attrs)),
                intermediate_values={
                    int(k): float(v) for k, v in trial.intermediate_values.items()
                },
                datetime_start=trial.datetime_start or now,
                datetime_complete=trial.datetime_complete or now,
                constraints=None if trial.constraints is None else list(trial.constraints),
                fail_reason=trial.fail_reason,
                trial_id=next(self._trial_ids),
            )
            study.add(stored, self._jobs)
            if stored.state is TrialState.FAIL:
                study.n_failed += 1
            self._trial_index[stored.trial_id] = (study, stored.number)
            return stored

    def enqueue_trial(
        self,
        study_id: int,
        params: dict[str, Any],
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> FrozenTrial | None:
        """Add a WAITING trial with fixed params; None if the cap leaves no room for it."""
        attrs = _json_copy({**(system_attrs or {}), "fixed_params": params})
        user = _json_copy(user_attrs or {})
        with self._lock:
            study = self._study(study_id)
            if study.at_cap():
                return None
            trial = FrozenTrial(
                number=len(study.trials),
                state=_WAITING,
                user_attrs=user,
                system_attrs=attrs,
                trial_id=next(self._trial_ids),
            )
            study.add(trial, self._jobs)
            self._trial_index[trial.trial_id] = (study, trial.number)
            return trial

    # -- writing a running trial -----------------------------------------------------------

    def set_trial_params(
        self, trial_id: int, params: dict[str, Any], distributions: dict[str, BaseDistribution]
    ) -> None:
        """Store a RUNNING trial's whole parameter dict (a finished trial keeps its own)."""
        dumps_json(params)
        with self._lock:
            study, trial = self._locate(trial_id)
            if trial.state is _RUNNING:
                study.put(
                    dataclasses.replace(
                        trial, params=dict(params), distributions=dict(distributions)
                    )
                )

    def set_trial_attrs(self, trial_id: int, kind: str, attrs: dict[str, Any]) -> None:
        text = dumps_json(attrs)
        check_trial_attrs_size(kind, text)
        stored = json.loads(text)
        field = "user_attrs" if kind == "user" else "system_attrs"
        with self._lock:
            study, trial = self._locate(trial_id)
            study.put(dataclasses.replace(trial, **{field: stored}))

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        check_name(f"{kind.capitalize()} attribute key", key)
        text = dumps_json(value)
        check_attr_size(f"{kind.capitalize()} attribute", key, text)
        stored_value = json.loads(text)
        with self._lock:
            study, trial = self._locate(trial_id)
            old = trial.user_attrs if kind == "user" else trial.system_attrs
            attrs: dict[str, Any] = {**old, key: stored_value}
            check_trial_attrs_size(kind, dumps_json(attrs))
            if kind == "user":
                study.put(dataclasses.replace(trial, user_attrs=attrs))
            else:
                study.put(dataclasses.replace(trial, system_attrs=attrs))

    def add_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Store the value reported at ``step`` (a second write of one step overwrites)."""
        value = float(value)
        with self._lock:
            study, trial = self._locate(trial_id)
            old = trial.intermediate_values
            if not old or step > next(reversed(old)):
                values = {**old, step: value}  # the usual case: steps come in order
            else:
                values = dict(sorted({**old, step: value}.items()))
            study.put(dataclasses.replace(trial, intermediate_values=values))

    def renew_leases(self, trial_ids: Iterable[int]) -> None:
        """Extend the leases of these RUNNING trials to now + their lease_seconds."""
        with self._lock:
            for trial_id in trial_ids:
                found = self._trial_index.get(trial_id)
                if found is not None:
                    self._renew(found[0], found[0].trials[found[1]])

    def _renew(self, study: _Study, trial: FrozenTrial) -> bool:
        if trial.state is not _RUNNING:
            return False
        seconds = self._lease_seconds.get(trial.trial_id, study.record.lease_seconds)
        study.put(dataclasses.replace(trial, lease_expires_at=self._lease_end(seconds)))
        return True

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

        The check and the change happen under one lock, so a trial is finished once only
        even when a reaper and its worker race. A FAIL frees the trial's slot under the cap,
        and within ``retry_limit`` is replaced by its WAITING retry under the same lock.
        """
        if not state.is_finished():
            raise InvalidInputError(f"{state.name} is not a finished state.")
        changes: dict[str, Any] = {
            "state": state,
            "values": None if values is None else [float(v) for v in values],
            "fail_reason": fail_reason,
            "lease_expires_at": None,
        }
        if values is not None:
            dumps_json(changes["values"])
        if constraints is not None:
            changes["constraints"] = [float(c) for c in constraints]
        if params is not None:
            dumps_json(params[0])
            changes["params"], changes["distributions"] = dict(params[0]), dict(params[1])
        with self._lock:
            study, trial = self._locate(trial_id)
            if trial.state is not _RUNNING:
                return FinishResult(False)
            finished = dataclasses.replace(trial, datetime_complete=utcnow(), **changes)
            study.put(finished)
            self._lease_seconds.pop(trial_id, None)
            if state is not TrialState.FAIL:
                return FinishResult(True)
            study.n_failed += 1
            retry = None
            if retry_limit > 0:
                retry = self._add_retry(study, finished, retry_limit)
            return FinishResult(True, retry)

    def _add_retry(self, study: _Study, failed: FrozenTrial, limit: int) -> FrozenTrial | None:
        """The WAITING retry of a trial just failed, unless retried enough or at the cap."""
        retries = int(failed.system_attrs.get("retry_count", 0))
        if retries >= limit or study.at_cap():
            return None
        fixed = dict(failed.system_attrs.get("fixed_params") or {}) | dict(failed.params)
        retry = FrozenTrial(
            number=len(study.trials),
            state=_WAITING,
            user_attrs=_json_copy(dict(failed.user_attrs)),
            system_attrs=_json_copy(
                {
                    "fixed_params": fixed,
                    "retry_of": failed.number,
                    "retry_count": retries + 1,
                    "retry_history": [*failed.system_attrs.get("retry_history", []), failed.number],
                }
            ),
            trial_id=next(self._trial_ids),
            job_id=failed.job_id,
        )
        study.add(retry, self._jobs)
        self._trial_index[retry.trial_id] = (study, retry.number)
        # The retry now stands for the failed trial's share of its job.
        study.superseded.add(failed.number)
        if failed.job_id is not None:
            self._jobs[failed.job_id].numbers.append(retry.number)
        return retry

    def find_expired_leases(self, study_id: int | None = None) -> list[FrozenTrial]:
        """RUNNING trials whose lease has expired by the store's clock (all if None)."""
        with self._lock:
            now = self._clock.now()
            if study_id is None:
                studies = list(self._studies.values())
            else:
                studies = [self._studies[study_id]] if study_id in self._studies else []
            expired = []
            for study in studies:
                for number in study.unfinished:
                    trial = study.trials[number]
                    if trial.state is _RUNNING and (
                        trial.lease_expires_at is None or trial.lease_expires_at < now
                    ):
                        expired.append(trial)
            return sorted(expired, key=lambda t: t.trial_id)

    def db_now(self) -> datetime.datetime:
        """The store's clock: this process's, made monotonic (naive UTC)."""
        return self._clock.now()

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
        with self._lock:
            study = self._study(study_id)
            if job_id in self._jobs:
                raise InvalidInputError(
                    f"A job with id {job_id!r} exists already; give each submit a new id."
                )
            record = JobRecord(
                job_id=job_id,
                study_id=study_id,
                objective_ref=objective_ref,
                n_trials=n_trials,
                error_retries=error_retries,
                queue=queue,
                datetime_created=self._clock.now(),
            )
            self._jobs[job_id] = _Job(record)
            study.job_ids.add(job_id)
            return record

    def get_job(self, job_id: str) -> JobRecord:
        with self._lock:
            return self._job(job_id).record

    def cancel_job(self, job_id: str) -> None:
        """Mark a job cancelled; its WAITING trials, which no claim takes any more, FAIL."""
        with self._lock:
            job = self._job(job_id)
            job.record = dataclasses.replace(job.record, cancelled=True)
            study = self._studies[job.record.study_id]
            now = utcnow()
            for number in job.waiting:
                study.put(
                    dataclasses.replace(
                        study.trials[number],
                        state=TrialState.FAIL,
                        datetime_complete=now,
                        fail_reason=JOB_CANCELLED_REASON,
                    )
                )
                study.n_failed += 1
            job.waiting.clear()

    def job_progress(self, job_id: str) -> JobProgress:
        with self._lock:
            job = self._job(job_id)
            study = self._studies[job.record.study_id]
            counts: dict[TrialState, int] = {}
            for number in job.numbers:
                if number not in study.superseded:
                    state = study.trials[number].state
                    counts[state] = counts.get(state, 0) + 1
            return JobProgress(
                job=job.record,
                counts=counts,
                owed=max(0, job.record.n_trials - job.n_counted),
                at_cap=study.at_cap(),
                last_claim=job.last_claim,
                now=self._clock.now(),
            )

    def list_active_jobs(self) -> list[JobRecord]:
        with self._lock:
            return [
                job.record
                for job in self._jobs.values()
                if not job.record.cancelled and not job.settled
            ]

    def mark_job_settled(self, job_id: str) -> None:
        with self._lock:
            self._job(job_id).settled = True

    def take_wakeup_turn(self, job_id: str, idle_seconds: float) -> bool:
        """Take the job's wake-up turn if it is due (see :meth:`BaseStorage.take_wakeup_turn`).

        Idle time counts from the last claim, or from the job's creation before any (its
        first wake-ups were sent then). A cancelled or settled job never has a turn.
        """
        with self._lock:
            job = self._job(job_id)
            if job.record.cancelled or job.settled:
                return False
            now = self._clock.now()
            quiet_since = job.last_claim or job.record.datetime_created
            if now - quiet_since < datetime.timedelta(seconds=idle_seconds):
                return False
            if job.next_wakeup is not None and now < job.next_wakeup:
                return False
            backoff = idle_seconds if job.backoff is None else 2 * job.backoff
            job.backoff = min(backoff, MAX_WAKEUP_BACKOFF_SECONDS)
            job.next_wakeup = now + datetime.timedelta(seconds=job.backoff)
            return True

    def study_id_of_trial(self, trial_id: int) -> int:
        with self._lock:
            study, _ = self._locate(trial_id)
            return study.record.study_id

    # -- reading trials --------------------------------------------------------------------

    def get_trial(self, study_id: int, number: int) -> FrozenTrial:
        with self._lock:
            trials = self._study(study_id).trials
            if isinstance(number, bool) or not 0 <= number < len(trials):
                raise TrialNotFoundError(f"No trial number {number} in this study.")
            return trials[number]

    def get_trial_by_task_key(self, study_id: int, task_key: str) -> FrozenTrial | None:
        with self._lock:
            study = self._study(study_id)
            number = study.task_keys.get(task_key)
            return None if number is None else study.trials[number]

    def get_snapshot(self, study_id: int) -> TrialSnapshot:
        """The study's trials; the lists are shared, read-only, and never change."""
        with self._lock:
            return self._study(study_id).snapshot()

    def count_trials_by_state(self, study_id: int) -> dict[TrialState, int]:
        with self._lock:
            return {state: n for state, n in self._study(study_id).counts.items() if n}

    def get_best_trial(self, study_id: int, direction: StudyDirection) -> FrozenTrial | None:
        with self._lock:
            return self._study(study_id).best.get(direction)

    def cached_best_trial(self, study_id: int, direction: StudyDirection) -> FrozenTrial | None:
        return self.get_best_trial(study_id, direction)


def _record_copy(record: StudyRecord) -> StudyRecord:
    # The record's dicts would otherwise be shared with every caller.
    return dataclasses.replace(
        record,
        sampler_config=_json_copy(record.sampler_config),
        pruner_config=_json_copy(record.pruner_config),
        options=_json_copy(record.options),
    )


def _loads_all(texts: dict[str, str]) -> dict[str, Any]:
    return {key: json.loads(text) for key, text in texts.items()}
