"""UnavailablePruner: stands in for a user's pruner that this process cannot rebuild."""

from __future__ import annotations

from typing import Any, NoReturn

from hpo_queue.exceptions import ConfigError
from hpo_queue.pruners._base import BasePruner
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


class UnavailablePruner(BasePruner):
    """Keeps a study readable where its user pruner is not importable; pruning raises why."""

    def __init__(self, config: dict[str, Any], reason: str) -> None:
        self._config = dict(config)
        self.reason = reason

    def prune(self, history: TrialHistory, trial: FrozenTrial) -> NoReturn:
        raise ConfigError(
            f"{self.reason} Pass the pruner to load_study(..., pruner=...) in this process."
        )

    def to_config(self) -> dict[str, Any]:
        return dict(self._config)
