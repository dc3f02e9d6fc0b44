"""UnavailableSampler: stands in for a user's sampler that this process cannot rebuild."""

from __future__ import annotations

from typing import Any, NoReturn

from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import ConfigError
from hpo_queue.samplers._base import BaseSampler
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


class UnavailableSampler(BaseSampler):
    """Keeps a study readable (status views, the CLI) where its user sampler is not importable;
    suggesting a parameter raises the reason."""

    def __init__(self, config: dict[str, Any], reason: str) -> None:
        self._config = dict(config)
        self.reason = reason

    def sample_independent(
        self, history: TrialHistory, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> NoReturn:
        raise ConfigError(
            f"{self.reason} Pass the sampler to load_study(..., sampler=...) in this process."
        )

    def to_config(self) -> dict[str, Any]:
        return dict(self._config)

    def __repr__(self) -> str:
        return f"UnavailableSampler({self._config.get('name')!r})"
