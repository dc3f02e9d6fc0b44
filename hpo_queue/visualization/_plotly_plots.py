"""Optuna's ``plot_*`` functions: a study in, a Plotly figure out (``fig.show()``,
``fig.write_html(...)``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hpo_queue._target import Target
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.visualization import _plotly_figures as draw
from hpo_queue.visualization import _study_data as data
from hpo_queue.visualization._plotting_libraries import plotly_graph_objects
from hpo_queue.visualization._study_data import DEFAULT_TARGET_NAME

if TYPE_CHECKING:
    from hpo_queue.importance import BaseImportanceEvaluator
    from hpo_queue.study import Study


def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> Any:
    """Each completed trial's value and, without ``target``, the best value so far."""
    plotly_graph_objects()  # the named error before any work
    return draw.history_figure(data.history_data(study, target, error_bar), target_name)


def plot_intermediate_values(study: Study) -> Any:
    """The intermediate values (learning curves) each trial reported."""
    plotly_graph_objects()
    return draw.intermediate_figure(data.intermediate_data(study))


def plot_parallel_coordinate(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """One line per completed trial across the objective and the parameters."""
    plotly_graph_objects()
    return draw.parallel_figure(data.parallel_data(study, params, target), target_name)


def plot_param_importances(
    study: Study,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """A horizontal bar per parameter: its importance (fANOVA by default), summing to 1.

    A multi-objective study without ``target`` gets a set of bars per objective, as in Optuna.
    """
    plotly_graph_objects()
    return draw.importance_figure(
        data.importance_data(study, evaluator, params, target, target_name)
    )


def plot_slice(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The value against each parameter, one panel per parameter, coloured by trial number."""
    plotly_graph_objects()
    return draw.slice_figure(data.slice_plot_data(study, params, target, target_name, "plot_slice"))


def plot_contour(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The value over each pair of parameters, interpolated, with the trials as dots."""
    plotly_graph_objects()
    return draw.contour_figure(data.contour_plot_data(study, params, target, target_name))


def plot_rank(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The trials over each pair of parameters, coloured by the rank of their value."""
    plotly_graph_objects()
    return draw.rank_figure(data.rank_plot_data(study, params, target, target_name))


def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The empirical distribution of the values, one line per study."""
    plotly_graph_objects()
    return draw.edf_figure(data.edf_data(study, target, target_name))


def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Any:
    """A two- or three-objective study's trials, the non-dominated ones marked."""
    plotly_graph_objects()
    front = data.pareto_data(study, target_names, constraints_func, targets)
    return draw.pareto_figure(front, include_dominated_trials)


def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Any:
    """Each trial as a bar from its start to its end, coloured by state."""
    plotly_graph_objects()
    return draw.timeline_figure(data.timeline_data(study, n_recent_trials))
