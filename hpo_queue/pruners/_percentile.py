"""PercentilePruner: stop a trial whose best value so far trails most finished trials.

This module also holds the small checks the other pruners share: argument validation, the
single-objective requirement and the warmup/interval step schedule.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners._base import BasePruner
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import LazyTrials, TrialHistory
from hpo_queue.trial._state import TrialState

_MAX_CACHED_LOGS = 8


class PercentilePruner(BasePruner):
    """Prune when the trial's best value so far is outside the top ``percentile`` percent.

    At a pruning step, the trial's best intermediate value over all its steps (NaN ignored) is
    compared with the ``percentile``-th percentile of the values that COMPLETE trials reported
    at that same step (the better end for the study direction; NaN ignored). The trial is
    pruned if it is strictly worse, or if every value it reported is NaN. This is Optuna's
    rule: only COMPLETE trials count, both for ``n_startup_trials`` and as the reference.

    Args:
        percentile: In [0, 100]; 25.0 keeps trials in the best quarter at each step.
        n_startup_trials: No pruning until this many trials are COMPLETE.
        n_warmup_steps: No pruning before step ``n_warmup_steps``.
        interval_steps: Check every ``interval_steps`` steps after the warmup; a check that
            falls on a step the trial did not report is done at its next report.
        n_min_trials: No pruning unless at least this many COMPLETE trials reported a value at
            the current step.

    Raises:
        InvalidInputError: On an argument outside its range.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        if (
            isinstance(percentile, bool)
            or not isinstance(percentile, int | float)
            or not 0.0 <= percentile <= 100.0
        ):
            raise InvalidInputError(
                f"percentile must be a number between 0 and 100 inclusive; got {percentile!r}."
            )
        self._percentile = float(percentile)
        self._n_startup_trials = check_int("n_startup_trials", n_startup_trials, minimum=0)
        self._n_warmup_steps = check_int("n_warmup_steps", n_warmup_steps, minimum=0)
        self._interval_steps = check_int("interval_steps", interval_steps, minimum=1)
        self._n_min_trials = check_int("n_min_trials", n_min_trials, minimum=1)
        self._step_values = StepValuesCache()

    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        """True if ``trial``'s best value so far is worse than the percentile at its last step.

        Raises:
            InvalidInputError: If the study is multi-objective.
        """
        direction = single_direction(history, type(self).__name__)
        step = trial.last_step
        if step is None:
            return False
        if not is_pruning_check_step(
            step, trial.intermediate_values, self._n_warmup_steps, self._interval_steps
        ):
            return False
        maximize = direction == StudyDirection.MAXIMIZE
        percentile = 100.0 - self._percentile if maximize else self._percentile
        log = history.finished_log
        if log is None:
            return self._prune_from_trials(history, trial, step, maximize, percentile)
        # A store's append-only log: per-step sorted values, brought up to date in O(new).
        steps = self._step_values.sync(log.source() if isinstance(log, LazyTrials) else log)
        if not steps.n_completed or steps.n_completed < self._n_startup_trials:
            return False
        best = _best_so_far(trial, maximize)
        if best is None:
            return True
        n_reported, threshold = steps.at(step, percentile)
        if n_reported < self._n_min_trials or threshold is None:
            return False
        return best < threshold if maximize else best > threshold

    def _prune_from_trials(
        self, history: TrialHistory, trial: FrozenTrial, step: int, maximize: bool, q: float
    ) -> bool:
        """The same rule from the history's trials alone (a hand-made history)."""
        completed = history.completed()
        if not completed or len(completed) < self._n_startup_trials:
            return False
        best = _best_so_far(trial, maximize)
        if best is None:
            return True
        reported = [t.intermediate_values[step] for t in completed if step in t.intermediate_values]
        if len(reported) < self._n_min_trials:
            return False
        reference = np.asarray(reported, dtype=float)
        reference = reference[~np.isnan(reference)]
        if reference.size == 0:
            return False
        threshold = float(np.percentile(reference, q))
        return best < threshold if maximize else best > threshold

    # The per-step cache holds a lock and trial references: rebuild it, never copy it.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_step_values"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._step_values = StepValuesCache()

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "PercentilePruner",
            "percentile": self._percentile,
            "n_startup_trials": self._n_startup_trials,
            "n_warmup_steps": self._n_warmup_steps,
            "interval_steps": self._interval_steps,
            "n_min_trials": self._n_min_trials,
        }


def check_int(name: str, value: object, minimum: int) -> int:
    """Return ``value`` if it is an int >= ``minimum``, else raise InvalidInputError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be an integer; got {value!r}.")
    if value < minimum:
        raise InvalidInputError(f"{name} must be >= {minimum}; got {value}.")
    return value


def single_direction(history: TrialHistory, pruner_name: str) -> StudyDirection:
    """The study's only direction; pruning a multi-objective study is an error, as in Optuna."""
    if history.is_multi_objective:
        raise InvalidInputError(
            f"{pruner_name} does not support multi-objective studies "
            f"({len(history.directions)} directions); use NopPruner for them."
        )
    return history.directions[0]


def is_pruning_check_step(
    step: int, reported_steps: Iterable[int], n_warmup_steps: int, interval_steps: int
) -> bool:
    """True if the report at ``step`` is the first one at or after a scheduled check.

    Checks are scheduled at ``n_warmup_steps + k * interval_steps``; a trial that skipped the
    scheduled step is checked at its next report, and only once per scheduled step.
    """
    if step < n_warmup_steps:
        return False
    latest_scheduled = n_warmup_steps + (step - n_warmup_steps) // interval_steps * interval_steps
    previous_step = max((s for s in reported_steps if s != step), default=-1)
    return previous_step < latest_scheduled


def _best_so_far(trial: FrozenTrial, maximize: bool) -> float | None:
    """The trial's best intermediate value, NaN ignored; None if every value is NaN."""
    own = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
    if not own:
        return None
    return max(own) if maximize else min(own)


def sorted_percentile(ordered: Sequence[float], q: float) -> float:
    """``np.percentile(ordered, q)`` of sorted, NaN-free values, with numpy's arithmetic.

    The "linear" method: the value at index (n - 1) * q / 100, interpolated as numpy's
    ``_lerp`` does (from the upper neighbour when the weight is >= 0.5), so the result is
    the same float.
    """
    n = len(ordered)
    virtual = (n - 1) * (q / 100.0)
    below = math.floor(virtual)
    if below >= n - 1:
        return float(ordered[n - 1])
    if below < 0:
        return float(ordered[0])
    a, b = ordered[below], ordered[below + 1]
    weight = virtual - below
    diff = b - a
    if weight >= 0.5:
        return float(b - diff * (1.0 - weight))
    return float(a + diff * weight)


class _StepValues:
    """What the rule reads from one study's COMPLETE trials, step by step; append-only."""

    def __init__(self, log: Sequence[FrozenTrial]) -> None:
        self.log = log  # keeps the log alive, so its id names it while cached
        self.position = 0
        self.n_completed = 0
        self.reported: dict[int, int] = {}  # step -> COMPLETE trials that reported it
        self.values: dict[int, list[float]] = {}  # step -> their non-NaN values, sorted
        self.lock = threading.Lock()

    def sync(self) -> _StepValues:
        with self.lock:
            end = len(self.log)  # the log may grow meanwhile; read up to here
            for trial in self.log[self.position : end]:
                if trial.state != TrialState.COMPLETE:
                    continue
                self.n_completed += 1
                for step, value in trial.intermediate_values.items():
                    self.reported[step] = self.reported.get(step, 0) + 1
                    if not math.isnan(value):
                        bisect.insort(self.values.setdefault(step, []), value)
            self.position = end
            return self

    def at(self, step: int, q: float) -> tuple[int, float | None]:
        """How many COMPLETE trials reported ``step``, and the q-th percentile of their
        non-NaN values there (None if there is none)."""
        with self.lock:
            ordered = self.values.get(step)
            threshold = sorted_percentile(ordered, q) if ordered else None
            return self.reported.get(step, 0), threshold


class StepValuesCache:
    """The per-step values of the few studies a pruner serves, most recently used last."""

    def __init__(self) -> None:
        self._entries: OrderedDict[int, _StepValues] = OrderedDict()
        self._lock = threading.Lock()

    def sync(self, log: Sequence[FrozenTrial]) -> _StepValues:
        with self._lock:
            entry = self._entries.get(id(log))
            if entry is None or entry.log is not log:
                entry = self._entries[id(log)] = _StepValues(log)
            self._entries.move_to_end(id(log))
            while len(self._entries) > _MAX_CACHED_LOGS:
                self._entries.popitem(last=False)
        return entry.sync()
