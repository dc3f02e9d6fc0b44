"""The slice plot as SVG: a panel per parameter, the objective against the parameter's value."""

from __future__ import annotations

import math

from hpo_queue.visualization._slice import SliceData, SlicePanel
from hpo_queue.visualization._svg_canvas import (
    WIDTH,
    Canvas,
    XYFrame,
    blues,
    escape,
    format_value,
    num,
    padded,
    plot_title,
    shorten,
)

COLUMNS = 3
PANEL_HEIGHT = 230
# Parameters beyond this many would make the plot endless; the first (by name) are kept.
MAX_PANELS = 30
# More points than this per panel only add weight (and render time): the latest are kept.
MAX_POINTS = 1000


def _x_axis(
    panel: SlicePanel,
) -> tuple[list[float], tuple[float, float], list[tuple[float, str]] | None]:
    """Each point's x coordinate, the x range and, for categories, the x ticks."""
    if panel.kind == "categorical":
        count = max(len(panel.labels), 1)
        every = max(1, math.ceil(count / 6))
        ticks = [
            (float(i), shorten(label, 10)) for i, label in enumerate(panel.labels) if i % every == 0
        ]
        return list(panel.x), (-0.5, count - 0.5), ticks
    if panel.kind == "log":
        xs = [math.log10(x) if x > 0 else math.nan for x in panel.x]
    else:
        xs = list(panel.x)
    finite = [x for x in xs if math.isfinite(x)] or [0.0]
    return xs, padded(min(finite), max(finite), 0.04), None


def render_slice(data: SliceData, study_name: str | None = None) -> str:
    """One panel per parameter: each COMPLETE trial's value at its parameter value.

    Darker points are later trials; log parameters get a log x axis, categorical ones a
    tick per choice.
    """
    panels = data.panels[:MAX_PANELS]
    columns = min(COLUMNS, max(len(panels), 1))
    rows = max(1, -(-len(panels) // columns))
    height = 60 + PANEL_HEIGHT * rows
    canvas = Canvas("slice", plot_title("slice", study_name), height=height)
    canvas.attrs["data-panels"] = str(len(panels))
    numbers = sorted({n for panel in panels for n in panel.numbers})
    if not panels or not numbers:
        return canvas.empty("No completed trials with parameters yet")
    notes = []
    if len(panels) < len(data.panels):
        notes.append(f"{len(panels)} of {len(data.panels)} parameters shown")
    if len(numbers) > MAX_POINTS:
        notes.append(f"the latest {MAX_POINTS} of {len(numbers)} trials")
        numbers = numbers[-MAX_POINTS:]
    if notes:
        canvas.text(16, 42, "; ".join(notes), size=10, css_class="hq-note")
    rank = {number: i for i, number in enumerate(numbers)}
    values = [v for panel in panels for v in panel.values]
    y_range = padded(min(values), max(values))
    panel_width = (WIDTH - 16) / columns
    for index, panel in enumerate(panels):
        column, row = index % columns, index // columns
        left = 16 + column * panel_width + 66
        top = 56 + row * PANEL_HEIGHT + 8
        box = (left, top, left + panel_width - 66 - 14, top + PANEL_HEIGHT - 8 - 50)
        xs, x_range, ticks = _x_axis(panel)
        frame = XYFrame.in_box(canvas, x_range, y_range, box, x_log=panel.kind == "log")
        y_label = shorten(data.objective_name, 24) if column == 0 else ""
        frame.draw_axes(shorten(panel.param, 30), y_label, x_ticks=ticks)
        canvas.add(f'<g class="hq-slice-points"><title>{escape(panel.param)}</title>')
        for number, x, value, raw in zip(panel.numbers, xs, panel.values, panel.x, strict=True):
            if not math.isfinite(x) or number not in rank:
                continue
            shown = panel.labels[int(raw)] if panel.kind == "categorical" else format_value(raw)
            color = blues(0.15 + 0.85 * rank[number] / max(len(numbers) - 1, 1))
            canvas.add(
                f'<circle class="hq-point" cx="{num(frame.x(x))}" cy="{num(frame.y(value))}" '
                f'r="3" fill="{color}" fill-opacity="0.8"><title>Trial {number}: '
                f"{escape(panel.param)}={escape(shown)}, {escape(format_value(value))}</title>"
                "</circle>"
            )
        canvas.add("</g>")
    return canvas.render()
