"""The empirical distribution function as SVG: a step line per study."""

from __future__ import annotations

from hpo_queue.visualization._edf import EmpiricalDistribution
from hpo_queue.visualization._svg_canvas import (
    BLUE,
    RED,
    Canvas,
    XYFrame,
    escape,
    format_value,
    num,
    padded,
    plot_title,
    shorten,
)

COLORS = (BLUE, RED, "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def render_edf(edf: EmpiricalDistribution, study_name: str | None = None) -> str:
    """For each study, the share of its COMPLETE trials with a value at most x."""
    canvas = Canvas("edf", plot_title("edf", study_name))
    canvas.attrs["data-lines"] = str(sum(1 for line in edf.lines if line.values))
    if edf.low is None or edf.high is None:
        return canvas.empty("No completed trials yet")
    frame = XYFrame(canvas, padded(edf.low, edf.high, 0.02), (0.0, 1.05))
    frame.draw_axes(shorten(edf.objective_name, 60), "Share of trials \u2264 x")
    entries = []
    for index, line in enumerate(edf.lines):
        if not line.values:
            continue
        color = COLORS[index % len(COLORS)]
        points = [f"{num(frame.x0)},{num(frame.y(0.0))}"]
        previous = 0.0
        for value, fraction in zip(line.values, line.fractions, strict=True):
            x = num(frame.x(value))
            points.append(f"{x},{num(frame.y(previous))}")
            points.append(f"{x},{num(frame.y(fraction))}")
            previous = fraction
        points.append(f"{num(frame.x1)},{num(frame.y(1.0))}")
        canvas.add(
            f'<polyline class="hq-edf" points="{" ".join(points)}" fill="none" stroke="{color}" '
            f'stroke-width="2"><title>{escape(line.name)}: {len(line.values)} trials, median '
            f"{escape(format_value(line.values[len(line.values) // 2]))}</title></polyline>"
        )
        entries.append((shorten(line.name, 30), color, "line"))
    if len(entries) > 1:
        canvas.legend(entries, frame.x1 - 4, 40)
    return canvas.render()
