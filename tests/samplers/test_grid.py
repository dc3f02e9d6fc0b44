"""Tests for GridSampler: point hand-out under the study lock, exhaustion, FAIL reuse."""

from __future__ import annotations

from typing import Any

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo_queue.exceptions import InvalidInputError, SearchSpaceExhausted
from hpo_queue.samplers import GridSampler, sampler_from_config
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

SPACE: dict[str, list[Any]] = {"x": [1, 2], "opt": ["adam", "sgd"]}


def _history(trials: list[FrozenTrial]) -> TrialHistory:
    return TrialHistory((StudyDirection.MINIMIZE,), trials)


def _trial(number: int, params: dict[str, Any], state: TrialState) -> FrozenTrial:
    return FrozenTrial(
        number=number,
        state=state,
        params=dict(params),
        system_attrs={"fixed_params": dict(params)},
    )


def _run_all(sampler: GridSampler, state: TrialState = TrialState.COMPLETE) -> list[dict[str, Any]]:
    trials: list[FrozenTrial] = []
    points: list[dict[str, Any]] = []
    while True:
        try:
            point = sampler.fixed_params_for_new_trial(_history(trials))
        except SearchSpaceExhausted:
            return points
        assert point is not None
        points.append(point)
        trials.append(_trial(len(trials), point, state))


def test_every_point_once_in_order_then_exhausted() -> None:
    points = _run_all(GridSampler(SPACE))
    assert points == [
        {"opt": "adam", "x": 1},
        {"opt": "adam", "x": 2},
        {"opt": "sgd", "x": 1},
        {"opt": "sgd", "x": 2},
    ]
    with pytest.raises(SearchSpaceExhausted, match="exhausted"):
        GridSampler(SPACE).fixed_params_for_new_trial(
            _history([_trial(i, p, TrialState.RUNNING) for i, p in enumerate(points)])
        )


def test_seed_shuffles_reproducibly() -> None:
    space = {"x": list(range(10))}
    a = _run_all(GridSampler(space, seed=3))
    assert a == _run_all(GridSampler(space, seed=3))
    assert sorted(p["x"] for p in a) == list(range(10))
    assert [p["x"] for p in a] != list(range(10))


def test_skips_points_of_live_trials_and_reuses_failed_ones() -> None:
    sampler = GridSampler(SPACE)
    trials = [
        _trial(0, {"opt": "adam", "x": 1}, TrialState.FAIL),
        _trial(1, {"opt": "adam", "x": 2}, TrialState.RUNNING),
        _trial(2, {"opt": "sgd", "x": 1}, TrialState.PRUNED),
        _trial(3, {"opt": "sgd", "x": 2}, TrialState.WAITING),
    ]
    assert sampler.fixed_params_for_new_trial(_history(trials)) == {"opt": "adam", "x": 1}
    trials.append(_trial(4, {"opt": "adam", "x": 1}, TrialState.COMPLETE))
    with pytest.raises(SearchSpaceExhausted):
        sampler.fixed_params_for_new_trial(_history(trials))


def test_points_are_recognised_from_params_too() -> None:
    # A float param stores 1.0 for the grid value 1; no fixed_params attribute needed.
    trial = FrozenTrial(number=0, state=TrialState.COMPLETE, params={"x": 1.0, "opt": "adam"})
    sampler = GridSampler(SPACE)
    assert sampler.fixed_params_for_new_trial(_history([trial])) == {"opt": "adam", "x": 2}


def test_sample_independent_returns_the_fixed_value() -> None:
    sampler = GridSampler({"x": [0.5, 1.5], "n": [3], "c": ["a", "b"]})
    point = {"x": 1.5, "n": 3, "c": "b"}
    trial = FrozenTrial(number=0, state=TrialState.RUNNING, system_attrs={"fixed_params": point})
    history = _history([trial])
    assert sampler.sample_independent(history, trial, "x", FloatDistribution(0, 2)) == 1.5
    assert sampler.sample_independent(history, trial, "n", IntDistribution(0, 5)) == 3
    value = sampler.sample_independent(history, trial, "c", CategoricalDistribution(["a", "b"]))
    assert value == "b"
    with pytest.raises(InvalidInputError, match="'y'"):
        sampler.sample_independent(history, trial, "y", FloatDistribution(0, 1))
    with pytest.raises(InvalidInputError):
        sampler.sample_independent(history, trial, "x", FloatDistribution(0, 1))


def test_config_round_trip() -> None:
    sampler = GridSampler({"b": [True, None], "a": [0.1, "s"]}, seed=2)
    rebuilt = sampler_from_config(sampler.to_config())
    assert isinstance(rebuilt, GridSampler)
    assert rebuilt.to_config() == sampler.to_config()
    assert _run_all(rebuilt) == _run_all(sampler)


@pytest.mark.parametrize(
    "space",
    [{}, {"x": []}, {"x": "abc"}, {"x": [float("nan")]}, {"x": [[1, 2]]}, {"x": [object()]}],
)
def test_bad_search_space(space: Any) -> None:
    with pytest.raises(InvalidInputError):
        GridSampler(space)


def test_bad_seed() -> None:
    with pytest.raises(InvalidInputError):
        GridSampler(SPACE, seed=-3)


def test_a_huge_grid_is_indexed_lazily() -> None:
    import tracemalloc

    space = {name: list(range(100)) for name in "abcd"}  # 10**8 points, ~1 kB of config
    tracemalloc.start()
    sampler = GridSampler(space)
    seeded = GridSampler(space, seed=7)
    first = sampler.fixed_params_for_new_trial(_history([]))
    other = seeded.fixed_params_for_new_trial(_history([]))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000
    assert sampler.n_points == 100**4
    assert first == {"a": 0, "b": 0, "c": 0, "d": 0}
    assert other is not None and set(other) == set("abcd")
    taken = _history([_trial(0, first, TrialState.RUNNING)])
    assert sampler.fixed_params_for_new_trial(taken) == {"a": 0, "b": 0, "c": 0, "d": 1}


def test_a_seeded_stride_visits_every_point_once() -> None:
    import numpy as np

    from hpo_queue.samplers._grid import _seeded_stride

    for n in (2, 9, 12, 97, 1000):
        stride, offset = _seeded_stride(np.random.default_rng(n), n)
        assert sorted((stride * i + offset) % n for i in range(n)) == list(range(n))
