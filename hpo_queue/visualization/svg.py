"""Plots as standalone SVG text, with no plotting library: what the dashboard and
``hpo-queue plot`` draw. For Optuna's Plotly figures use the ``plot_*`` functions instead::

    from hpo_queue.visualization import svg
    Path("history.svg").write_text(svg.render_plot("history", study.trials, study.directions))
"""

from __future__ import annotations

from hpo_queue.visualization._files import write_plot_files
from hpo_queue.visualization._svg import PLOT_KINDS, SCALES, plot_kinds_for, render_plot

__all__ = ["PLOT_KINDS", "SCALES", "plot_kinds_for", "render_plot", "write_plot_files"]
