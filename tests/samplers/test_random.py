"""Tests for RandomSampler: bounds, step/log, seeding and config round-trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.samplers import RandomSampler, sampler_from_config
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

DISTRIBUTIONS: list[BaseDistribution] = [
    FloatDistribution(-2.0, 3.0),
    FloatDistribution(1e-4, 10.0, log=True),
    FloatDistribution(0.0, 1.0, step=0.1),
    IntDistribution(-3, 7),
    IntDistribution(1, 1000, log=True),
    IntDistribution(0, 20, step=4),
    CategoricalDistribution(["a", 1, 2.5, None, True]),
]

EMPTY = TrialHistory((StudyDirection.MINIMIZE,), [])


def _running(number: int) -> FrozenTrial:
    return FrozenTrial(number=number, state=TrialState.RUNNING)


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=repr)
def test_values_are_external_and_inside(dist: BaseDistribution) -> None:
    sampler = RandomSampler(seed=1)
    values = [sampler.sample_independent(EMPTY, _running(i), "p", dist) for i in range(300)]
    for value in values:
        if isinstance(dist, CategoricalDistribution):
            assert any(value is c or (value == c and type(value) is type(c)) for c in dist.choices)
        else:
            assert type(value) is (int if isinstance(dist, IntDistribution) else float)
            assert dist.contains(float(value))
    if not isinstance(dist, CategoricalDistribution):
        assert len(set(values)) > 4


def test_log_float_is_uniform_in_log_space() -> None:
    sampler = RandomSampler(seed=0)
    dist = FloatDistribution(1e-4, 1.0, log=True)
    values = np.array(
        [sampler.sample_independent(EMPTY, _running(i), "x", dist) for i in range(2000)]
    )
    # Half the draws should fall below the geometric midpoint 1e-2.
    assert 0.45 < np.mean(values < 1e-2) < 0.55


def test_step_grid_is_respected() -> None:
    sampler = RandomSampler(seed=3)
    dist = FloatDistribution(0.5, 2.5, step=0.5)
    values = {sampler.sample_independent(EMPTY, _running(i), "x", dist) for i in range(200)}
    assert values == {0.5, 1.0, 1.5, 2.0, 2.5}
    ints = IntDistribution(0, 20, step=4)
    int_values = {sampler.sample_independent(EMPTY, _running(i), "n", ints) for i in range(200)}
    assert int_values == {0, 4, 8, 12, 16, 20}


def test_seeding_is_per_trial() -> None:
    dist = FloatDistribution(0.0, 1.0)
    a, b = RandomSampler(seed=5), RandomSampler(seed=5)
    assert a.sample_independent(EMPTY, _running(3), "x", dist) == b.sample_independent(
        EMPTY, _running(3), "x", dist
    )
    draws = {a.sample_independent(EMPTY, _running(i), "x", dist) for i in range(20)}
    assert len(draws) == 20
    # Different parameters of one trial are not the same draw.
    assert a.sample_independent(EMPTY, _running(3), "x", dist) != a.sample_independent(
        EMPTY, _running(3), "y", dist
    )


def test_unseeded_sampler_varies() -> None:
    sampler = RandomSampler()
    dist = FloatDistribution(0.0, 1.0)
    assert len({sampler.sample_independent(EMPTY, _running(0), "x", dist) for _ in range(5)}) > 1


def test_config_round_trip() -> None:
    sampler = RandomSampler(seed=7)
    config = sampler.to_config()
    assert config == {"name": "RandomSampler", "seed": 7}
    rebuilt = sampler_from_config(config)
    assert isinstance(rebuilt, RandomSampler) and rebuilt.seed == 7
    assert math.isclose(
        rebuilt.sample_independent(EMPTY, _running(2), "x", DISTRIBUTIONS[0]),
        sampler.sample_independent(EMPTY, _running(2), "x", DISTRIBUTIONS[0]),
    )


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(InvalidInputError):
        RandomSampler(seed=seed)  # type: ignore[arg-type]
