"""BasePruner: the interface every pruner implements, as a pure function of the history."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from hpo_queue._user_classes import record_arguments, user_config
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


class BasePruner(ABC):
    """Decides whether a running trial should stop early.

    ``history`` holds every trial of the study with the intermediate values all workers
    reported to the shared store; ``trial`` is the running trial with its own reports.

    A subclass written for Optuna (``prune(self, study, trial)``) works as it is: the history
    answers ``get_trials(deepcopy=, states=)``, ``trials``, ``direction`` and ``best_trial``,
    and without ``to_config`` the pruner is stored by reference to its class, as a user's
    sampler is (see :class:`~hpo_queue.samplers.BaseSampler`).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> BasePruner:
        pruner = super().__new__(cls)
        if cls.to_config is BasePruner.to_config:
            record_arguments(pruner, args, kwargs)
        return pruner

    @abstractmethod
    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        """True if ``trial`` should be pruned now."""

    def to_config(self) -> dict[str, Any]:
        """A JSON-serializable description; ``{"name": ClassName, **kwargs}``.

        By default (a user's subclass): ``{"name": "module:Class", "kwargs": {...}}``.
        """
        return user_config(self)

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, BasePruner)
            and (other.to_config() == self.to_config())
        )

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        if type(self).to_config is BasePruner.to_config:
            return f"{type(self).__name__}()"
        config = self.to_config()
        name = config.pop("name")
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in config.items())})"
