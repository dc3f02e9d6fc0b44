"""InMemoryStorage: the store behind ``storage=None``, plain Python shared by one process's threads.

It keeps the contract of ``BaseStorage`` (exact cap, gap-free numbers, WAITING trials first,
check-and-set finishing) with one lock instead of transactions. Every trial it hands out is a
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
from collections.abc import Iterable, Sequence
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import (
    DuplicatedStudyError,
    InvalidInputError,
    SearchSpaceExhausted,
    StudyNotFoundError,
    TrialNotFoundError,
)
from hpo_queue.storages._base import BaseStorage, FixedParamsHook
from hpo_queue.storages._records import (
    Claim,
    ClaimStatus,
    StudyRecord,
    StudySummary,
    TrialSnapshot,
)
from hpo_queue.storages._validation import check_name, dumps_json, utcnow
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
        self.waiting: dict[int, None] = {}  # numbers of WAITING trials, oldest first
        self.task_keys: dict[str, int] = {}  # task key -> trial number
        self.n_failed = 0
        self.counts: dict[TrialState, int] = {}
        self.best: dict[StudyDirection, FrozenTrial] = {}

    def at_cap(self) -> bool:
        cap = self.record.max_trials
        return cap is not None and len(self.trials) - self.n_failed >= cap

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

    def snapshot(self) -> TrialSnapshot:
        self.trials_shared = True
        unfinished = self.unfinished_list
        if unfinished is None:
            trials = self.trials
            unfinished = self.unfinished_list = [trials[n] for n in sorted(self.unfinished)]
        return TrialSnapshot(self.trials, self.finished_log, unfinished)


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
        self._heartbeats: dict[int, datetime.datetime] = {}  # trial id -> last beat
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
    ) -> StudyRecord:
        check_name("Study name", study_name)
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
            )
            self._studies[study_id] = _Study(record)
            self._by_name[study_name] = study_id
            return _record_copy(record)

    def get_study(self, study_name: str) -> StudyRecord:
        check_name("Study name", study_name)
        with self._lock:
            study_id = self._by_name.get(study_name)
            if study_id is None:
                raise StudyNotFoundError(f"No study named {study_name!r} in {self.url}.")
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
                self._heartbeats.pop(trial.trial_id, None)

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

    def set_max_trials(self, study_id: int, max_trials: int | None) -> None:
        with self._lock:
            study = self._study(study_id)
            study.record = dataclasses.replace(study.record, max_trials=max_trials)

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        check_name("Attribute key", key)
        text = dumps_json(value)
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
    ) -> Claim:
        """Create (or take an enqueued) RUNNING trial, atomically under the storage's lock.

        See :meth:`BaseStorage.claim_trial` for the arguments.
        """
        attrs = _json_copy(system_attrs or {})  # fail on unstorable attrs before any change
        with self._lock:
            study = self._study(study_id)
            if task_key is not None:
                number = study.task_keys.get(task_key)
                if number is not None:
                    return Claim(ClaimStatus.DUPLICATE, study.trials[number])
            now = utcnow()
            if use_waiting and study.waiting and fixed_params is None:
                number = waiting_number
                if number is None or number not in study.waiting:
                    number = next(iter(study.waiting))
                del study.waiting[number]
                trial = dataclasses.replace(
                    study.trials[number],
                    state=_RUNNING,
                    worker=worker,
                    datetime_start=now,
                )
                self._start(study, trial, task_key, now)
                return Claim(ClaimStatus.CLAIMED, trial)
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
            )
            self._start(study, trial, task_key, now)
            return Claim(ClaimStatus.CLAIMED, trial)

    def _start(
        self, study: _Study, trial: FrozenTrial, task_key: str | None, now: datetime.datetime
    ) -> None:
        study.put(trial)
        self._trial_index[trial.trial_id] = (study, trial.number)
        self._heartbeats[trial.trial_id] = now
        if task_key is not None:
            study.task_keys[task_key] = trial.number

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
            study.put(trial)
            study.waiting[trial.number] = None
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
        stored = _json_copy(attrs)
        field = "user_attrs" if kind == "user" else "system_attrs"
        with self._lock:
            study, trial = self._locate(trial_id)
            study.put(dataclasses.replace(trial, **{field: stored}))

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

    def record_heartbeat(self, trial_ids: Iterable[int]) -> None:
        now = utcnow()
        with self._lock:
            for trial_id in trial_ids:
                found = self._trial_index.get(trial_id)
                if found is not None and found[0].trials[found[1]].state is _RUNNING:
                    self._heartbeats[trial_id] = now

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

        The check and the change happen under one lock, so a trial is finished once only
        even when a reaper and its worker race. A FAIL frees the trial's slot under the cap.
        """
        if not state.is_finished():
            raise InvalidInputError(f"{state.name} is not a finished state.")
        changes: dict[str, Any] = {
            "state": state,
            "values": None if values is None else [float(v) for v in values],
            "fail_reason": fail_reason,
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
                return False
            study.put(dataclasses.replace(trial, datetime_complete=utcnow(), **changes))
            self._heartbeats.pop(trial_id, None)
            if state is TrialState.FAIL:
                study.n_failed += 1
            return True

    def find_stale_trials(
        self, grace_seconds: float, study_id: int | None = None
    ) -> list[FrozenTrial]:
        """RUNNING trials whose heartbeat is older than ``grace_seconds``."""
        cutoff = utcnow() - datetime.timedelta(seconds=grace_seconds)
        with self._lock:
            if study_id is None:
                studies = list(self._studies.values())
            else:
                studies = [self._studies[study_id]] if study_id in self._studies else []
            stale = []
            for study in studies:
                for number in study.unfinished:
                    trial = study.trials[number]
                    if trial.state is not _RUNNING:
                        continue
                    beat = self._heartbeats.get(trial.trial_id)
                    if beat is None or beat < cutoff:
                        stale.append(trial)
            return stale

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
