"""The contour and rank plot data: interpolated grids per pair of parameters, value ranks."""

from __future__ import annotations

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import CategoricalDistribution, FloatDistribution
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization._contour import contour_data, panel_for
from hpo_queue.visualization._rank import rank_data
from hpo_queue.visualization._slice import slice_data

MIN = [StudyDirection.MINIMIZE]
DISTRIBUTIONS = {
    "x": FloatDistribution(0, 4),
    "lr": FloatDistribution(1e-4, 1, log=True),
    "opt": CategoricalDistribution(["sgd", "adam"]),
}


def trial(number: int, value: float, **params: object) -> FrozenTrial:
    return FrozenTrial(
        number=number,
        state=TrialState.COMPLETE,
        values=[value],
        params=dict(params),
        distributions={k: DISTRIBUTIONS[k] for k in params},
    )


TRIALS = [
    trial(0, 1.0, x=0.0, lr=1e-4, opt="sgd"),
    trial(1, 2.0, x=4.0, lr=1e-2, opt="adam"),
    trial(2, 3.0, x=2.0, lr=1.0, opt="sgd"),
    trial(3, 2.0, x=1.0, lr=1e-3),  # no opt: left out of the pairs with opt
]


def test_a_panel_per_pair_with_the_trials_having_both() -> None:
    data = contour_data(slice_data(TRIALS, MIN), grid_size=9)
    assert data.params == ["lr", "opt", "x"]
    assert [(p.x.param, p.y.param) for p in data.panels] == [
        ("lr", "opt"),
        ("lr", "x"),
        ("opt", "x"),
    ]
    lr_x = data.panels[1]
    assert lr_x.x.numbers == [0, 1, 2, 3] and lr_x.values == [1.0, 2.0, 3.0, 2.0]
    assert data.panels[0].x.numbers == [0, 1, 2]
    assert len(lr_x.grid_x) == 9 and len(lr_x.grid_z) == 9 and len(lr_x.grid_z[0]) == 9
    # A log axis' grid is spaced evenly in log10 and given back in raw values.
    assert lr_x.grid_x[0] == pytest.approx(1e-4) and lr_x.grid_x[4] == pytest.approx(1e-2)
    assert data.panels[0].grid_y == [0.0, 1.0]  # a categorical axis: one row per choice


def test_the_grid_goes_through_the_trials_and_stays_within_their_values() -> None:
    data = contour_data(slice_data(TRIALS, MIN), grid_size=9)
    lr_x = data.panels[1]
    # Trial 0 sits on the grid's corner (lowest lr, lowest x): the grid takes its value.
    assert lr_x.grid_z[0][0] == pytest.approx(1.0)
    every = [v for row in lr_x.grid_z for v in row if v is not None]
    assert all(1.0 - 1e-9 <= v <= 3.0 + 1e-9 for v in every)


def test_panel_for_swaps_a_pair_stored_the_other_way() -> None:
    data = contour_data(slice_data(TRIALS, MIN), grid_size=5)
    stored = panel_for(data, "lr", "x")
    swapped = panel_for(data, "x", "lr")
    assert stored is not None and swapped is not None
    assert (swapped.x.param, swapped.y.param) == ("x", "lr")
    assert swapped.grid_z[1][3] == stored.grid_z[3][1]
    assert panel_for(data, "x", "nope") is None


def test_ranks_run_from_zero_for_the_lowest_to_one_for_the_highest() -> None:
    ranks = rank_data(slice_data(TRIALS, MIN)).ranks
    assert ranks[0] == 0.0 and ranks[2] == 1.0
    assert ranks[1] == ranks[3] == pytest.approx(1 / 3)  # tied values share the lower rank
    single = rank_data(slice_data(TRIALS[:1], MIN)).ranks
    assert single == {0: 0.5}
