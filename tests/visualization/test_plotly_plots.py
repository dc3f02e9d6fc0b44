"""The plot_* functions return Plotly figures with Optuna's traces and axes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import InvalidInputError, UnsupportedArgumentError
from hpo_queue.trial import TrialState
from tests.support.optional_modules import import_or_skip
from tests.visualization.studies import dominates, multi_objective_study, single_objective_study

go = import_or_skip("plotly.graph_objects")
vis = hq.visualization


@pytest.fixture(scope="module")
def study() -> hq.Study:
    return single_objective_study()


@pytest.fixture(scope="module")
def two_objectives() -> hq.Study:
    return multi_objective_study(2)


def completed(study: hq.Study) -> list[hq.FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def test_history_has_every_completed_trial_and_a_monotone_best_line(study: hq.Study) -> None:
    figure = vis.plot_optimization_history(study)
    assert isinstance(figure, go.Figure)
    points, best = figure.data
    assert list(points.x) == [t.number for t in completed(study)]
    assert list(best.y) == sorted(best.y, reverse=True)  # minimize: never rises
    assert best.y[-1] == study.best_value
    assert figure.layout.yaxis.title.text == "Objective Value"


def test_history_with_a_target_or_several_studies(study: hq.Study) -> None:
    figure = vis.plot_optimization_history(study, target=lambda t: -t.values[0], target_name="n")
    assert len(figure.data) == 1  # no best line for a target: its direction is unknown
    assert list(figure.data[0].y) == [-t.values[0] for t in completed(study)]
    assert len(vis.plot_optimization_history([study, study]).data) == 4
    with pytest.raises(UnsupportedArgumentError, match="error_bar"):
        vis.plot_optimization_history(study, error_bar=True)


def test_intermediate_values_draw_one_line_per_reporting_trial(study: hq.Study) -> None:
    figure = vis.plot_intermediate_values(study)
    assert len(figure.data) == len(study.trials)
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned and all(len(figure.data[t.number].x) == 2 for t in pruned)


def test_parallel_coordinate_has_an_axis_per_parameter(study: hq.Study) -> None:
    (parcoords,) = vis.plot_parallel_coordinate(study).data
    assert [d.label for d in parcoords.dimensions] == ["Objective Value", "c", "lr", "x"]
    lr = parcoords.dimensions[2]
    assert lr.range[0] == pytest.approx(-5) and lr.range[1] == pytest.approx(-1)  # log10
    assert list(parcoords.dimensions[1].ticktext) == ["a", "b"]
    assert len(parcoords.dimensions[0].values) == len(completed(study))
    (only_x,) = vis.plot_parallel_coordinate(study, params=["x"]).data
    assert [d.label for d in only_x.dimensions] == ["Objective Value", "x"]


def test_param_importances_are_bars_summing_to_one(study: hq.Study) -> None:
    (bars,) = vis.plot_param_importances(study).data
    assert set(bars.y) == {"x", "lr", "c"}
    assert sum(bars.x) == pytest.approx(1.0)
    assert list(bars.x) == sorted(bars.x)  # plotly draws the last bar at the top: the largest


def test_param_importances_of_each_objective(two_objectives: hq.Study) -> None:
    # Without target=, one set of bars per objective, as in Optuna; y = 1 - x + y in the second.
    figure = vis.plot_param_importances(two_objectives)
    assert [bars.name for bars in figure.data] == ["Objective Value 0", "Objective Value 1"]
    first, second = (dict(zip(bars.y, bars.x, strict=True)) for bars in figure.data)
    assert first["x"] > first["y"]
    assert sum(second.values()) == pytest.approx(1.0)
    (only,) = vis.plot_param_importances(two_objectives, target=lambda t: t.values[0]).data
    assert only.name == "Objective Value"


def test_slice_has_a_panel_per_parameter_on_its_scale(study: hq.Study) -> None:
    figure = vis.plot_slice(study)
    assert [trace.name for trace in figure.data] == ["c", "lr", "x"]
    assert figure.layout.xaxis.type == "category"
    assert figure.layout.xaxis2.type == "log"
    assert figure.layout.xaxis3.type == "linear"
    assert all(len(trace.x) == len(completed(study)) for trace in figure.data)
    assert len(vis.plot_slice(study, params=["x"]).data) == 1


def test_contour_of_two_and_three_parameters(study: hq.Study) -> None:
    figure = vis.plot_contour(study, params=["lr", "x"])
    contour, dots = figure.data
    assert isinstance(contour, go.Contour)
    assert figure.layout.xaxis.type == "log"
    assert len(contour.z) == len(contour.y) and len(contour.z[0]) == len(contour.x)
    assert len(dots.x) == len(completed(study))
    assert min(contour.x) >= 1e-5 and max(contour.x) <= 1e-1
    every = vis.plot_contour(study)
    assert sum(isinstance(t, go.Contour) for t in every.data) == 6  # 3 x 3 minus the diagonal


def test_rank_colours_the_best_trial_zero(study: hq.Study) -> None:
    figure = vis.plot_rank(study, params=["x", "lr"])
    (scatter,) = figure.data
    colors = list(scatter.marker.color)
    assert min(colors) == 0.0 and max(colors) == 1.0
    best = [t.number for t in completed(study)].index(study.best_trial.number)
    assert colors[best] == 0.0
    assert figure.layout.yaxis.type == "log"


def test_edf_rises_to_one(study: hq.Study) -> None:
    (line,) = vis.plot_edf(study).data
    assert list(line.x) == sorted(t.value for t in completed(study))
    assert line.y[-1] == 1.0
    assert len(vis.plot_edf([study, single_objective_study()]).data) == 2


def test_pareto_front_points_are_non_dominated(two_objectives: hq.Study) -> None:
    figure = vis.plot_pareto_front(two_objectives)
    traces = {trace.name: trace for trace in figure.data}
    front = list(zip(traces["Best Trial"].x, traces["Best Trial"].y, strict=True))
    rest = list(zip(traces["Trial"].x, traces["Trial"].y, strict=True))
    assert len(front) + len(rest) == len(two_objectives.trials)
    assert not any(dominates(a, b) for a in front + rest for b in front)
    assert all(any(dominates(a, b) for a in front) for b in rest)
    only_front = vis.plot_pareto_front(two_objectives, include_dominated_trials=False)
    assert [trace.name for trace in only_front.data] == ["Best Trial"]
    named = vis.plot_pareto_front(two_objectives, target_names=["loss", "cost"])
    assert named.layout.xaxis.title.text == "loss"


def test_pareto_front_in_three_dimensions_and_bad_arguments(two_objectives: hq.Study) -> None:
    figure = vis.plot_pareto_front(multi_objective_study(3))
    assert all(isinstance(trace, go.Scatter3d) for trace in figure.data)
    with pytest.raises(InvalidInputError, match="2 or 3 objectives"):
        vis.plot_pareto_front(single_objective_study())
    with pytest.raises(UnsupportedArgumentError, match="constraints_func"):
        vis.plot_pareto_front(two_objectives, constraints_func=lambda t: [0.0])
    with pytest.raises(InvalidInputError, match="target_names"):
        vis.plot_pareto_front(two_objectives, target_names=["only one"])


def test_timeline_has_a_bar_per_trial_by_state(study: hq.Study) -> None:
    figure = vis.plot_timeline(study)
    assert sum(len(trace.y) for trace in figure.data) == len(study.trials)
    assert {trace.name for trace in figure.data} == {"COMPLETE", "PRUNED"}
    assert figure.layout.xaxis.type == "date"
    recent = vis.plot_timeline(study, n_recent_trials=3)
    assert sorted(n for trace in recent.data for n in trace.y) == [17, 18, 19]
    with pytest.raises(InvalidInputError, match="n_recent_trials"):
        vis.plot_timeline(study, n_recent_trials=0)


@pytest.mark.parametrize(
    "plot",
    [
        vis.plot_optimization_history,
        vis.plot_parallel_coordinate,
        vis.plot_slice,
        vis.plot_contour,
        vis.plot_rank,
        vis.plot_edf,
    ],
)
def test_a_multi_objective_study_needs_a_target(
    plot: Callable[..., Any], two_objectives: hq.Study
) -> None:
    with pytest.raises(InvalidInputError, match="target="):
        plot(two_objectives)
    figure = plot(two_objectives, target=lambda t: t.values[1])
    assert isinstance(figure, go.Figure) and figure.data


def test_an_unknown_parameter_is_a_named_error(study: hq.Study) -> None:
    for plot in (vis.plot_slice, vis.plot_contour, vis.plot_rank, vis.plot_parallel_coordinate):
        with pytest.raises(InvalidInputError, match="'nope' does not exist"):
            plot(study, params=["nope"])


def test_is_available_when_plotly_is_installed() -> None:
    assert vis.is_available() is True


def test_every_plot_draws_a_study_without_trials() -> None:
    empty = hq.create_study()
    for name in vis.__all__:
        if name.startswith("plot_") and name != "plot_pareto_front":
            assert isinstance(getattr(vis, name)(empty), go.Figure)
    figure = vis.plot_pareto_front(hq.create_study(directions=["minimize"] * 2))
    assert sum(len(trace.x) for trace in figure.data) == 0
