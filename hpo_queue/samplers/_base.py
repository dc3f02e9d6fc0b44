"""BaseSampler: the interface every sampler implements, as a pure function of the history."""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from hpo_queue._user_classes import record_arguments, user_config
from hpo_queue.distributions import BaseDistribution
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

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

    A subclass written for Optuna works as it is: the ``history`` it receives where Optuna
    passes the study answers ``get_trials(deepcopy=, states=)``, ``trials``, ``direction``
    and ``directions``; ``before_trial``, ``after_trial`` and ``reseed_rng`` are called as in
    Optuna; and without ``to_config`` it is stored by reference to its class with the
    arguments it was built with, so workers rebuild it where its module is importable and
    allowed (HPO_OBJECTIVE_MODULES), as objectives are found.
    """

    seed: int | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> BaseSampler:
        sampler = super().__new__(cls)
        if cls.to_config is BaseSampler.to_config:
            record_arguments(sampler, args, kwargs)
        return sampler

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

    def to_config(self) -> dict[str, Any]:
        """A JSON-serializable description; ``{"name": ClassName, **kwargs}``.

        By default (a user's subclass): ``{"name": "module:Class", "kwargs": {...}}``.
        """
        return user_config(self)

    def before_trial(self, history: TrialHistory, trial: FrozenTrial) -> None:  # noqa: B027
        """Called once a trial is claimed, before its first suggestion (as in Optuna)."""

    def after_trial(  # noqa: B027 - a hook: doing nothing is the default
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Called as a trial ends, before its result is written (as in Optuna)."""

    def reseed_rng(self) -> None:  # noqa: B027
        """Optuna calls it in each of optimize's threads; trials here are seeded by number."""

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
        if type(self).to_config is BaseSampler.to_config:
            return f"{type(self).__name__}()"
        config = self.to_config()
        name = config.pop("name")
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{name}({args})"
