"""Standalone SVG renderings of the plot data: axes, ticks, labels and legends, no JavaScript.

The dashboard swaps these into its page and ``hpo-queue plot`` writes them to files, so both
show the same pictures. Every piece of user text (study, parameter and choice names) is
XML-escaped; each root ``<svg>`` has class ``hq-plot hq-plot-<kind>``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.importance._correlation_ratio import param_importances
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.visualization._edf import empirical_distribution
from hpo_queue.visualization._history import OptimizationHistory, optimization_history
from hpo_queue.visualization._intermediate import IntermediateCurve, intermediate_curves
from hpo_queue.visualization._parallel_coordinate import ParallelCoordinates, parallel_coordinates
from hpo_queue.visualization._pareto import objective_names, pareto_front_data
from hpo_queue.visualization._slice import slice_data
from hpo_queue.visualization._svg_canvas import (
    BLUE,
    GRID,
    HEIGHT,
    MUTED,
    RED,
    STATE_COLORS,
    TEXT,
    WIDTH,
    Canvas,
    XYFrame,
    blues,
    escape,
    format_value,
    nice_ticks,
    num,
    objective_label,
    padded,
    plot_title,
    shorten,
    text_width,
    tick_label,
)
from hpo_queue.visualization._svg_edf import render_edf
from hpo_queue.visualization._svg_pareto import render_pareto
from hpo_queue.visualization._svg_slice import render_slice
from hpo_queue.visualization._svg_timeline import render_timeline
from hpo_queue.visualization._timeline import trial_timeline

PLOT_KINDS = (
    "history",
    "parallel",
    "importance",
    "intermediate",
    "slice",
    "edf",
    "timeline",
    "pareto",
)
SCALES = ("linear", "log")


def render_history(
    history: OptimizationHistory,
    directions: Sequence[StudyDirection],
    study_name: str | None = None,
    *,
    log: bool = False,
) -> str:
    """Each completed trial's value as a point, and the best value so far as a step line.

    With ``log`` the value axis is log10; values <= 0 have no place on it, so they are left
    out and a note says how many.
    """
    suffix = " (log scale)" if log else ""
    canvas = Canvas("history", plot_title("history", study_name, suffix))
    canvas.attrs["data-scale"] = "log" if log else "linear"
    points = list(zip(history.numbers, history.values, history.best_values, strict=True))
    if log:
        shown = [(n, v, b) for n, v, b in points if v > 0]
        hidden = len(points) - len(shown)
        points = shown
    canvas.attrs["data-points"] = str(len(points))
    if not points:
        if log and history.values:
            canvas.attrs["data-hidden"] = str(hidden)
            return canvas.empty("No value above 0: a log scale cannot show them")
        return canvas.empty("No completed trials yet")

    def coordinate(value: float) -> float:
        return math.log10(value) if log else value

    values = [coordinate(v) for _, v, _ in points]
    numbers = [n for n, _, _ in points]
    x_range = padded(min(numbers), max(numbers), 0.02)
    frame = XYFrame(canvas, x_range, padded(min(values), max(values)), y_log=log)
    frame.draw_axes(
        "Trial number", objective_label(directions, history.objective_index), integer_x=True
    )
    if log and hidden:
        canvas.attrs["data-hidden"] = str(hidden)
        canvas.text(
            frame.x0,
            40,
            f"{hidden} trial{'s' if hidden != 1 else ''} with a value \u2264 0 not shown "
            "(log scale)",
            css_class="hq-note",
        )
    canvas.add('<g class="hq-points">')
    for (number, value, _), y_value in zip(points, values, strict=True):
        canvas.add(
            f'<circle class="hq-point" cx="{num(frame.x(number))}" cy="{num(frame.y(y_value))}" '
            f'r="3.5" fill="{BLUE}" fill-opacity="0.75"><title>Trial {number}: '
            f"{escape(format_value(value))}</title></circle>"
        )
    canvas.add("</g>")
    steps: list[str] = []
    previous: float | None = None
    for number, _, best in points:
        if math.isnan(best) or (log and best <= 0):
            continue
        x, y = frame.x(number), frame.y(coordinate(best))
        if previous is not None:
            steps.append(f"{num(x)},{num(previous)}")
        steps.append(f"{num(x)},{num(y)}")
        previous = y
    if steps:
        steps.append(f"{frame.x1},{num(previous or 0.0)}")
        canvas.add(
            f'<polyline class="hq-best" points="{" ".join(steps)}" fill="none" '
            f'stroke="{RED}" stroke-width="2"/>'
        )
    canvas.legend(
        [("Objective value", BLUE, "point"), ("Best value", RED, "line")], frame.x1 - 4, 40
    )
    return canvas.render()


def render_intermediate(curves: Sequence[IntermediateCurve], study_name: str | None = None) -> str:
    """Each trial's intermediate values against the step, colored by the trial's state."""
    canvas = Canvas("intermediate", plot_title("intermediate", study_name))
    canvas.attrs["data-curves"] = str(len(curves))
    if not curves:
        return canvas.empty("No trial has reported intermediate values yet")
    steps = [s for c in curves for s in c.steps]
    values = [v for c in curves for v in c.values]
    frame = XYFrame(canvas, padded(min(steps), max(steps), 0.02), padded(min(values), max(values)))
    frame.draw_axes("Step", "Intermediate value", integer_x=True)
    canvas.add('<g class="hq-curves">')
    # Unfinished and complete trials on top of pruned ones.
    order = {"PRUNED": 0, "FAIL": 1, "COMPLETE": 2, "RUNNING": 3, "WAITING": 3}
    for curve in sorted(curves, key=lambda c: (order.get(c.state, 0), c.number)):
        color = STATE_COLORS.get(curve.state, MUTED)
        tooltip = f"<title>Trial {curve.number} ({escape(curve.state)})</title>"
        points = " ".join(
            f"{num(frame.x(s))},{num(frame.y(v))}"
            for s, v in zip(curve.steps, curve.values, strict=True)
        )
        if len(curve.steps) > 1:
            canvas.add(
                f'<polyline class="hq-curve" points="{points}" fill="none" stroke="{color}" '
                f'stroke-width="1.5" stroke-opacity="0.7">{tooltip}</polyline>'
            )
        x, y = frame.x(curve.steps[-1]), frame.y(curve.values[-1])
        canvas.add(
            f'<circle class="hq-point" cx="{num(x)}" cy="{num(y)}" r="2.5" fill="{color}">'
            f"{tooltip}</circle>"
        )
    canvas.add("</g>")
    present = [s for s in STATE_COLORS if any(c.state == s for c in curves)]
    canvas.legend([(s.capitalize(), STATE_COLORS[s], "line") for s in present], frame.x1 - 4, 40)
    return canvas.render()


def _axis_ticks(
    kind: str, low: float, high: float, labels: Sequence[str]
) -> list[tuple[float, str]]:
    """(position in [0, 1], label) pairs for one parallel-coordinates axis."""
    span = high - low

    def where(value: float) -> float:
        return 0.5 if span <= 0 else (value - low) / span

    if kind == "categorical":
        every = max(1, math.ceil(len(labels) / 12))
        return [(where(i), label) for i, label in enumerate(labels) if i % every == 0]
    if kind == "log":
        powers = range(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1)
        ticks = [(where(p), format_value(10.0**p)) for p in powers]
        if len(ticks) >= 2:
            return ticks
        return [(where(low), format_value(10**low)), (where(high), format_value(10**high))]
    values = [t for t in nice_ticks(low, high, 5) if low <= t <= high]
    if len(values) < 2:
        return [(where(low), format_value(low)), (where(high), format_value(high))]
    return [(where(t), tick_label(t, values)) for t in values]


# Parallel coordinates: room per axis, and how axis names are slanted when they do not fit.
MIN_AXIS_SPACING = 72
AXIS_NAME_ANGLE = 35
AXIS_NAME_LIMIT = 32


def render_parallel(data: ParallelCoordinates, study_name: str | None = None) -> str:
    """One polyline per trial across the objective and parameter axes; darker is better."""
    n_axes = len(data.axes)
    names = [
        shorten(axis.name, AXIS_NAME_LIMIT) + (" (log)" if axis.kind == "log" else "")
        for axis in data.axes
    ]
    # The right margin holds the last axis' tick labels and the color bar.
    left, right, top = 50, 180, 52
    # Many axes: widen the plot rather than let tick labels run into the next axis.
    width = max(WIDTH, left + right + MIN_AXIS_SPACING * (n_axes - 1))
    spacing = (width - left - right) / max(n_axes - 1, 1)
    widest = max((text_width(name, 11) for name in names), default=0.0)
    # Names that do not fit side by side are slanted: parallel baselines spacing*sin(angle)
    # apart, far more than a line's height, so neighbours cannot touch.
    slanted = n_axes > 1 and widest > spacing - 8
    angle = math.radians(AXIS_NAME_ANGLE)
    bottom = 58
    if slanted:
        bottom = 26 + math.ceil(widest * math.sin(angle) + 11 * math.cos(angle))
        right = max(right, math.ceil(widest * math.cos(angle)) + 16)
        width = max(WIDTH, left + right + MIN_AXIS_SPACING * (n_axes - 1))
        spacing = (width - left - right) / max(n_axes - 1, 1)
    canvas = Canvas(
        "parallel", plot_title("parallel", study_name), width=width, height=HEIGHT - 58 + bottom
    )
    canvas.attrs["data-lines"] = str(len(data.values))
    if not data.values:
        return canvas.empty("No completed trials yet")
    y0, y1 = canvas.height - bottom, top
    xs = [left + spacing * j if n_axes > 1 else canvas.width / 2 for j in range(n_axes)]
    tick_limit = max(4, min(12, int((spacing - 10) / text_width("0", 10)))) if n_axes > 1 else 12

    def y_at(position: float) -> float:
        return y0 - position * (y0 - y1)

    low, high = min(data.values), max(data.values)

    def goodness(value: float) -> float:
        if high == low:
            return 1.0
        scaled = (value - low) / (high - low)
        return 1.0 - scaled if data.direction == StudyDirection.MINIMIZE else scaled

    canvas.add('<g class="hq-lines">')
    ranked = sorted(range(len(data.values)), key=lambda i: goodness(data.values[i]))
    for i in ranked:
        color = blues(goodness(data.values[i]))
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for j, position in enumerate(data.positions[i]):
            if position is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{num(xs[j])},{num(y_at(position))}")
        tooltip = f"<title>Trial {data.numbers[i]}: {escape(format_value(data.values[i]))}</title>"
        for points in segments:
            if len(points) > 1:
                canvas.add(
                    f'<polyline class="hq-line" points="{" ".join(points)}" fill="none" '
                    f'stroke="{color}" stroke-width="1.4" stroke-opacity="0.8">{tooltip}'
                    "</polyline>"
                )
    canvas.add("</g>")
    canvas.add('<g class="hq-axes">')
    for x, axis, name in zip(xs, data.axes, names, strict=True):
        canvas.add(
            f'<line x1="{num(x)}" y1="{y0}" x2="{num(x)}" y2="{y1}" stroke="{MUTED}" '
            'stroke-width="1.2"/>'
        )
        for position, label in _axis_ticks(axis.kind, axis.low, axis.high, axis.labels):
            y = y_at(position)
            canvas.add(
                f'<line x1="{num(x - 3)}" y1="{num(y)}" x2="{num(x + 3)}" y2="{num(y)}" '
                f'stroke="{MUTED}"/>'
            )
            canvas.add(
                f'<text class="hq-tick" x="{num(x + 5)}" y="{num(y + 3.5)}" font-size="10" '
                f'fill="{TEXT}" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                f"<title>{escape(label)}</title>{escape(shorten(label, tick_limit))}</text>"
            )
        if slanted:
            name_x, name_y = x - 3, y0 + 14
            canvas.add(
                f'<text class="hq-axis-name" x="{num(name_x)}" y="{num(name_y)}" font-size="11" '
                f'fill="{TEXT}" text-anchor="start" '
                f'transform="rotate({AXIS_NAME_ANGLE} {num(name_x)} {num(name_y)})">'
                f"<title>{escape(axis.name)}</title>{escape(name)}</text>"
            )
        else:
            canvas.text(
                x,
                y0 + 20,
                name,
                anchor="middle",
                size=11,
                color=TEXT,
                tooltip=axis.name,
                css_class="hq-axis-name",
            )
    canvas.add("</g>")
    # A color bar made of bands: no gradient ids that could clash in a page of several SVGs.
    bands = 24
    bar_x = canvas.width - 140.0
    if n_axes > 1:
        bar_x = xs[-1] + 15 + text_width("0" * tick_limit, 10)
    band_height = (y0 - y1) / bands
    canvas.add('<g class="hq-colorbar">')
    for k in range(bands):
        # Top of the bar is the highest objective value, as on the objective axis.
        color = blues(goodness(high - (high - low) * k / (bands - 1)))
        canvas.add(
            f'<rect x="{num(bar_x)}" y="{num(y1 + k * band_height)}" width="14" '
            f'height="{num(band_height + 0.5)}" fill="{color}"/>'
        )
    canvas.add("</g>")
    canvas.text(bar_x + 18, y1 + 8, format_value(high), size=10)
    canvas.text(bar_x + 18, y0, format_value(low), size=10)
    canvas.text(bar_x + 7, y1 - 8, "objective", anchor="middle", size=10)
    return canvas.render()


def render_importance(importances: dict[str, float], study_name: str | None = None) -> str:
    """A horizontal bar per parameter: its share of the objective's variance."""
    row = 24
    n = len(importances)
    height = max(HEIGHT, 96 + row * n)
    canvas = Canvas("importance", plot_title("importance", study_name), height=height)
    canvas.attrs["data-bars"] = str(n)
    if not importances:
        return canvas.empty("Needs at least two completed trials with parameters")
    canvas.text(
        16,
        42,
        "Share of the objective's variance explained by each parameter "
        "(binned fANOVA main effects)",
        size=11,
    )
    longest = max(len(shorten(name, 28)) for name in importances)
    left = min(16 + 7 * longest, 260)
    frame = XYFrame(canvas, (0.0, 1.0), (0.0, float(n)), left=left, right=60, top=56, bottom=44)
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    canvas.add('<g class="hq-axes">')
    for tick in ticks:
        x = frame.x(tick)
        canvas.add(
            f'<line x1="{num(x)}" y1="{frame.y0}" x2="{num(x)}" y2="{frame.y1}" stroke="{GRID}"/>'
        )
        canvas.text(x, frame.y0 + 16, tick_label(tick, ticks), anchor="middle")
    canvas.add(
        f'<line x1="{frame.x0}" y1="{frame.y0}" x2="{frame.x0}" y2="{frame.y1}" stroke="{MUTED}"/>'
    )
    canvas.text(
        (frame.x0 + frame.x1) / 2, canvas.height - 10, "Importance", anchor="middle", size=12
    )
    canvas.add("</g>")
    canvas.add('<g class="hq-bars">')
    band = (frame.y0 - frame.y1) / n
    bar = min(band * 0.7, 22)
    for i, (name, share) in enumerate(importances.items()):
        center = frame.y1 + band * (i + 0.5)
        width = frame.x(share) - frame.x0
        canvas.add(
            f'<rect class="hq-bar" x="{frame.x0}" y="{num(center - bar / 2)}" '
            f'width="{num(max(width, 0.0))}" height="{num(bar)}" fill="{BLUE}">'
            f"<title>{escape(name)}: {share:.3f}</title></rect>"
        )
        canvas.text(
            frame.x0 - 8, center + 4, shorten(name, 28), anchor="end", color=TEXT, tooltip=name
        )
        canvas.text(frame.x0 + width + 6, center + 4, f"{share:.2f}", color=TEXT)
    canvas.add("</g>")
    return canvas.render()


def plot_kinds_for(n_objectives: int) -> tuple[str, ...]:
    """The kinds worth drawing for a study: the Pareto front replaces the history of one
    objective when there are several."""
    if n_objectives > 1:
        return tuple("pareto" if kind == "history" else kind for kind in PLOT_KINDS)
    return tuple(kind for kind in PLOT_KINDS if kind != "pareto")


def render_plot(
    kind: str,
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    *,
    objective_index: int = 0,
    study_name: str | None = None,
    scale: str = "linear",
    now: datetime.datetime | None = None,
    metric_names: Sequence[str] | None = None,
) -> str:
    """The SVG of plot ``kind`` (one of :data:`PLOT_KINDS`) for these trials.

    Args:
        scale: "linear" or "log", the history's value axis (other kinds take "linear").
        now: the timeline's "now" (naive UTC, the store's clock; default: this machine's).
        metric_names: the objectives' names, for the Pareto front's, slice's and EDF's axes.

    Raises:
        InvalidInputError: an unknown kind or scale, a log scale for a plot other than the
            history, or an objective index the study does not have (a ValueError too).
    """
    if not 0 <= objective_index < len(directions):
        raise InvalidInputError(
            f"objective index {objective_index} is out of range: the study has "
            f"{len(directions)} objective(s)."
        )
    if scale not in SCALES:
        raise InvalidInputError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}.")
    if scale != "linear" and kind != "history":
        raise InvalidInputError(f"scale={scale} applies to the history plot, not to {kind!r}.")
    name = objective_names(len(directions), metric_names)[objective_index]
    if kind == "history":
        history = optimization_history(trials, directions, objective_index)
        return render_history(history, directions, study_name, log=scale == "log")
    if kind == "parallel":
        return render_parallel(
            parallel_coordinates(trials, directions, objective_index), study_name
        )
    if kind == "importance":
        return render_importance(param_importances(trials, objective_index), study_name)
    if kind == "intermediate":
        return render_intermediate(intermediate_curves(trials), study_name)
    if kind == "slice":
        data = slice_data(trials, directions, objective_index, target_name=name)
        return render_slice(data, study_name)
    if kind == "edf":
        edf = empirical_distribution(
            {study_name or "study": trials}, objective_index, target_name=name
        )
        return render_edf(edf, study_name)
    if kind == "timeline":
        return render_timeline(trial_timeline(trials, now), study_name)
    if kind == "pareto":
        return render_pareto(pareto_front_data(trials, directions, metric_names), study_name)
    raise InvalidInputError(f"unknown plot kind {kind!r}; use one of {', '.join(PLOT_KINDS)}.")
