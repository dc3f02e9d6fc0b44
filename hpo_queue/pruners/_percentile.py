"""PercentilePruner: stop a trial whose best value so far trails most finished trials.

This module also holds the small checks the other pruners share: argument validation, the
single-objective requirement and the warmup/interval step schedule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners._base import BasePruner
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


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
        completed = history.completed()
        if not completed or len(completed) < self._n_startup_trials:
            return False

        own = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
        if not own:
            return True
        best = max(own) if direction == StudyDirection.MAXIMIZE else min(own)

        reported = [t.intermediate_values[step] for t in completed if step in t.intermediate_values]
        if len(reported) < self._n_min_trials:
            return False
        reference = np.asarray(reported, dtype=float)
        reference = reference[~np.isnan(reference)]
        if reference.size == 0:
            return False
        if direction == StudyDirection.MAXIMIZE:
            return best < float(np.percentile(reference, 100.0 - self._percentile))
        return best > float(np.percentile(reference, self._percentile))

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
