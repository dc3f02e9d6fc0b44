"""The per-process trial cache of each study, and the incremental reads that refresh it.

A refresh reads only the trial rows that are new or were unfinished at the last refresh,
and of those only the intermediate values reported since.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, or_, select

from hpo_queue.directions import StudyDirection
from hpo_queue.storages._rdb import schema
from hpo_queue.storages._rdb.codec import TrialCodec, decode_float
from hpo_queue.storages._records import TrialSnapshot
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.storages._rdb.codec import AnyRow

_T = schema.trials
_IV = schema.intermediate_values


class StudyTrialCache:
    """Finished trials of one study, read once; unfinished ones are re-read on refresh.

    Trial rows of a study are inserted under the study row lock, so their ids commit in
    increasing order: "id > the largest id seen" finds every new trial. A finished trial's
    row is final: its superseded mark is written in the transaction that fails it, and its
    lease is cleared then, so only the unfinished trials (state, lease, job, params, values)
    need reading again.
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
        """Record a trial that has just been seen finished."""
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


class TrialCache:
    """The trial caches of every study one storage has read, by study id."""

    def __init__(self, codec: TrialCodec) -> None:
        self._codec = codec
        self._studies: dict[int, StudyTrialCache] = {}
        self._lock = threading.Lock()

    def for_study(self, study_id: int) -> StudyTrialCache:
        """The study's cache, created empty on first use."""
        with self._lock:
            cache = self._studies.get(study_id)
            if cache is None:
                cache = self._studies[study_id] = StudyTrialCache()
            return cache

    def forget(self, study_id: int) -> None:
        """Drop a (deleted) study's cache."""
        with self._lock:
            self._studies.pop(study_id, None)

    def refresh(self, conn: Connection, study_id: int) -> TrialSnapshot:
        """Read what changed since the last refresh; the study's trials, ordered by number."""
        cache = self.for_study(study_id)
        with cache.lock:
            condition = _T.c.trial_id > cache.max_trial_id
            if cache.unfinished:
                condition = or_(condition, _T.c.trial_id.in_(list(cache.unfinished)))
            rows = conn.execute(select(_T).where(_T.c.study_id == study_id, condition)).all()
            intermediate = read_new_intermediate(conn, rows, cache.unfinished)
            newly_finished = []
            for row in rows:
                trial = self._codec.trial_from_row(row, intermediate.get(row.trial_id, {}))
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


def read_new_intermediate(
    conn: Connection, rows: Sequence[AnyRow], known: dict[int, FrozenTrial]
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
    read_intermediate_after(conn, after_step, result)

    short = {t: -1 for t in after_step if len(result[t]) < counted[t]}
    read_intermediate_after(conn, short, result)
    for trial_id in short:  # its older steps came after the newer ones: put them in order
        result[trial_id] = dict(sorted(result[trial_id].items()))
    return result


def read_intermediate_after(
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
            into[trial_id][step] = decode_float(kind, value)


def _by_number(trial: FrozenTrial) -> int:
    return trial.number
