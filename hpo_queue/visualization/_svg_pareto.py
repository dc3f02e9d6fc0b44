"""The Pareto front as SVG: a scatter of two objectives, or a panel per pair of three or more."""

from __future__ import annotations

from itertools import combinations

from hpo_queue.visualization._pareto import ParetoFront, ParetoPoint
from hpo_queue.visualization._svg_canvas import (
    BLUE,
    WIDTH,
    Canvas,
    XYFrame,
    escape,
    format_value,
    num,
    padded,
    plot_title,
    shorten,
)

DOMINATED = "#9aa5b1"
INFEASIBLE = "#e4a3a3"
# More pairs than this make panels too small to read: the first objectives' pairs are kept.
MAX_PAIRS = 6


def _axis_name(front: ParetoFront, index: int) -> str:
    name = shorten(front.objective_names[index], 40)
    return f"{name} ({front.directions[index].name.lower()})"


def _points(canvas: Canvas, frame: XYFrame, front: ParetoFront, i: int, j: int) -> None:
    groups: list[tuple[str, str, list[ParetoPoint], float]] = [
        ("hq-infeasible", INFEASIBLE, front.infeasible, 3.0),
        ("hq-dominated", DOMINATED, front.dominated, 3.0),
        ("hq-front", BLUE, front.front, 4.5),
    ]
    for css, color, points, radius in groups:
        canvas.add(f'<g class="{css}">')
        for point in points:
            values = ", ".join(format_value(v) for v in point.values)
            canvas.add(
                f'<circle class="hq-point {css}-point" cx="{num(frame.x(point.values[i]))}" '
                f'cy="{num(frame.y(point.values[j]))}" r="{radius}" fill="{color}" '
                f'fill-opacity="0.85"><title>Trial {point.number}: {escape(values)}</title>'
                "</circle>"
            )
        canvas.add("</g>")


def _ranges(front: ParetoFront) -> list[tuple[float, float]]:
    every = front.front + front.dominated + front.infeasible
    return [
        padded(min(p.values[k] for p in every), max(p.values[k] for p in every))
        for k in range(front.n_objectives)
    ]


def render_pareto(front: ParetoFront, study_name: str | None = None) -> str:
    """Front trials in blue over the dominated (grey) and infeasible (pink) ones.

    Two objectives: one scatter. Three or more: one panel per pair of objectives (the first
    ``MAX_PAIRS`` pairs, with a note when some are left out).
    """
    n = front.n_objectives
    pairs = list(combinations(range(n), 2))
    shown = pairs[:MAX_PAIRS]
    columns = 1 if len(shown) <= 1 else 2 if len(shown) <= 4 else 3
    rows = max(1, -(-len(shown) // columns))
    panel_height = 400 if len(shown) <= 1 else 280
    height = 64 + panel_height * rows
    width = WIDTH if columns <= 2 else 960
    canvas = Canvas("pareto", plot_title("pareto", study_name), width=width, height=height)
    canvas.attrs["data-front"] = str(len(front.front))
    canvas.attrs["data-dominated"] = str(len(front.dominated))
    canvas.attrs["data-infeasible"] = str(len(front.infeasible))
    if n < 2:
        return canvas.empty("A Pareto front needs two or more objectives")
    if not (front.front or front.dominated or front.infeasible):
        return canvas.empty("No completed trials yet")
    canvas.text(
        16,
        42,
        f"{len(front.front)} trials on the front, {len(front.dominated)} dominated"
        + (f", {len(front.infeasible)} infeasible" if front.infeasible else "")
        + (
            f"; {len(shown)} of {len(pairs)} pairs of objectives shown"
            if len(shown) < len(pairs)
            else ""
        ),
        css_class="hq-note",
    )
    ranges = _ranges(front)
    panel_width = (width - 16) / columns
    for index, (i, j) in enumerate(shown):
        column, row = index % columns, index // columns
        left = 16 + column * panel_width + 74
        top = 60 + row * panel_height + 10
        box = (left, top, left + panel_width - 74 - 20, top + panel_height - 10 - 52)
        frame = XYFrame.in_box(canvas, ranges[i], ranges[j], box)
        frame.draw_axes(_axis_name(front, i), _axis_name(front, j))
        _points(canvas, frame, front, i, j)
    if len(shown) == 1:
        entries = [("Pareto front", BLUE, "point"), ("Dominated", DOMINATED, "point")]
        if front.infeasible:
            entries.append(("Infeasible", INFEASIBLE, "point"))
        canvas.legend(entries, width - 28, 56)
    return canvas.render()
