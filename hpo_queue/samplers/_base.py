"""BaseSampler: the interface every sampler implements, as a pure function of the history."""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from hpo_queue.distributions import BaseDistribution
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory

# The trial system attr that names the method which chose a trial's params ("gp", "tpe", ...).
SAMPLER_METHOD_KEY = "sampler_method"


class BaseSampler(ABC):
    """Suggests parameter values from the shared history.

    A trial's parameters come from, in order: fixed params (enqueued points, grid points,
    retries), then ``sample_relative`` over the search space inferred at the trial's first
    suggestion, then ``sample_independent`` for anything else. The history passed in holds
    every trial of the study, RUNNING ones included, so a sampler can account for work
    in flight on other processes.

    Samplers hold configuration only, never state that must agree between processes:
    every process and worker rebuilds the sampler from :meth:`to_config`.
    """

    seed: int | None = None

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters to sample jointly at the start of ``trial`` (none by default)."""
        return {}

    def sample_relative(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        """Jointly sample the parameters of ``search_space``; returns external values."""
        return {}

    @abstractmethod
    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        """Sample one parameter; returns its external value."""

    def trial_system_attrs(self, history: TrialHistory, trial: FrozenTrial) -> dict[str, Any]:
        """System attrs to store on ``trial`` once, at its first sampled suggestion.

        Called right after :meth:`infer_relative_search_space` with the same history; a
        sampler that switches methods records which one chose the trial (``sampler_method``).
        """
        return {}

    def fixed_params_for_new_trial(self, history: TrialHistory) -> dict[str, Any] | None:
        """Called while a new trial is created, under the study lock.

        Returns parameters the new trial must use (a grid point), or None. Raises
        :class:`~hpo_queue.exceptions.SearchSpaceExhausted` when nothing is left to try.
        """
        return None

    @abstractmethod
    def to_config(self) -> dict[str, Any]:
        """A JSON-serializable description; ``{"name": ClassName, **kwargs}``."""

    def rng(self, trial: FrozenTrial, *salt: str) -> np.random.Generator:
        """A generator for this trial: reproducible with a seed, distinct per trial number.

        Seeding per trial (rather than one stream per process) keeps processes that share a
        seed from suggesting the same points.
        """
        if self.seed is None:
            return np.random.default_rng()
        keys = [self.seed, trial.number, *(zlib.crc32(s.encode()) for s in salt)]
        return np.random.default_rng(keys)

    def __repr__(self) -> str:
        config = self.to_config()
        name = config.pop("name")
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{name}({args})"
