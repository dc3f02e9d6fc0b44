"""Matplotlib Axes drawn from the plot data, as Optuna's matplotlib plots draw them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.visualization._contour import ContourData, ContourPanel, panel_for
from hpo_queue.visualization._edf import EmpiricalDistribution
from hpo_queue.visualization._history import OptimizationHistory
from hpo_queue.visualization._intermediate import IntermediateCurve
from hpo_queue.visualization._parallel_coordinate import Axis, ParallelCoordinates
from hpo_queue.visualization._pareto import ParetoFront, ParetoPoint
from hpo_queue.visualization._plotting_libraries import matplotlib_pyplot
from hpo_queue.visualization._rank import RankData
from hpo_queue.visualization._slice import SliceData, SlicePanel
from hpo_queue.visualization._timeline import Timeline

COLORMAP = "Blues"
RANK_COLORMAP = "RdYlBu_r"
STATE_COLORS = {
    "COMPLETE": "tab:blue",
    "PRUNED": "tab:orange",
    "FAIL": "tab:red",
    "RUNNING": "tab:green",
    "WAITING": "tab:gray",
}


def _axes() -> Any:
    _, ax = matplotlib_pyplot().subplots()
    return ax


def _set_axis(ax: Any, panel: SlicePanel, which: str) -> None:
    """Log scale for a log parameter, the choices' labels for a categorical one."""
    if panel.kind == "log":
        getattr(ax, f"set_{which}scale")("log")
    elif panel.kind == "categorical":
        getattr(ax, f"set_{which}ticks")(range(len(panel.labels)))
        getattr(ax, f"set_{which}ticklabels")(panel.labels)


def history_axes(series: Sequence[tuple[str, OptimizationHistory, bool]], target_name: str) -> Any:
    ax = _axes()
    several = len(series) > 1
    for name, history, show_best in series:
        suffix = f" of {name}" if several else ""
        ax.scatter(history.numbers, history.values, label=target_name + suffix)
        if show_best:
            ax.plot(
                history.numbers, history.best_values, color="tab:red", label="Best Value" + suffix
            )
    ax.set_title("Optimization History Plot")
    ax.set_xlabel("Trial")
    ax.set_ylabel(target_name)
    if series:
        ax.legend()
    return ax


def intermediate_axes(curves: Sequence[IntermediateCurve]) -> Any:
    ax = _axes()
    for curve in curves:
        ax.plot(curve.steps, curve.values, marker=".", label=f"Trial{curve.number}")
    ax.set_title("Intermediate Values Plot")
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate Value")
    return ax


def parallel_axes(data: ParallelCoordinates, target_name: str) -> Any:
    plt = matplotlib_pyplot()
    ax = _axes()
    n_axes = len(data.axes)
    colormap = plt.get_cmap(COLORMAP if data.direction == StudyDirection.MAXIMIZE else "Blues_r")
    low, high = (min(data.values), max(data.values)) if data.values else (0.0, 1.0)
    for value, row in zip(data.values, data.positions, strict=True):
        points = [(j, p) for j, p in enumerate(row) if p is not None]
        shade = 0.5 if high <= low else (value - low) / (high - low)
        ax.plot(
            [j for j, _ in points], [p for _, p in points], color=colormap(shade), alpha=0.7, lw=1
        )
    for j, axis in enumerate(data.axes):
        ax.axvline(j, color="black", lw=0.8)
        for position, label in _axis_labels(axis):
            ax.text(j, position, f" {label}", fontsize=7, va="center")
    ax.set_xticks(range(n_axes))
    ax.set_xticklabels([target_name] + [axis.name for axis in data.axes[1:]])
    ax.set_yticks([])
    ax.set_xlim(-0.2, max(n_axes - 1, 0) + 0.2)
    ax.set_title("Parallel Coordinate Plot")
    return ax


def _axis_labels(axis: Axis) -> list[tuple[float, str]]:
    """(height in [0, 1], text) of the labels along one parallel-coordinate axis."""
    if axis.kind == "categorical":
        last = max(len(axis.labels) - 1, 1)
        return [(i / last, label) for i, label in enumerate(axis.labels)]
    low, high = (10**axis.low, 10**axis.high) if axis.kind == "log" else (axis.low, axis.high)
    return [(0.0, f"{low:.3g}"), (1.0, f"{high:.3g}")]


def importance_axes(importances: Sequence[tuple[str, dict[str, float]]]) -> Any:
    """A horizontal bar per parameter, one colour per value explained; largest at the top."""
    ax = _axes()
    order = list(reversed(importances[0][1])) if importances else []
    height = 0.8 / max(len(importances), 1)
    for k, (name, shares) in enumerate(importances):
        values = [shares.get(param, 0.0) for param in order]
        offsets = [i - 0.4 + height * (k + 0.5) for i in range(len(order))]
        ax.barh(offsets, values, height=height, label=name)
        for y, value in zip(offsets, values, strict=True):
            ax.text(value, y, f" {value:.2f}" if value >= 0.01 else " <0.01", va="center")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(order)
    ax.set_title("Hyperparameter Importances")
    ax.set_xlabel("Hyperparameter Importance")
    ax.set_ylabel("Hyperparameter")
    if len(importances) > 1:
        ax.legend()
    return ax


def slice_axes(data: SliceData) -> Any:
    plt = matplotlib_pyplot()
    n = len(data.panels)
    if n == 0:
        return _axes()
    _, axes = plt.subplots(1, n, sharey=True, squeeze=False, figsize=(4 * n, 4))
    for ax, panel in zip(axes[0], data.panels, strict=True):
        ax.scatter(panel.x, panel.values, c=panel.numbers, cmap=COLORMAP, edgecolors="grey")
        ax.set_xlabel(panel.param)
        _set_axis(ax, panel, "x")
    axes[0][0].set_ylabel(data.objective_name)
    axes[0][0].figure.suptitle("Slice Plot")
    return axes[0][0] if n == 1 else axes[0]


def _draw_contour(ax: Any, panel: ContourPanel, direction: StudyDirection | None) -> Any:
    z = np.array([[np.nan if v is None else v for v in row] for row in panel.grid_z], dtype=float)
    mappable = None
    if np.isfinite(z).any() and len(panel.grid_x) > 1 and len(panel.grid_y) > 1:
        colormap = "Blues_r" if direction == StudyDirection.MINIMIZE else COLORMAP
        mappable = ax.contourf(panel.grid_x, panel.grid_y, z, levels=15, cmap=colormap)
    ax.scatter(panel.x.x, panel.y.x, color="black", s=8)
    _set_axis(ax, panel.x, "x")
    _set_axis(ax, panel.y, "y")
    return mappable


def contour_axes(data: ContourData) -> Any:
    plt = matplotlib_pyplot()
    params = data.params
    if len(params) < 2:
        ax = _axes()
    elif len(params) == 2:
        ax = _axes()
        panel = data.panels[0]
        mappable = _draw_contour(ax, panel, data.direction)
        if mappable is not None:
            ax.figure.colorbar(mappable, ax=ax, label=data.objective_name)
        ax.set_xlabel(panel.x.param)
        ax.set_ylabel(panel.y.param)
    else:
        n = len(params)
        _, grid = plt.subplots(n, n, figsize=(3 * n, 3 * n), squeeze=False)
        for row, y in enumerate(params):
            for col, x in enumerate(params):
                cell = grid[row][col]
                if x == y:
                    cell.axis("off")
                    continue
                pair = panel_for(data, x, y)
                assert pair is not None
                _draw_contour(cell, pair, data.direction)
                if row == n - 1:
                    cell.set_xlabel(x)
                if col == 0:
                    cell.set_ylabel(y)
        grid[0][0].figure.suptitle("Contour Plot")
        return grid
    ax.set_title("Contour Plot")
    return ax


def _rank_pair(ax: Any, data: RankData, x: SlicePanel, y: SlicePanel) -> Any:
    y_of = dict(zip(y.numbers, y.x, strict=True))
    x_of = dict(zip(x.numbers, x.x, strict=True))
    numbers = [n for n in x.numbers if n in y_of]
    points = ax.scatter(
        [x_of[n] for n in numbers],
        [y_of[n] for n in numbers],
        c=[data.ranks[n] for n in numbers],
        cmap=RANK_COLORMAP,
        vmin=0.0,
        vmax=1.0,
        edgecolors="grey",
    )
    _set_axis(ax, x, "x")
    _set_axis(ax, y, "y")
    return points


def rank_axes(data: RankData) -> Any:
    plt = matplotlib_pyplot()
    panels = {p.param: p for p in data.slices.panels}
    names = list(panels)
    label = f"{data.slices.objective_name} (rank)"
    if len(names) <= 2:
        ax = _axes()
        if len(names) == 1:
            panel = panels[names[0]]
            values = SlicePanel("", "linear", panel.numbers, panel.values, [], [])
            points = _rank_pair(ax, data, panel, values)
            ax.set_xlabel(panel.param)
            ax.set_ylabel(data.slices.objective_name)
            ax.figure.colorbar(points, ax=ax, label=label)
        elif len(names) == 2:
            points = _rank_pair(ax, data, panels[names[0]], panels[names[1]])
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
            ax.figure.colorbar(points, ax=ax, label=label)
        ax.set_title("Rank Plot")
        return ax
    n = len(names)
    _, grid = plt.subplots(n, n, figsize=(3 * n, 3 * n), squeeze=False)
    for row, y in enumerate(names):
        for col, x in enumerate(names):
            if x == y:
                grid[row][col].axis("off")
                continue
            _rank_pair(grid[row][col], data, panels[x], panels[y])
            if row == n - 1:
                grid[row][col].set_xlabel(x)
            if col == 0:
                grid[row][col].set_ylabel(y)
    grid[0][0].figure.suptitle("Rank Plot")
    return grid


def edf_axes(data: EmpiricalDistribution) -> Any:
    ax = _axes()
    for line in data.lines:
        ax.step(line.values, line.fractions, where="post", label=line.name)
    ax.set_title("Empirical Distribution Function Plot")
    ax.set_xlabel(data.objective_name)
    ax.set_ylabel("Cumulative Probability")
    ax.set_ylim(0, 1)
    if len(data.lines) > 1:
        ax.legend()
    return ax


def pareto_axes(data: ParetoFront, include_dominated_trials: bool) -> Any:
    plt = matplotlib_pyplot()
    dims = data.n_objectives
    ax = plt.figure().add_subplot(projection="3d") if dims == 3 else _axes()

    def draw(points: Sequence[ParetoPoint], label: str, color: str) -> None:
        if points:
            columns = [[p.values[i] for p in points] for i in range(dims)]
            ax.scatter(*columns, label=label, color=color)

    if include_dominated_trials:
        draw(data.dominated, "Trial", "tab:blue")
    draw(data.front, "Best Trial", "tab:red")
    draw(data.infeasible, "Infeasible Trial", "#cccccc")
    names = data.objective_names
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if dims == 3:
        ax.set_zlabel(names[2])
    ax.set_title("Pareto-front Plot")
    if ax.get_legend_handles_labels()[1]:
        ax.legend()
    return ax


def timeline_axes(data: Timeline) -> Any:
    ax = _axes()
    seen: set[str] = set()
    for lane in data.lanes:
        for bar in lane.bars:
            end = bar.end or data.now
            ax.barh(
                bar.number,
                end - bar.start,
                left=bar.start,
                color=STATE_COLORS.get(bar.state, "tab:gray"),
                label=None if bar.state in seen else bar.state,
            )
            seen.add(bar.state)
    ax.figure.autofmt_xdate()
    ax.set_title("Timeline Plot")
    ax.set_xlabel("Datetime")
    ax.set_ylabel("Trial")
    if seen:
        ax.legend()
    return ax
