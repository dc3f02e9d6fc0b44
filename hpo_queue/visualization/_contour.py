"""Contour plot: the objective over each pair of parameters, interpolated onto a grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.visualization._slice import SliceData, SlicePanel

# Grid points per side; Optuna uses 100, but 50 looks the same and costs a quarter.
DEFAULT_GRID_SIZE = 50


@dataclass(frozen=True)
class ContourPanel:
    """One pair: ``x`` against ``y`` (each a slice panel restricted to trials having both).

    ``grid_x``/``grid_y`` are the grid's coordinates in the axes' units (raw values for a
    log axis, choice indexes for a categorical one); ``grid_z[i][j]`` is the value
    interpolated at (``grid_x[j]``, ``grid_y[i]``), None with no points at all.
    """

    x: SlicePanel
    y: SlicePanel
    values: list[float]
    grid_x: list[float]
    grid_y: list[float]
    grid_z: list[list[float | None]]


@dataclass(frozen=True)
class ContourData:
    """A panel per unordered pair of parameters, in the order of ``params``.

    ``direction`` is the objective's (None for a user's target), for the colour scale.
    """

    objective_name: str
    direction: StudyDirection | None
    params: list[str]
    panels: list[ContourPanel]


def _unit(values: np.ndarray, kind: str) -> np.ndarray:
    return np.log10(values) if kind == "log" else values


def _grid(panel: SlicePanel, points: np.ndarray, size: int) -> np.ndarray:
    """``size`` coordinates across the panel's range, in the units used to interpolate."""
    if panel.kind == "categorical":
        return np.arange(len(panel.labels), dtype=float)
    low, high = (float(points.min()), float(points.max())) if len(points) else (0.0, 1.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, size)


def _interpolate(
    px: np.ndarray, py: np.ndarray, z: np.ndarray, gx: np.ndarray, gy: np.ndarray
) -> np.ndarray:
    """Inverse-distance-weighted values on the grid (exact at the points)."""
    if len(z) == 0:
        return np.full((len(gy), len(gx)), np.nan)

    # Distances on axes scaled to [0, 1] so that neither parameter's units dominate.
    def scale(a: np.ndarray, ref: np.ndarray) -> np.ndarray:
        low, span = float(ref.min()), float(np.ptp(ref)) or 1.0
        return (a - low) / span

    sx, sy = scale(px, gx), scale(py, gy)
    mx, my = np.meshgrid(scale(gx, gx), scale(gy, gy))
    d2 = (mx[..., None] - sx) ** 2 + (my[..., None] - sy) ** 2
    weights = 1.0 / np.maximum(d2, 1e-12)
    return (weights @ z) / weights.sum(axis=-1)


def _pair(a: SlicePanel, b: SlicePanel, values: dict[int, float], size: int) -> ContourPanel:
    common = [n for n in a.numbers if n in set(b.numbers)]
    x_of = dict(zip(a.numbers, a.x, strict=True))
    y_of = dict(zip(b.numbers, b.x, strict=True))

    def restricted(panel: SlicePanel, coordinate: dict[int, float]) -> SlicePanel:
        x = [coordinate[n] for n in common]
        return SlicePanel(
            panel.param, panel.kind, common, x, [values[n] for n in common], panel.labels
        )

    x_panel, y_panel = restricted(a, x_of), restricted(b, y_of)
    px = _unit(np.array(x_panel.x, dtype=float), a.kind)
    py = _unit(np.array(y_panel.x, dtype=float), b.kind)
    z = np.array(x_panel.values, dtype=float)
    gx, gy = _grid(a, px, size), _grid(b, py, size)
    grid = _interpolate(px, py, z, gx, gy)
    rows = [[None if math.isnan(v) else float(v) for v in row] for row in grid]
    back_x = (10**gx) if a.kind == "log" else gx
    back_y = (10**gy) if b.kind == "log" else gy
    return ContourPanel(
        x_panel,
        y_panel,
        x_panel.values,
        [float(v) for v in back_x],
        [float(v) for v in back_y],
        rows,
    )


def contour_data(data: SliceData, grid_size: int = DEFAULT_GRID_SIZE) -> ContourData:
    """The contour panels of the slice data's parameters (all pairs, first param as x)."""
    values = {
        n: v for panel in data.panels for n, v in zip(panel.numbers, panel.values, strict=True)
    }
    panels = [
        _pair(a, b, values, grid_size)
        for i, a in enumerate(data.panels)
        for b in data.panels[i + 1 :]
    ]
    return ContourData(data.objective_name, data.direction, [p.param for p in data.panels], panels)


def panel_for(data: ContourData, x: str, y: str) -> ContourPanel | None:
    """The panel of ``x`` against ``y`` in either order (swapped when stored the other way)."""
    for panel in data.panels:
        if (panel.x.param, panel.y.param) == (x, y):
            return panel
        if (panel.x.param, panel.y.param) == (y, x):
            return ContourPanel(
                panel.y,
                panel.x,
                panel.values,
                panel.grid_y,
                panel.grid_x,
                [list(column) for column in zip(*panel.grid_z, strict=True)],
            )
    return None
