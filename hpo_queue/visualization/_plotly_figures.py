"""Plotly figures drawn from the plot data, with Optuna's titles, traces and axis types."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.visualization._contour import ContourData, ContourPanel, panel_for
from hpo_queue.visualization._edf import EmpiricalDistribution
from hpo_queue.visualization._history import OptimizationHistory
from hpo_queue.visualization._intermediate import IntermediateCurve
from hpo_queue.visualization._parallel_coordinate import ParallelCoordinates
from hpo_queue.visualization._pareto import ParetoFront, ParetoPoint
from hpo_queue.visualization._plotting_libraries import plotly_graph_objects, plotly_subplots
from hpo_queue.visualization._rank import RankData
from hpo_queue.visualization._slice import SliceData, SlicePanel
from hpo_queue.visualization._timeline import Timeline

COLORSCALE = "Blues"
RANK_COLORSCALE = "RdYlBu_r"
STATE_COLORS = {
    "COMPLETE": "#1f77b4",
    "PRUNED": "#ff7f0e",
    "FAIL": "#d62728",
    "RUNNING": "#2ca02c",
    "WAITING": "#7f7f7f",
}


def _axis(panel: SlicePanel) -> dict[str, Any]:
    """Axis settings: log for a log parameter; a categorical one's choices in their order."""
    if panel.kind == "categorical":
        return {"type": "category", "categoryorder": "array", "categoryarray": panel.labels}
    return {"type": "log" if panel.kind == "log" else "linear"}


def _coordinates(panel: SlicePanel) -> list[Any]:
    """The panel's x in plotly's terms: choice labels on a category axis, else numbers."""
    if panel.kind == "categorical":
        return [panel.labels[int(i)] for i in panel.x]
    return list(panel.x)


def history_figure(
    series: Sequence[tuple[str, OptimizationHistory, bool]], target_name: str
) -> Any:
    go = plotly_graph_objects()
    figure = go.Figure()
    several = len(series) > 1
    for name, history, show_best in series:
        suffix = f" of {name}" if several else ""
        figure.add_trace(
            go.Scatter(
                x=history.numbers,
                y=history.values,
                mode="markers",
                name=target_name + suffix,
            )
        )
        if show_best:
            figure.add_trace(
                go.Scatter(
                    x=history.numbers,
                    y=history.best_values,
                    mode="lines",
                    name="Best Value" + suffix,
                )
            )
    figure.update_layout(
        title="Optimization History Plot", xaxis_title="Trial", yaxis_title=target_name
    )
    return figure


def intermediate_figure(curves: Sequence[IntermediateCurve]) -> Any:
    go = plotly_graph_objects()
    figure = go.Figure()
    for curve in curves:
        figure.add_trace(
            go.Scatter(
                x=curve.steps, y=curve.values, mode="lines+markers", name=f"Trial{curve.number}"
            )
        )
    figure.update_layout(
        title="Intermediate Values Plot",
        xaxis_title="Step",
        yaxis_title="Intermediate Value",
        showlegend=False,
    )
    return figure


def parallel_figure(data: ParallelCoordinates, target_name: str) -> Any:
    go = plotly_graph_objects()
    rows = [i for i, row in enumerate(data.positions) if all(p is not None for p in row)]
    dimensions = []
    for j, axis in enumerate(data.axes):
        scaled = [data.positions[i][j] for i in rows]
        values = [axis.low + float(p) * (axis.high - axis.low) for p in scaled]  # type: ignore[arg-type]
        dimension: dict[str, Any] = {
            "label": target_name if j == 0 else axis.name,
            "values": values,
            "range": [axis.low, axis.high],
        }
        if axis.kind == "categorical":
            dimension["tickvals"] = list(range(len(axis.labels)))
            dimension["ticktext"] = axis.labels
        elif axis.kind == "log":
            ticks = list(range(int(axis.low // 1), int(-(-axis.high // 1)) + 1))
            dimension["tickvals"] = ticks
            dimension["ticktext"] = [f"1e{t}" for t in ticks]
        dimensions.append(dimension)
    figure = go.Figure(
        go.Parcoords(
            dimensions=dimensions,
            line={
                "color": [data.values[i] for i in rows],
                "colorscale": COLORSCALE,
                "reversescale": data.direction == StudyDirection.MINIMIZE,
                "showscale": True,
                "colorbar": {"title": target_name},
            },
        )
    )
    figure.update_layout(title="Parallel Coordinate Plot")
    return figure


def importance_figure(importances: Sequence[tuple[str, dict[str, float]]]) -> Any:
    """A horizontal bar per parameter, one trace per value explained; largest at the top."""
    go = plotly_graph_objects()
    order = list(reversed(importances[0][1])) if importances else []
    figure = go.Figure()
    for name, shares in importances:
        values = [shares.get(param, 0.0) for param in order]
        figure.add_trace(
            go.Bar(
                x=values,
                y=order,
                name=name,
                orientation="h",
                text=[f"{v:.2f}" if v >= 0.01 else "<0.01" for v in values],
                textposition="outside",
            )
        )
    figure.update_layout(
        title="Hyperparameter Importances",
        xaxis_title="Hyperparameter Importance",
        yaxis_title="Hyperparameter",
        showlegend=len(importances) > 1,
    )
    return figure


def slice_figure(data: SliceData) -> Any:
    go = plotly_graph_objects()
    n = max(len(data.panels), 1)
    figure = plotly_subplots().make_subplots(rows=1, cols=n, shared_yaxes=True)
    for i, panel in enumerate(data.panels):
        figure.add_trace(
            go.Scatter(
                x=_coordinates(panel),
                y=panel.values,
                mode="markers",
                name=panel.param,
                marker={
                    "color": panel.numbers,
                    "colorscale": COLORSCALE,
                    "showscale": i == n - 1,
                    "colorbar": {"title": "Trial"},
                },
                showlegend=False,
            ),
            row=1,
            col=i + 1,
        )
        figure.update_xaxes(title_text=panel.param, **_axis(panel), row=1, col=i + 1)
    figure.update_yaxes(title_text=data.objective_name, row=1, col=1)
    figure.update_layout(title="Slice Plot")
    return figure


def _grid_coordinates(panel: SlicePanel, grid: list[float]) -> list[Any]:
    return list(panel.labels) if panel.kind == "categorical" else grid


def _contour_traces(panel: ContourPanel, show_scale: bool, data: ContourData) -> list[Any]:
    go = plotly_graph_objects()
    return [
        go.Contour(
            x=_grid_coordinates(panel.x, panel.grid_x),
            y=_grid_coordinates(panel.y, panel.grid_y),
            z=panel.grid_z,
            colorscale=COLORSCALE,
            reversescale=data.direction == StudyDirection.MINIMIZE,  # the best is darkest
            connectgaps=True,
            showscale=show_scale,
            colorbar={"title": data.objective_name},
        ),
        go.Scatter(
            x=_coordinates(panel.x),
            y=_coordinates(panel.y),
            mode="markers",
            marker={"color": "black", "size": 5},
            showlegend=False,
        ),
    ]


def _pair_grid(params: list[str]) -> Any:
    n = len(params)
    return plotly_subplots().make_subplots(rows=n, cols=n, shared_xaxes=False)


def contour_figure(data: ContourData) -> Any:
    go = plotly_graph_objects()
    if len(data.params) < 2:
        figure = go.Figure()
    elif len(data.params) == 2:
        panel = data.panels[0]
        figure = go.Figure(_contour_traces(panel, True, data))
        figure.update_xaxes(title_text=panel.x.param, **_axis(panel.x))
        figure.update_yaxes(title_text=panel.y.param, **_axis(panel.y))
    else:
        figure = _pair_grid(data.params)
        first = True
        for row, y in enumerate(data.params, start=1):
            for col, x in enumerate(data.params, start=1):
                if x == y:
                    continue
                pair = panel_for(data, x, y)
                assert pair is not None
                for trace in _contour_traces(pair, first, data):
                    figure.add_trace(trace, row=row, col=col)
                first = False
                figure.update_xaxes(**_axis(pair.x), row=row, col=col)
                figure.update_yaxes(**_axis(pair.y), row=row, col=col)
                if row == len(data.params):
                    figure.update_xaxes(title_text=x, row=row, col=col)
                if col == 1 or (col == 2 and row == 1):
                    figure.update_yaxes(title_text=y, row=row, col=col)
    figure.update_layout(title="Contour Plot")
    return figure


def _rank_scatter(
    data: RankData, x: SlicePanel, y_values: list[Any], numbers: list[int], scale: bool
) -> Any:
    go = plotly_graph_objects()
    return go.Scatter(
        x=_coordinates(x),
        y=y_values,
        mode="markers",
        marker={
            "color": [data.ranks[n] for n in numbers],
            "colorscale": RANK_COLORSCALE,
            "cmin": 0.0,
            "cmax": 1.0,
            "showscale": scale,
            "colorbar": {"title": f"{data.slices.objective_name} (rank)"},
        },
        text=[f"Trial {n}: {data.values[n]}" for n in numbers],
        showlegend=False,
    )


def rank_figure(data: RankData) -> Any:
    go = plotly_graph_objects()
    panels = {p.param: p for p in data.slices.panels}
    names = list(panels)
    if len(names) == 1:
        panel = panels[names[0]]
        figure = go.Figure(_rank_scatter(data, panel, panel.values, panel.numbers, True))
        figure.update_xaxes(title_text=panel.param, **_axis(panel))
        figure.update_yaxes(title_text=data.slices.objective_name)
    elif len(names) == 2:
        figure = go.Figure(_rank_pair(data, panels[names[0]], panels[names[1]], True))
        figure.update_xaxes(title_text=names[0], **_axis(panels[names[0]]))
        figure.update_yaxes(title_text=names[1], **_axis(panels[names[1]]))
    elif not names:
        figure = go.Figure()
    else:
        figure = _pair_grid(names)
        first = True
        for row, y in enumerate(names, start=1):
            for col, x in enumerate(names, start=1):
                if x == y:
                    continue
                figure.add_trace(_rank_pair(data, panels[x], panels[y], first), row=row, col=col)
                first = False
                figure.update_xaxes(**_axis(panels[x]), row=row, col=col)
                figure.update_yaxes(**_axis(panels[y]), row=row, col=col)
    figure.update_layout(title="Rank Plot")
    return figure


def _rank_pair(data: RankData, x: SlicePanel, y: SlicePanel, scale: bool) -> Any:
    y_of = dict(zip(y.numbers, _coordinates(y), strict=True))
    numbers = [n for n in x.numbers if n in y_of]
    x_of = dict(zip(x.numbers, x.x, strict=True))
    restricted = SlicePanel(x.param, x.kind, numbers, [x_of[n] for n in numbers], [], x.labels)
    return _rank_scatter(data, restricted, [y_of[n] for n in numbers], numbers, scale)


def edf_figure(data: EmpiricalDistribution) -> Any:
    go = plotly_graph_objects()
    figure = go.Figure()
    for line in data.lines:
        figure.add_trace(
            go.Scatter(
                x=line.values, y=line.fractions, mode="lines", line_shape="hv", name=line.name
            )
        )
    figure.update_layout(
        title="Empirical Distribution Function Plot",
        xaxis_title=data.objective_name,
        yaxis_title="Cumulative Probability",
        yaxis_range=[0, 1],
    )
    return figure


def _pareto_trace(points: Sequence[ParetoPoint], name: str, color: str, dims: int) -> Any:
    go = plotly_graph_objects()
    axes = {"xyz"[i]: [p.values[i] for p in points] for i in range(dims)}
    text = [f"Trial {p.number}: {p.params}" for p in points]
    if dims == 3:
        return go.Scatter3d(**axes, mode="markers", name=name, marker={"color": color}, text=text)
    return go.Scatter(**axes, mode="markers", name=name, marker={"color": color}, text=text)


def pareto_figure(data: ParetoFront, include_dominated_trials: bool) -> Any:
    go = plotly_graph_objects()
    dims = data.n_objectives
    traces = []
    if include_dominated_trials:
        traces.append(_pareto_trace(data.dominated, "Trial", "#1f77b4", dims))
    traces.append(_pareto_trace(data.front, "Best Trial", "#d62728", dims))
    if data.infeasible:
        traces.append(_pareto_trace(data.infeasible, "Infeasible Trial", "#cccccc", dims))
    figure = go.Figure(traces)
    names = data.objective_names
    if dims == 3:
        figure.update_layout(
            scene={"xaxis_title": names[0], "yaxis_title": names[1], "zaxis_title": names[2]}
        )
    else:
        figure.update_layout(xaxis_title=names[0], yaxis_title=names[1])
    figure.update_layout(title="Pareto-front Plot")
    return figure


def timeline_figure(data: Timeline) -> Any:
    go = plotly_graph_objects()
    by_state: dict[str, list[tuple[str, Any]]] = {}
    for lane in data.lanes:
        for bar in lane.bars:
            by_state.setdefault(bar.state, []).append((lane.worker, bar))
    figure = go.Figure()
    for state, bars in by_state.items():
        figure.add_trace(
            go.Bar(
                name=state,
                x=[bar.seconds * 1000 for _, bar in bars],
                y=[bar.number for _, bar in bars],
                base=[bar.start.isoformat() for _, bar in bars],
                orientation="h",
                marker_color=STATE_COLORS.get(state, "#7f7f7f"),
                hovertext=[f"Trial {bar.number} on worker {worker}" for worker, bar in bars],
            )
        )
    start = data.start or datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    end = data.end or start
    figure.update_layout(
        title="Timeline Plot",
        xaxis={"title": "Datetime", "type": "date", "range": [start.isoformat(), end.isoformat()]},
        yaxis_title="Trial",
        barmode="overlay",
    )
    return figure
