"""PatientPruner: prune only after the trial stopped improving for ``patience`` steps."""

from __future__ import annotations

import math
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners._base import BasePruner
from hpo_queue.samplers._arguments import check_int
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


class PatientPruner(BasePruner):
    """Wait ``patience`` steps without improvement, then ask ``wrapped_pruner`` (None: prune).

    As in Optuna, the trial has run out of patience when the best of its last
    ``patience + 1`` reports is worse, by more than ``min_delta``, than the best of the
    reports before them (NaN reports ignored).

    Args:
        wrapped_pruner: the pruner that decides once patience ran out (None: prune then).
        patience: steps without improvement to wait.
        min_delta: how much worse the recent reports may be and still be patient.
    """

    def __init__(
        self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0
    ) -> None:
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise InvalidInputError(f"wrapped_pruner must be a pruner or None: {wrapped_pruner!r}.")
        self._wrapped_pruner = wrapped_pruner
        self._patience = check_int("patience", patience, minimum=0)
        if (
            isinstance(min_delta, bool)
            or not isinstance(min_delta, (int, float))
            or not min_delta >= 0.0
        ):
            raise InvalidInputError(f"min_delta must be a number >= 0, got {min_delta!r}.")
        self._min_delta = float(min_delta)

    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        reports = [trial.intermediate_values[s] for s in sorted(trial.intermediate_values)]
        if len(reports) <= self._patience + 1:
            return False
        before = [v for v in reports[: -self._patience - 1] if not math.isnan(v)]
        recent = [v for v in reports[-self._patience - 1 :] if not math.isnan(v)]
        if not before or not recent:
            return False
        if history.direction == StudyDirection.MINIMIZE:
            stalled = min(before) + self._min_delta < min(recent)
        else:
            stalled = max(before) - self._min_delta > max(recent)
        if not stalled:
            return False
        return self._wrapped_pruner is None or self._wrapped_pruner.prune(history, trial)

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "PatientPruner",
            "wrapped_pruner": None
            if self._wrapped_pruner is None
            else self._wrapped_pruner.to_config(),
            "patience": self._patience,
            "min_delta": self._min_delta,
        }
