"""Plots of a study, with Optuna's function names.

The ``plot_*`` functions return Plotly figures (``pip install 'hpo-queue[plotly]'``); the
same functions in :mod:`hpo_queue.visualization.matplotlib` return Matplotlib Axes::

    fig = hpo_queue.visualization.plot_optimization_history(study)
    fig.write_html("history.html")

Plotly is imported at the first plot, not with ``hpo_queue``. The SVG plots of the dashboard
and ``hpo-queue plot``, which need no plotting library, are in
:mod:`hpo_queue.visualization.svg`; the plot data (the points each plot draws) is returned
by the functions below such as :func:`optimization_history`.
"""

from __future__ import annotations

from hpo_queue.visualization import matplotlib, svg
from hpo_queue.visualization._files import write_plot_files
from hpo_queue.visualization._history import OptimizationHistory, optimization_history
from hpo_queue.visualization._intermediate import IntermediateCurve, intermediate_curves
from hpo_queue.visualization._parallel_coordinate import (
    Axis,
    ParallelCoordinates,
    parallel_coordinates,
)
from hpo_queue.visualization._plotly_plots import (
    plot_contour,
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_pareto_front,
    plot_rank,
    plot_slice,
    plot_timeline,
)
from hpo_queue.visualization._plotting_libraries import is_available as _importable
from hpo_queue.visualization._svg import PLOT_KINDS, render_plot


def is_available() -> bool:
    """Whether Plotly is installed, so that the ``plot_*`` functions can draw."""
    return _importable("plotly.graph_objects")


__all__ = [
    "PLOT_KINDS",
    "Axis",
    "IntermediateCurve",
    "OptimizationHistory",
    "ParallelCoordinates",
    "intermediate_curves",
    "is_available",
    "matplotlib",
    "optimization_history",
    "parallel_coordinates",
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_timeline",
    "render_plot",
    "svg",
    "write_plot_files",
]
