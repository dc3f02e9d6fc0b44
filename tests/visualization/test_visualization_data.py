"""The plot data: history, parallel coordinates, importance and intermediate values."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo_queue.importance import param_importances
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization import (
    intermediate_curves,
    optimization_history,
    parallel_coordinates,
)

MIN = (StudyDirection.MINIMIZE,)
MAX = (StudyDirection.MAXIMIZE,)
X = FloatDistribution(-5.0, 5.0)
LR = FloatDistribution(1e-5, 1e-1, log=True)
OPT = CategoricalDistribution(["sgd", "adam"])
N = IntDistribution(1, 8)


def trial(
    number: int,
    value: float | None,
    state: TrialState = TrialState.COMPLETE,
    **params: object,
) -> FrozenTrial:
    distributions = {"x": X, "lr": LR, "opt": OPT, "n": N}
    return FrozenTrial(
        number=number,
        state=state,
        values=None if value is None else [value],
        params=dict(params),
        distributions={k: distributions[k] for k in params},
    )


def test_history_best_so_far_for_both_directions() -> None:
    trials = [
        trial(0, 5.0),
        trial(1, None, TrialState.FAIL),
        trial(2, 3.0),
        trial(3, 4.0, TrialState.PRUNED),
        trial(4, 7.0),
        trial(5, float("inf")),
        trial(6, 1.0),
    ]
    history = optimization_history(trials, MIN)
    assert history.numbers == [0, 2, 4, 6]
    assert history.values == [5.0, 3.0, 7.0, 1.0]
    assert history.best_values == [5.0, 3.0, 3.0, 1.0]
    assert optimization_history(trials, MAX).best_values == [5.0, 5.0, 7.0, 7.0]


def test_history_ignores_infeasible_trials_for_the_best() -> None:
    infeasible = dataclasses.replace(trial(0, 1.0), constraints=[0.5])
    history = optimization_history([infeasible, trial(1, 2.0)], MIN)
    assert history.values == [1.0, 2.0]
    assert math.isnan(history.best_values[0]) and history.best_values[1] == 2.0


def test_history_of_the_second_objective() -> None:
    first = FrozenTrial(number=0, state=TrialState.COMPLETE, values=[1.0, 10.0])
    second = FrozenTrial(number=1, state=TrialState.COMPLETE, values=[2.0, 20.0])
    history = optimization_history([first, second], (*MIN, *MAX), objective_index=1)
    assert history.values == [10.0, 20.0] and history.best_values == [10.0, 20.0]


def test_parallel_coordinates_scales_each_axis() -> None:
    trials = [
        trial(0, 1.0, x=-5.0, lr=1e-5, opt="sgd"),
        trial(1, 3.0, x=5.0, lr=1e-1, opt="adam"),
        trial(2, 2.0, x=0.0, lr=1e-3),
        trial(3, 9.0, TrialState.PRUNED, x=1.0, lr=1e-2, opt="sgd"),
    ]
    data = parallel_coordinates(trials, MIN)
    assert [a.name for a in data.axes] == ["objective", "lr", "opt", "x"]
    assert [a.kind for a in data.axes] == ["linear", "log", "categorical", "linear"]
    assert data.axes[1].low == pytest.approx(-5.0) and data.axes[1].high == pytest.approx(-1.0)
    assert data.axes[2].labels == ["sgd", "adam"]
    assert data.numbers == [0, 1, 2]
    assert data.positions[0] == [0.0, 0.0, 0.0, 0.0]
    assert data.positions[1] == [1.0, 1.0, 1.0, 1.0]
    assert data.positions[2] == [0.5, pytest.approx(0.5), None, 0.5]


def test_parallel_coordinates_keeps_the_latest_lines() -> None:
    trials = [trial(i, float(i), x=0.0) for i in range(10)]
    assert parallel_coordinates(trials, MIN, max_lines=3).numbers == [7, 8, 9]


def test_importance_finds_the_parameter_that_matters() -> None:
    rng = random.Random(0)
    trials = []
    for i in range(120):
        x, lr = rng.uniform(-5, 5), 10 ** rng.uniform(-5, -1)
        opt, n = rng.choice(["sgd", "adam"]), rng.randint(1, 8)
        value = x**2 + (3.0 if opt == "sgd" else 0.0) + rng.gauss(0, 0.1)
        trials.append(trial(i, value, x=x, lr=lr, opt=opt, n=n))
    importances = param_importances(trials)
    assert list(importances)[:2] == ["x", "opt"]
    assert sum(importances.values()) == pytest.approx(1.0)
    assert importances["x"] > 0.6
    assert importances["lr"] < 0.05 and importances["n"] < 0.05


def test_importance_edge_cases() -> None:
    assert param_importances([]) == {}
    assert param_importances([trial(0, 1.0, x=1.0)]) == {}
    # A constant objective explains nothing: equal shares rather than a division by zero.
    flat = [trial(i, 1.0, x=float(i), n=i % 3 + 1) for i in range(6)]
    assert param_importances(flat) == {"n": 0.5, "x": 0.5}


def test_intermediate_curves() -> None:
    a = dataclasses.replace(
        trial(0, 1.0, x=0.0), intermediate_values={2: 3.0, 0: 5.0, 1: float("nan")}
    )
    b = dataclasses.replace(trial(1, None, TrialState.RUNNING, x=0.0), intermediate_values={0: 4.0})
    c = trial(2, 2.0, x=0.0)
    curves = intermediate_curves([c, b, a])
    assert [(k.number, k.state, k.steps, k.values) for k in curves] == [
        (0, "COMPLETE", [0, 2], [5.0, 3.0]),
        (1, "RUNNING", [0], [4.0]),
    ]
    assert [k.number for k in intermediate_curves([a, b], max_curves=1)] == [1]
