"""WilcoxonPruner: prune a trial whose per-step values are significantly worse than the best's.

Meant for objectives that are a mean over instances (folds, problems, seeds): the trial
reports each instance's value with the instance as its step, and is compared, step for step,
with the best trial by a one-sided Wilcoxon signed-rank test.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo_queue._lazy_import import LazyModule
from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError, NoCompletedTrialsError
from hpo_queue.pruners._base import BasePruner
from hpo_queue.samplers._arguments import check_int
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory

stats = LazyModule("scipy.stats")


class WilcoxonPruner(BasePruner):
    """Prune when the trial is worse than the best trial with p-value below ``p_threshold``.

    The test pairs the steps both trials reported. No pruning while fewer than
    ``max(2, n_startup_steps)`` steps are shared, when either trial reported an infinite or
    NaN value, or when the trial's mean over its steps is no worse than the best trial's
    mean (the test may flag a trial that is better on average but worse on most steps).

    Args:
        p_threshold: prune when the one-sided p-value is below this.
        n_startup_steps: no pruning before this many shared steps.
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        if (
            isinstance(p_threshold, bool)
            or not isinstance(p_threshold, (int, float))
            or not 0.0 <= p_threshold <= 1.0
        ):
            raise InvalidInputError(f"p_threshold must be in [0, 1], got {p_threshold!r}.")
        self._p_threshold = float(p_threshold)
        self._n_startup_steps = check_int("n_startup_steps", n_startup_steps, minimum=0)

    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        values = trial.intermediate_values
        if not values or not all(math.isfinite(v) for v in values.values()):
            return False
        try:
            best = history.best_trial
        except NoCompletedTrialsError:
            return False
        best_values = best.intermediate_values
        if not best_values or not all(math.isfinite(v) for v in best_values.values()):
            return False
        shared = sorted(set(values) & set(best_values))
        if len(shared) < max(2, self._n_startup_steps):
            return False
        mine = np.array([values[s] for s in shared])
        theirs = np.array([best_values[s] for s in shared])
        minimize = history.direction == StudyDirection.MINIMIZE
        # "greater": this trial's values exceed the best's (worse, when minimizing).
        alternative = "greater" if minimize else "less"
        mean_mine = float(np.mean(list(values.values())))
        mean_best = float(np.mean(list(best_values.values())))
        if (mean_mine <= mean_best) if minimize else (mean_mine >= mean_best):
            return False
        p_value = stats.wilcoxon(
            mine - theirs, alternative=alternative, zero_method="zsplit"
        ).pvalue
        return bool(p_value < self._p_threshold)

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "WilcoxonPruner",
            "p_threshold": self._p_threshold,
            "n_startup_steps": self._n_startup_steps,
        }
