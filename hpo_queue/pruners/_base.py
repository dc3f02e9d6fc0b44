"""BasePruner: the interface every pruner implements, as a pure function of the history."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


class BasePruner(ABC):
    """Decides whether a running trial should stop early.

    ``history`` holds every trial of the study with the intermediate values all workers
    reported to the shared store; ``trial`` is the running trial with its own reports.
    """

    @abstractmethod
    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        """True if ``trial`` should be pruned now."""

    @abstractmethod
    def to_config(self) -> dict[str, Any]:
        """A JSON-serializable description; ``{"name": ClassName, **kwargs}``."""

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, BasePruner)
            and (other.to_config() == self.to_config())
        )

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        config = self.to_config()
        name = config.pop("name")
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in config.items())})"
