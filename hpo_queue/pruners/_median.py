"""MedianPruner: the median stopping rule."""

from __future__ import annotations

from typing import Any

from hpo_queue.pruners._percentile import PercentilePruner


class MedianPruner(PercentilePruner):
    """Prune when the trial's best value so far is worse than the median of finished trials.

    The same rule as ``PercentilePruner(50.0, ...)``: the median is taken over the values
    COMPLETE trials reported at the trial's current step (NaN ignored), and a trial whose
    every reported value is NaN is pruned.

    Args:
        n_startup_trials: No pruning until this many trials are COMPLETE.
        n_warmup_steps: No pruning before step ``n_warmup_steps``.
        interval_steps: Check every ``interval_steps`` steps after the warmup.
        n_min_trials: No pruning unless at least this many COMPLETE trials reported a value at
            the current step.

    Raises:
        InvalidInputError: On an argument outside its range.
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=n_min_trials
        )

    def to_config(self) -> dict[str, Any]:
        config = super().to_config()
        del config["percentile"]
        config["name"] = "MedianPruner"
        return config
