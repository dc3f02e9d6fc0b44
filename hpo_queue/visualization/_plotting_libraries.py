"""The optional plotting libraries, imported at the first plot: ``import hpo_queue`` stays light."""

from __future__ import annotations

import importlib
from types import ModuleType

from hpo_queue.exceptions import MissingDependencyError


def _import(module: str, extra: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{what} need {module.split('.')[0]}: pip install 'hpo-queue[{extra}]'"
        ) from exc


def plotly_graph_objects() -> ModuleType:
    """``plotly.graph_objects``, or a MissingDependencyError naming the extra to install."""
    return _import("plotly.graph_objects", "plotly", "hpo_queue.visualization.plot_* functions")


def plotly_subplots() -> ModuleType:
    """``plotly.subplots`` (for figures of several panels)."""
    return _import("plotly.subplots", "plotly", "hpo_queue.visualization.plot_* functions")


def matplotlib_pyplot() -> ModuleType:
    """``matplotlib.pyplot``, or a MissingDependencyError naming the extra to install.

    Pyplot picks its backend on import: without a display (a server, CI) it falls back to
    Agg, so figures are drawn off-screen and can be saved.
    """
    return _import(
        "matplotlib.pyplot", "matplotlib", "hpo_queue.visualization.matplotlib.plot_* functions"
    )


def is_available(module: str) -> bool:
    """Whether ``module`` imports."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
