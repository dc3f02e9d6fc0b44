"""Optuna's ``optuna.visualization.matplotlib``: the same ``plot_*`` functions, returning
Matplotlib Axes (``pip install 'hpo-queue[matplotlib]'``; imported at the first plot)::

    ax = hpo_queue.visualization.matplotlib.plot_slice(study)
    ax.figure.savefig("slice.png")  # for several panels, an array: axes[0].figure
"""

from __future__ import annotations

from hpo_queue.visualization._plotting_libraries import is_available as _importable
from hpo_queue.visualization.matplotlib._plots import (
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


def is_available() -> bool:
    """Whether Matplotlib is installed, so that these ``plot_*`` functions can draw."""
    return _importable("matplotlib.pyplot")


__all__ = [
    "is_available",
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
]
