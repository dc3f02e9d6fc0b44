"""hpo_queue.visualization.matplotlib: the same plots as Matplotlib Axes, off-screen (Agg)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.trial import TrialState
from tests.support.optional_modules import import_or_skip
from tests.visualization.studies import multi_objective_study, single_objective_study

matplotlib = import_or_skip("matplotlib")
matplotlib.use("Agg")
plt = import_or_skip("matplotlib.pyplot")
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

mpl = hq.visualization.matplotlib


@pytest.fixture(scope="module")
def study() -> hq.Study:
    return single_objective_study()


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def n_completed(study: hq.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def scatter_points(ax: Axes) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def test_history_is_a_scatter_and_a_best_line(study: hq.Study) -> None:
    ax = mpl.plot_optimization_history(study)
    assert isinstance(ax, Axes)
    assert scatter_points(ax) == n_completed(study)
    (best,) = ax.get_lines()
    ys = list(best.get_ydata())
    assert ys == sorted(ys, reverse=True) and ys[-1] == study.best_value
    assert ax.get_title() == "Optimization History Plot"


def test_intermediate_values_and_parallel_coordinate(study: hq.Study) -> None:
    assert len(mpl.plot_intermediate_values(study).get_lines()) == len(study.trials)
    ax = mpl.plot_parallel_coordinate(study)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["Objective Value", "c", "lr", "x"]
    assert len(ax.get_lines()) >= n_completed(study)  # a polyline per trial, plus the axes


def test_importances_are_one_bar_per_parameter(study: hq.Study) -> None:
    ax = mpl.plot_param_importances(study)
    widths = [bar.get_width() for bar in ax.patches]
    assert len(widths) == 3 and sum(widths) == pytest.approx(1.0)
    several = mpl.plot_param_importances(multi_objective_study(2))
    assert len(several.patches) == 4  # two parameters, two objectives
    assert [t.get_text() for t in several.get_legend().get_texts()] == [
        "Objective Value 0",
        "Objective Value 1",
    ]


def test_slice_returns_an_axes_per_parameter_on_its_scale(study: hq.Study) -> None:
    axes = mpl.plot_slice(study)
    assert len(axes) == 3 and all(isinstance(ax, Axes) for ax in axes)
    assert [ax.get_xlabel() for ax in axes] == ["c", "lr", "x"]
    assert axes[1].get_xscale() == "log"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["a", "b"]
    assert all(scatter_points(ax) == n_completed(study) for ax in axes)
    assert isinstance(mpl.plot_slice(study, params=["x"]), Axes)


def test_contour_and_rank(study: hq.Study) -> None:
    ax = mpl.plot_contour(study, params=["lr", "x"])
    assert isinstance(ax, Axes) and ax.get_xscale() == "log"
    assert scatter_points(ax) == n_completed(study)
    assert mpl.plot_contour(study).shape == (3, 3)
    rank = mpl.plot_rank(study, params=["x", "lr"])
    assert isinstance(rank, Axes) and scatter_points(rank) == n_completed(study)
    assert mpl.plot_rank(study).shape == (3, 3)


def test_edf_pareto_and_timeline(study: hq.Study) -> None:
    (line,) = mpl.plot_edf(study).get_lines()
    assert list(line.get_ydata())[-1] == 1.0
    ax = mpl.plot_pareto_front(multi_objective_study(2))
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"Trial", "Best Trial"}
    assert scatter_points(ax) == 20
    timeline = mpl.plot_timeline(study)
    assert len(timeline.patches) == len(study.trials)
    with pytest.raises(InvalidInputError, match="target="):
        mpl.plot_slice(multi_objective_study(2))


def test_is_available_when_matplotlib_is_installed() -> None:
    assert mpl.is_available() is True


def test_every_plot_draws_a_study_without_trials() -> None:
    # pytest turns warnings into errors: an empty legend or a bad contour would fail here.
    empty = hq.create_study()
    for name in mpl.__all__:
        if name.startswith("plot_") and name != "plot_pareto_front":
            assert getattr(mpl, name)(empty) is not None
    assert isinstance(mpl.plot_pareto_front(hq.create_study(directions=["minimize"] * 2)), Axes)
