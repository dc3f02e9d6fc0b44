"""A speed-only, append-only columnar copy of what TPE reads from finished trials.

Finished (COMPLETE/PRUNED) trials never change, so their numbers, losses, feasibility and
parameter values are read once into numpy columns and reused by every later suggestion. Nothing
here changes a result: a store that cannot prove it holds exactly the history's finished trials
is thrown away and rebuilt from the history.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import BaseDistribution
from hpo_queue.samplers._tpe._search_space import internal_value
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
_MAX_STORES = 8


@dataclass(frozen=True)
class FinishedColumns:
    """One consistent snapshot of the finished trials, in the order the store met them.

    Attributes:
        numbers: Trial numbers.
        is_complete: COMPLETE with one value per objective (usable for the split).
        is_pruned: PRUNED.
        losses: (n, n_objectives) values turned into minimization, NaN as +inf.
        violation: Total constraint violation; 0 for a feasible trial, > 0 otherwise.
        pruned_step: Minus the last reported step of a PRUNED trial (+inf when none).
        pruned_loss: Its last intermediate value (or its value) as a loss.
        space: Parameters every finished trial holds with one identical distribution.
    """

    store: _TrialStore
    size: int
    numbers: np.ndarray
    is_complete: np.ndarray
    is_pruned: np.ndarray
    losses: np.ndarray
    violation: np.ndarray
    pruned_step: np.ndarray
    pruned_loss: np.ndarray
    space: dict[str, BaseDistribution] | None

    def param(self, name: str, distribution: BaseDistribution) -> np.ndarray:
        """Internal values of ``name`` under ``distribution``; NaN where a trial lacks it."""
        return self.store.param(name, distribution)[: self.size]


class _TrialStore:
    """The columns of one study's finished trials; rows are only ever appended."""

    def __init__(self, directions: tuple[StudyDirection, ...]) -> None:
        self.directions = directions
        self.signs = [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions]
        self.trials: list[FrozenTrial] = []
        self.row_of: dict[int, int] = {}  # id(trial) -> row; the store keeps the trial alive
        # Columns are buffers with room to grow (rows past len(trials) are unused), so that a
        # new trial is written in place; snapshots see their first len(trials) rows only.
        self.capacity = 0
        self.numbers = np.zeros(0, dtype=np.int64)
        self.is_complete = np.zeros(0, dtype=bool)
        self.is_pruned = np.zeros(0, dtype=bool)
        self.losses = np.zeros((0, len(directions)))
        self.violation = np.zeros(0)
        self.pruned_step = np.zeros(0)
        self.pruned_loss = np.zeros(0)
        self.space: dict[str, BaseDistribution] | None = None
        self.params: dict[tuple[str, BaseDistribution], np.ndarray] = {}
        self.lock = threading.Lock()
        # With a store's append-only log of finished trials: the log, and how far it is read.
        self.log: Sequence[FrozenTrial] | None = None
        self.log_position = 0
        self.last_snapshot: FinishedColumns | None = None  # reused until a trial is added

    def sync(self, finished: Sequence[FrozenTrial]) -> FinishedColumns | None:
        """Append the trials not seen yet; None if the store holds a trial ``finished`` lacks."""
        with self.lock:
            row_of = self.row_of
            new = [t for t in finished if id(t) not in row_of]
            if len(finished) - len(new) != len(self.trials):
                return None
            if new:
                self._append(new)
            return self._snapshot()

    def sync_log(self, log: Sequence[FrozenTrial]) -> FinishedColumns:
        """Append the COMPLETE/PRUNED trials added to ``log`` since the last call: O(new)."""
        with self.lock:
            end = len(log)  # the log may grow meanwhile; read up to here
            new = [t for t in log[self.log_position : end] if t.state in FINISHED]
            self.log_position = end
            if new:
                self._append(new)
            return self._snapshot()

    def _snapshot(self) -> FinishedColumns:
        size = len(self.trials)
        last = self.last_snapshot
        if last is not None and last.size == size:
            return last
        self.last_snapshot = FinishedColumns(
            store=self,
            size=size,
            numbers=self.numbers[:size],
            is_complete=self.is_complete[:size],
            is_pruned=self.is_pruned[:size],
            losses=self.losses[:size],
            violation=self.violation[:size],
            pruned_step=self.pruned_step[:size],
            pruned_loss=self.pruned_loss[:size],
            space=None if self.space is None else dict(self.space),
        )
        return self.last_snapshot

    def param(self, name: str, distribution: BaseDistribution) -> np.ndarray:
        """The column of ``name`` (its first len(trials) rows are the values)."""
        with self.lock:
            key = (name, distribution)
            column = self.params.get(key)
            if column is None:
                column = np.full(self.capacity, np.nan)
                column[: len(self.trials)] = _param_column(self.trials, name, distribution)
                self.params[key] = column
            return column

    def _reserve(self, size: int) -> None:
        """Grow the buffers to hold ``size`` rows (doubling, so appends cost O(1) on average)."""
        if size <= self.capacity:
            return
        capacity = max(size, 2 * self.capacity, 64)
        used = len(self.trials)

        def grown(column: np.ndarray, fill: float) -> np.ndarray:
            bigger = np.full((capacity, *column.shape[1:]), fill, dtype=column.dtype)
            bigger[:used] = column[:used]
            return bigger

        self.numbers = grown(self.numbers, 0)
        self.is_complete = grown(self.is_complete, False)
        self.is_pruned = grown(self.is_pruned, False)
        self.losses = grown(self.losses, math.inf)
        self.violation = grown(self.violation, 0.0)
        self.pruned_step = grown(self.pruned_step, math.inf)
        self.pruned_loss = grown(self.pruned_loss, math.inf)
        self.params = {key: grown(column, math.nan) for key, column in self.params.items()}
        self.capacity = capacity

    def _append(self, new: list[FrozenTrial]) -> None:
        n_obj = len(self.directions)
        start = len(self.trials)
        self._reserve(start + len(new))
        signs = self.signs
        for row, trial in enumerate(new, start):
            self.row_of[id(trial)] = row
            self.numbers[row] = trial.number
            values = trial.values
            complete = (
                trial.state == TrialState.COMPLETE and values is not None and len(values) == n_obj
            )
            self.is_complete[row] = complete
            self.is_pruned[row] = trial.state == TrialState.PRUNED
            if complete:
                assert values is not None
                for i, (value, sign) in enumerate(zip(values, signs, strict=True)):
                    loss = float(value) * sign
                    self.losses[row, i] = math.inf if math.isnan(loss) else loss
            self.violation[row] = violation(trial)
            self.pruned_step[row], self.pruned_loss[row] = pruned_rank(trial, signs[0])
        self.trials.extend(new)
        end = len(self.trials)
        for (name, distribution), column in self.params.items():
            column[start:end] = _param_column(new, name, distribution)
        space = self.space
        for trial in new:
            if space is None:
                space = dict(trial.distributions)
            elif space:
                dists = trial.distributions
                space = {k: d for k, d in space.items() if dists.get(k) == d}
        self.space = space


class ColumnCache:
    """The stores of the few studies a sampler serves, most recently used last; thread-safe."""

    def __init__(self) -> None:
        self._stores: OrderedDict[tuple[object, ...], _TrialStore] = OrderedDict()
        self._lock = threading.Lock()

    def columns(
        self, directions: tuple[StudyDirection, ...], finished: Sequence[FrozenTrial]
    ) -> FinishedColumns:
        # The store is found by the study's first finished trial (kept alive by the store, so
        # its id cannot be reused); sync() then checks every row against the history.
        key: tuple[object, ...] = (directions, id(finished[0]) if finished else None)
        with self._lock:
            store = self._stores.get(key)
            if store is not None:
                self._stores.move_to_end(key)
        if store is not None:
            snapshot = store.sync(finished)
            if snapshot is not None:
                return snapshot
        store = _TrialStore(directions)
        snapshot = store.sync(finished)
        assert snapshot is not None
        with self._lock:
            self._stores[key] = store
            self._stores.move_to_end(key)
            while len(self._stores) > _MAX_STORES:
                self._stores.popitem(last=False)
        return snapshot

    def columns_from_log(
        self, directions: tuple[StudyDirection, ...], log: Sequence[FrozenTrial]
    ) -> FinishedColumns:
        """Columns of the finished trials in a store's append-only log (see TrialHistory)."""
        # The store keeps the log alive, so its id identifies it for as long as it is cached.
        key: tuple[object, ...] = ("log", directions, id(log))
        with self._lock:
            store = self._stores.get(key)
            if store is None:
                store = _TrialStore(directions)
                store.log = log
                self._stores[key] = store
            self._stores.move_to_end(key)
            while len(self._stores) > _MAX_STORES:
                self._stores.popitem(last=False)
        return store.sync_log(log)


def _param_column(
    trials: Sequence[FrozenTrial], name: str, distribution: BaseDistribution
) -> list[float]:
    """Internal values of ``name`` under ``distribution``; NaN where a trial lacks it."""
    column = []
    for trial in trials:
        value = internal_value(distribution, trial.params[name]) if name in trial.params else None
        column.append(math.nan if value is None else value)
    return column


def violation(trial: FrozenTrial) -> float:
    """How far a trial is from feasible: 0 if feasible, else the sum of positive constraints."""
    if trial.is_feasible():
        return 0.0
    assert trial.constraints is not None
    total = sum(c for c in trial.constraints if c > 0.0)
    # A NaN constraint is infeasible, as is_feasible() says; rank it last.
    return total if total > 0.0 else math.inf


def pruned_rank(trial: FrozenTrial, sign: float) -> tuple[float, float]:
    """Sort key of a PRUNED trial: furthest step first, then best last intermediate value."""
    if trial.intermediate_values:
        step, value = max(trial.intermediate_values.items())
        loss = sign * value
        return (-float(step), math.inf if math.isnan(loss) else loss)
    if trial.values:
        loss = sign * trial.values[0]
        return (math.inf, math.inf if math.isnan(loss) else loss)
    return (math.inf, math.inf)
