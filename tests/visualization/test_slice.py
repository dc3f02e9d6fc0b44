"""The slice plot data: one panel of points per parameter."""

from __future__ import annotations

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import CategoricalDistribution, FloatDistribution
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization._slice import slice_data

MIN = StudyDirection.MINIMIZE


LR = FloatDistribution(1e-5, 1e-1, log=True)
OPT = CategoricalDistribution(["sgd", "adam", None])


def with_params(number: int, value: float | None, **params: object) -> FrozenTrial:
    distributions = {"lr": LR, "opt": OPT}
    return FrozenTrial(
        number=number,
        state=TrialState.COMPLETE if value is not None else TrialState.FAIL,
        values=None if value is None else [value],
        params=dict(params),
        distributions={k: distributions[k] for k in params if k in distributions},
    )


def test_slice_one_panel_per_parameter() -> None:
    trials = [
        with_params(0, 1.0, lr=1e-3, opt="adam", depth=3),
        with_params(1, 2.0, lr=1e-2, opt=None),
        with_params(2, None, lr=1e-4, opt="sgd"),
        with_params(3, float("inf"), lr=1e-4, opt="sgd"),
    ]
    data = slice_data(trials, [MIN])
    assert [p.param for p in data.panels] == ["depth", "lr", "opt"]
    depth, lr, opt = data.panels
    assert (depth.kind, depth.numbers, depth.x, depth.values) == ("linear", [0], [3.0], [1.0])
    assert (lr.kind, lr.x, lr.values) == ("log", [1e-3, 1e-2], [1.0, 2.0])
    assert (opt.kind, opt.labels, opt.x) == ("categorical", ["sgd", "adam", "None"], [1.0, 2.0])
    assert data.objective_name == "objective"
    assert data.direction == MIN


def test_slice_of_chosen_params_and_a_target() -> None:
    trials = [with_params(0, 1.0, lr=1e-3), with_params(1, 2.0, lr=1e-2)]
    data = slice_data(
        trials, [MIN], params=["lr"], target=lambda t: -t.values[0], target_name="neg"
    )
    assert data.panels[0].values == [-1.0, -2.0]
    assert data.objective_name == "neg"
    assert data.direction is None


def test_slice_of_a_missing_objective_raises() -> None:
    with pytest.raises(IndexError):
        slice_data([with_params(0, 1.0, lr=1e-3)], [MIN], objective_index=1)
