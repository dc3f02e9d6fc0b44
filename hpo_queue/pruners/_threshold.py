"""ThresholdPruner: stop a trial whose latest value leaves fixed bounds or is NaN."""

from __future__ import annotations

import math
from typing import Any

from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners._base import BasePruner
from hpo_queue.pruners._percentile import check_int, is_pruning_check_step
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


class ThresholdPruner(BasePruner):
    """Prune when the latest intermediate value is below ``lower``, above ``upper``, or NaN.

    The rule ignores the rest of the study, so it also works for multi-objective studies.

    Args:
        lower: Prune below this value (None: no lower bound).
        upper: Prune above this value (None: no upper bound).
        n_warmup_steps: No pruning before step ``n_warmup_steps``.
        interval_steps: Check every ``interval_steps`` steps after the warmup; a check that
            falls on a step the trial did not report is done at its next report.

    Raises:
        InvalidInputError: If both bounds are None, a bound is not a finite number,
            ``lower > upper``, or a step argument is out of range.
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        if lower is None and upper is None:
            raise InvalidInputError("ThresholdPruner needs a lower bound, an upper bound or both.")
        self._lower = _check_bound("lower", lower)
        self._upper = _check_bound("upper", upper)
        if self._lower is not None and self._upper is not None and self._lower > self._upper:
            raise InvalidInputError(
                f"lower must not exceed upper; got lower={self._lower}, upper={self._upper}."
            )
        self._n_warmup_steps = check_int("n_warmup_steps", n_warmup_steps, minimum=0)
        self._interval_steps = check_int("interval_steps", interval_steps, minimum=1)

    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        """True if ``trial``'s latest value is out of bounds or NaN at a pruning step."""
        step = trial.last_step
        if step is None:
            return False
        if not is_pruning_check_step(
            step, trial.intermediate_values, self._n_warmup_steps, self._interval_steps
        ):
            return False
        value = trial.intermediate_values[step]
        if math.isnan(value):
            return True
        if self._lower is not None and value < self._lower:
            return True
        return self._upper is not None and value > self._upper

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "ThresholdPruner",
            "lower": self._lower,
            "upper": self._upper,
            "n_warmup_steps": self._n_warmup_steps,
            "interval_steps": self._interval_steps,
        }


def _check_bound(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(
            f"{name} must be a finite number or None (no bound); got {value!r}."
        )
    return float(value)
