"""QMCSampler: scrambled Sobol or Halton points, indexed by trial number (one shared sequence)."""

from __future__ import annotations

import functools
import random
from typing import Any

import numpy as np

from hpo_queue._lazy_import import LazyModule
from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.samplers._base import BaseSampler
from hpo_queue.samplers._random import check_seed, sample_uniform
from hpo_queue.samplers._unit_space import UnitSpace
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

qmc = LazyModule("scipy.stats.qmc")

_QMC_TYPES = ("sobol", "halton")


# Points are generated, and kept, this many at a time per sequence (see _block).
_BLOCK = 256


def qmc_point(
    qmc_type: str, dim: int, index: int, *, scramble: bool, seed: int | None
) -> np.ndarray:
    """Point ``index`` of the (scrambled) sequence in [0, 1)^dim; a pure function of its args.

    With a seed, the point is read from a kept block of the sequence: building a scrambled
    engine costs about 0.3 ms, a point from a block about 1 us. Without one, each call
    scrambles afresh, as before.
    """
    if seed is None:
        return _engine(qmc_type, dim, scramble, None, index).random(1)[0]
    return _block(qmc_type, dim, scramble, seed, index // _BLOCK)[index % _BLOCK].copy()


@functools.lru_cache(maxsize=64)
def _block(qmc_type: str, dim: int, scramble: bool, seed: int, block: int) -> np.ndarray:
    """Points ``block * _BLOCK`` to ``(block + 1) * _BLOCK - 1`` of a seeded sequence."""
    points = _engine(qmc_type, dim, scramble, seed, block * _BLOCK).random(_BLOCK)
    points.flags.writeable = False
    return points


def _engine(qmc_type: str, dim: int, scramble: bool, seed: int | None, start: int) -> Any:
    engine: Any
    if qmc_type == "sobol":
        engine = qmc.Sobol(dim, scramble=scramble, rng=seed)
    else:
        engine = qmc.Halton(dim, scramble=scramble, rng=seed)
    if start:
        engine.fast_forward(start)
    return engine


def first_trial_space(history: TrialHistory, trial: FrozenTrial) -> dict[str, BaseDistribution]:
    """The search space of the study's first trial that has parameters (Optuna's rule).

    The space is fixed once that trial exists, so every later trial draws the next point of
    one sequence; parameters outside it are sampled independently.
    """
    for other in history.trials:
        if other.number == trial.number or other.state is TrialState.WAITING:
            continue
        if other.distributions:
            return {
                name: dist
                for name, dist in sorted(other.distributions.items())
                if not dist.single()
            }
    return {}


class QMCSampler(BaseSampler):
    """Quasi-Monte Carlo sampling with scipy.stats.qmc, as Optuna's QMCSampler.

    Trial ``n`` takes point ``n`` of one scrambled sequence over the search space of the
    study's first trial, so parallel workers fill the space evenly without coordination.
    The first trial (no space yet) and parameters outside that space are sampled at random.

    Args:
        qmc_type: ``"sobol"`` or ``"halton"``.
        scramble: Randomize the sequence (Owen scrambling / random permutations).
        seed: Seeds the scrambling and the random fallback. With ``scramble`` and no seed,
            a seed is drawn now and kept in the config, so every worker uses the same sequence.
    """

    def __init__(
        self, *, qmc_type: str = "sobol", scramble: bool = False, seed: int | None = None
    ) -> None:
        if qmc_type not in _QMC_TYPES:
            raise InvalidInputError(f"qmc_type must be 'sobol' or 'halton', got {qmc_type!r}.")
        if not isinstance(scramble, bool):
            raise InvalidInputError(f"scramble must be True or False, got {scramble!r}.")
        self.qmc_type = qmc_type
        self.scramble = scramble
        seed = check_seed(seed)
        if seed is None and scramble:
            seed = random.SystemRandom().randrange(2**31)
        self.seed = seed

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "QMCSampler",
            "qmc_type": self.qmc_type,
            "scramble": self.scramble,
            "seed": self.seed,
        }

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return first_trial_space(history, trial)

    def sample_relative(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        space = UnitSpace(search_space)
        point = qmc_point(
            self.qmc_type, space.dim, trial.number, scramble=self.scramble, seed=self.seed
        )
        return space.decode_unit(point)

    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        return sample_uniform(self.rng(trial, "qmc independent", name), distribution)
