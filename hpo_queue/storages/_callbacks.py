"""RetryFailedTrialCallback: Optuna's name for re-running the trials of a dead worker."""

from __future__ import annotations

from typing import Any

from hpo_queue.exceptions import InvalidInputError, UnsupportedArgumentError
from hpo_queue.trial._frozen import FrozenTrial


class RetryFailedTrialCallback:
    """How often a lost trial (its worker died, its lease expired) is re-run with its params.

    Pass it as in Optuna: ``RDBStorage(url, failed_trial_callback=RetryFailedTrialCallback(3))``.
    hpo-queue always re-runs lost trials (a WAITING copy is queued in the transaction that
    fails the trial); ``max_retry`` sets how often for the studies opened through this
    storage object, in place of the settings' ``max_retries`` (HPO_MAX_RETRIES), which
    ``max_retry=None`` keeps.

    Args:
        max_retry: re-runs per trial (None: the settings' max_retries).
        inherit_intermediate_values: not supported (a retry starts its reports afresh).
    """

    def __init__(self, max_retry: int | None = None, inherit_intermediate_values: bool = False):
        if max_retry is not None and (
            isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0
        ):
            raise InvalidInputError(f"max_retry must be None or an integer >= 0: {max_retry!r}.")
        if inherit_intermediate_values:
            raise UnsupportedArgumentError(
                "RetryFailedTrialCallback(inherit_intermediate_values=True) is not supported: "
                "a retried trial reports its intermediate values again from the start."
            )
        self.max_retry = max_retry

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        """Nothing to do: the storage queues the retry when it fails the trial."""

    @staticmethod
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The number of the failed trial that ``trial`` re-runs, or None."""
        number = trial.system_attrs.get("retry_of")
        return None if number is None else int(number)

    @staticmethod
    def retry_history(trial: FrozenTrial) -> list[int]:
        """The numbers of every earlier attempt of ``trial``, oldest first."""
        history = trial.system_attrs.get("retry_history")
        if history is not None:
            return [int(n) for n in history]
        number = RetryFailedTrialCallback.retried_trial_number(trial)
        return [] if number is None else [number]
