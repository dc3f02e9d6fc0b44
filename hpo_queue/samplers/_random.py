"""RandomSampler: independent uniform sampling, the baseline and TPE's start-up phase."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    IntDistribution,
)
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.samplers._base import BaseSampler
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


def check_seed(seed: Any) -> int | None:
    """Validate a sampler seed: None or a non-negative int."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInputError(f"seed must be None or a non-negative integer, got {seed!r}.")
    return seed


def sample_uniform(rng: np.random.Generator, distribution: BaseDistribution) -> Any:
    """Draw one external value uniformly (in log space for log distributions)."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[int(rng.integers(len(distribution.choices)))]
    if isinstance(distribution, IntDistribution):
        if distribution.log:
            # Each integer owns the log-width of [v - 0.5, v + 0.5], so the density is log-uniform.
            u = rng.uniform(math.log(distribution.low - 0.5), math.log(distribution.high + 0.5))
            value = round(math.exp(u))
            return int(min(max(value, distribution.low), distribution.high))
        n_steps = (distribution.high - distribution.low) // distribution.step
        return int(distribution.low + distribution.step * int(rng.integers(n_steps + 1)))
    if distribution.step is not None:
        n_steps = round((distribution.high - distribution.low) / distribution.step)
        stepped = distribution.low + distribution.step * int(rng.integers(n_steps + 1))
        return float(min(stepped, distribution.high))
    if distribution.log:
        drawn = math.exp(rng.uniform(math.log(distribution.low), math.log(distribution.high)))
    else:
        drawn = float(rng.uniform(distribution.low, distribution.high))
    return float(min(max(drawn, distribution.low), distribution.high))


class RandomSampler(BaseSampler):
    """Samples every parameter independently and uniformly.

    Args:
        seed: Makes suggestions reproducible; each trial number gets its own stream.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = check_seed(seed)

    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        return sample_uniform(self.rng(trial, "random", name), distribution)

    def to_config(self) -> dict[str, Any]:
        return {"name": "RandomSampler", "seed": self.seed}
