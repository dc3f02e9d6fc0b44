"""Plots of a study as data and as standalone SVG, shared by the dashboard and ``hpo-queue plot``.

The ``plot_*`` functions follow Optuna's names but return SVG text rather than a Plotly
figure, so they need no plotting library and work offline::

    from hpo_queue import visualization
    svg = visualization.plot_optimization_history(study)
    Path("history.svg").write_text(svg)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_queue.visualization._files import write_plot_files
from hpo_queue.visualization._history import OptimizationHistory, optimization_history
from hpo_queue.visualization._importance import param_importances
from hpo_queue.visualization._intermediate import IntermediateCurve, intermediate_curves
from hpo_queue.visualization._parallel_coordinate import (
    Axis,
    ParallelCoordinates,
    parallel_coordinates,
)
from hpo_queue.visualization._svg import PLOT_KINDS, render_plot

if TYPE_CHECKING:
    from hpo_queue.study import Study


def _plot(kind: str, study: Study, target_index: int) -> str:
    return render_plot(
        kind,
        study.get_trials(deepcopy=False),
        study.directions,
        objective_index=target_index,
        study_name=study.study_name,
    )


def plot_optimization_history(study: Study, target_index: int = 0) -> str:
    """SVG: each completed trial's value and the best value so far."""
    return _plot("history", study, target_index)


def plot_parallel_coordinate(study: Study, target_index: int = 0) -> str:
    """SVG: one line per completed trial across the objective and the parameters."""
    return _plot("parallel", study, target_index)


def plot_param_importances(study: Study, target_index: int = 0) -> str:
    """SVG: each parameter's share of the objective's variance (see :func:`param_importances`)."""
    return _plot("importance", study, target_index)


def plot_intermediate_values(study: Study) -> str:
    """SVG: the intermediate values (learning curves) each trial reported."""
    return _plot("intermediate", study, 0)


def get_param_importances(study: Study, target_index: int = 0) -> dict[str, float]:
    """Each parameter's importance, most important first, summing to 1."""
    return param_importances(study.get_trials(deepcopy=False), target_index)


__all__ = [
    "PLOT_KINDS",
    "Axis",
    "IntermediateCurve",
    "OptimizationHistory",
    "ParallelCoordinates",
    "get_param_importances",
    "intermediate_curves",
    "optimization_history",
    "parallel_coordinates",
    "param_importances",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "render_plot",
    "write_plot_files",
]
