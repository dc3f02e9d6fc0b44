"""Optuna's ``hpo_queue.visualization.matplotlib.plot_*``: a study in, Matplotlib Axes out (an
array of Axes for a plot of several panels, as in Optuna)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hpo_queue._target import Target
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.visualization import _study_data as data
from hpo_queue.visualization._plotting_libraries import matplotlib_pyplot
from hpo_queue.visualization._study_data import DEFAULT_TARGET_NAME
from hpo_queue.visualization.matplotlib import _axes as draw

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
    matplotlib_pyplot()  # the named error before any work
    return draw.history_axes(data.history_data(study, target, error_bar), target_name)


def plot_intermediate_values(study: Study) -> Any:
    """The intermediate values (learning curves) each trial reported."""
    matplotlib_pyplot()
    return draw.intermediate_axes(data.intermediate_data(study))


def plot_parallel_coordinate(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """One line per completed trial across the objective and the parameters."""
    matplotlib_pyplot()
    return draw.parallel_axes(data.parallel_data(study, params, target), target_name)


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
    matplotlib_pyplot()
    return draw.importance_axes(data.importance_data(study, evaluator, params, target, target_name))


def plot_slice(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The value against each parameter, one panel per parameter, coloured by trial number."""
    matplotlib_pyplot()
    return draw.slice_axes(data.slice_plot_data(study, params, target, target_name, "plot_slice"))


def plot_contour(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The value over each pair of parameters, interpolated, with the trials as dots."""
    matplotlib_pyplot()
    return draw.contour_axes(data.contour_plot_data(study, params, target, target_name))


def plot_rank(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The trials over each pair of parameters, coloured by the rank of their value."""
    matplotlib_pyplot()
    return draw.rank_axes(data.rank_plot_data(study, params, target, target_name))


def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The empirical distribution of the values, one line per study."""
    matplotlib_pyplot()
    return draw.edf_axes(data.edf_data(study, target, target_name))


def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Any:
    """A two- or three-objective study's trials, the non-dominated ones marked."""
    matplotlib_pyplot()
    front = data.pareto_data(study, target_names, constraints_func, targets)
    return draw.pareto_axes(front, include_dominated_trials)


def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Any:
    """Each trial as a bar from its start to its end, coloured by state."""
    matplotlib_pyplot()
    return draw.timeline_axes(data.timeline_data(study, n_recent_trials))
