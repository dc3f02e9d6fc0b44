"""Standalone SVG renderings of the plot data: axes, ticks, labels and legends, no JavaScript.

The dashboard swaps these into its page and ``hpo-queue plot`` writes them to files, so both
show the same pictures. Every piece of user text (study, parameter and choice names) is
XML-escaped; each root ``<svg>`` has class ``hq-plot hq-plot-<kind>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.importance._correlation_ratio import param_importances
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.visualization._history import OptimizationHistory, optimization_history
from hpo_queue.visualization._intermediate import IntermediateCurve, intermediate_curves
from hpo_queue.visualization._parallel_coordinate import ParallelCoordinates, parallel_coordinates

PLOT_KINDS = ("history", "parallel", "importance", "intermediate")
WIDTH = 720
HEIGHT = 400
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"
TEXT = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
BLUE = "#1f77b4"
RED = "#d62728"
STATE_COLORS = {
    "COMPLETE": BLUE,
    "PRUNED": "#ff7f0e",
    "RUNNING": "#2ca02c",
    "FAIL": RED,
    "WAITING": "#9aa5b1",
}
_TITLES = {
    "history": "Optimization history",
    "parallel": "Parallel coordinates",
    "importance": "Parameter importance",
    "intermediate": "Intermediate values",
}
# Characters XML 1.0 forbids even when escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: object) -> str:
    """``text`` made safe for SVG/XML element content and attribute values."""
    cleaned = _INVALID_XML.sub("\ufffd", str(text))
    return (
        cleaned.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "\u2026"


def _num(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.1f}"


def format_value(value: float) -> str:
    """A data value for labels and tooltips: up to 6 significant digits."""
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or abs(value) < 1e-4:
        return f"{value:.4g}"
    return f"{value:.6g}"


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high < low:
        low, high = high, low
    if high == low:
        return [low]
    raw_step = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    first = math.ceil(low / step - 1e-9)
    ticks = []
    index = first
    while index * step <= high + step * 1e-9:
        ticks.append(round(index * step, 12))
        index += 1
    return ticks


def _tick_label(value: float, ticks: Sequence[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    biggest = max(abs(t) for t in ticks)
    if abs(value) < step * 1e-9:
        return "0"
    if biggest >= 1e6 or (biggest and step < 1e-4):
        return f"{value:.3g}"
    # As many decimals as the step needs: 2.5 needs one, 0.25 two, 0.2 one, 5 none.
    decimals = next(d for d in range(13) if abs(round(step, d) - step) <= step * 1e-6)
    text = f"{value:.{decimals}f}"
    return "0" if text.strip("-0.") == "" else text


def _padded(low: float, high: float, fraction: float = 0.05) -> tuple[float, float]:
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * fraction
    return low - pad, high + pad


class _Canvas:
    """An SVG document being built: a header, a title, then elements."""

    def __init__(self, kind: str, title: str, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.kind = kind
        self.width = width
        self.height = height
        self.title = title
        self.attrs: dict[str, str] = {}
        self.parts: list[str] = [
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
            f'<text x="16" y="24" font-size="15" font-weight="600" fill="{TEXT}">'
            f"{escape(title)}</text>",
        ]

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        anchor: str = "start",
        size: int = 11,
        color: str = MUTED,
        rotate: bool = False,
        tooltip: str | None = None,
        css_class: str | None = None,
    ) -> None:
        extra = f' transform="rotate(-90 {_num(x)} {_num(y)})"' if rotate else ""
        if css_class:
            extra += f' class="{css_class}"'
        inner = escape(text)
        if tooltip is not None:
            inner = f"<title>{escape(tooltip)}</title>{inner}"
        self.add(
            f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{color}" '
            f'text-anchor="{anchor}"{extra}>{inner}</text>'
        )

    def legend(self, entries: Sequence[tuple[str, str, str]], right: float, top: float) -> None:
        """Entries (label, color, "point" | "line" | "box") stacked at the top right."""
        if not entries:
            return
        width = 22 + 7 * max(len(label) for label, _, _ in entries)
        x = right - width
        height = 8 + 16 * len(entries)
        self.add(
            f'<g class="hq-legend"><rect x="{_num(x - 6)}" y="{_num(top - 4)}" '
            f'width="{width + 6}" height="{height}" fill="#ffffff" fill-opacity="0.85" '
            f'stroke="{GRID}"/>'
        )
        for i, (label, color, shape) in enumerate(entries):
            y = top + 8 + 16 * i
            if shape == "point":
                self.add(f'<circle cx="{_num(x + 6)}" cy="{_num(y)}" r="4" fill="{color}"/>')
            elif shape == "line":
                self.add(
                    f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 14)}" y2="{_num(y)}" '
                    f'stroke="{color}" stroke-width="2.5"/>'
                )
            else:
                self.add(
                    f'<rect x="{_num(x)}" y="{_num(y - 5)}" width="12" height="10" fill="{color}"/>'
                )
            self.text(x + 20, y + 4, label, color=TEXT)
        self.add("</g>")

    def empty(self, message: str) -> str:
        self.text(
            self.width / 2,
            self.height / 2,
            message,
            anchor="middle",
            size=14,
            css_class="hq-empty",
        )
        self.attrs["data-empty"] = "true"
        return self.render()

    def render(self) -> str:
        attrs = "".join(f' {key}="{escape(value)}"' for key, value in self.attrs.items())
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="hq-plot hq-plot-{self.kind}" '
            f'width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" font-family="{escape(FONT)}" '
            f'role="img" aria-label="{escape(self.title)}"{attrs}>'
            f"<title>{escape(self.title)}</title>" + "".join(self.parts) + "</svg>\n"
        )


class _XYFrame:
    """Linear x and y scales over a plot area with grid lines, ticks and axis labels."""

    def __init__(
        self,
        canvas: _Canvas,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        *,
        left: int = 76,
        right: int = 24,
        top: int = 44,
        bottom: int = 52,
    ) -> None:
        self.canvas = canvas
        self.x0, self.x1 = left, canvas.width - right
        self.y0, self.y1 = canvas.height - bottom, top
        self.x_low, self.x_high = x_range
        self.y_low, self.y_high = y_range

    def x(self, value: float) -> float:
        span = self.x_high - self.x_low or 1.0
        return self.x0 + (value - self.x_low) / span * (self.x1 - self.x0)

    def y(self, value: float) -> float:
        span = self.y_high - self.y_low or 1.0
        return self.y0 - (value - self.y_low) / span * (self.y0 - self.y1)

    def draw_axes(self, x_label: str, y_label: str, *, integer_x: bool = False) -> None:
        canvas = self.canvas
        y_ticks = [t for t in nice_ticks(self.y_low, self.y_high) if self.y_low <= t <= self.y_high]
        x_ticks = [t for t in nice_ticks(self.x_low, self.x_high) if self.x_low <= t <= self.x_high]
        if integer_x:
            x_ticks = [t for t in x_ticks if float(t).is_integer()]
        canvas.add('<g class="hq-axes">')
        for tick in y_ticks:
            y = self.y(tick)
            canvas.add(
                f'<line x1="{self.x0}" y1="{_num(y)}" x2="{self.x1}" y2="{_num(y)}" '
                f'stroke="{GRID}"/>'
            )
            canvas.text(self.x0 - 6, y + 4, _tick_label(tick, y_ticks), anchor="end")
        for tick in x_ticks:
            x = self.x(tick)
            canvas.add(
                f'<line x1="{_num(x)}" y1="{self.y0}" x2="{_num(x)}" y2="{self.y0 + 5}" '
                f'stroke="{MUTED}"/>'
            )
            label = str(int(tick)) if integer_x else _tick_label(tick, x_ticks)
            canvas.text(x, self.y0 + 18, label, anchor="middle")
        canvas.add(
            f'<line x1="{self.x0}" y1="{self.y0}" x2="{self.x1}" y2="{self.y0}" stroke="{MUTED}"/>'
            f'<line x1="{self.x0}" y1="{self.y0}" x2="{self.x0}" y2="{self.y1}" stroke="{MUTED}"/>'
        )
        canvas.text((self.x0 + self.x1) / 2, canvas.height - 12, x_label, anchor="middle", size=12)
        canvas.text(16, (self.y0 + self.y1) / 2, y_label, anchor="middle", size=12, rotate=True)
        canvas.add("</g>")


def _title(kind: str, study_name: str | None, suffix: str = "") -> str:
    title = _TITLES[kind] + suffix
    return f"{title} \u2014 {study_name}" if study_name else title


def _objective_label(directions: Sequence[StudyDirection], objective_index: int) -> str:
    name = "Objective value" if len(directions) == 1 else f"Objective {objective_index}"
    return f"{name} ({directions[objective_index].name.lower()})"


def render_history(
    history: OptimizationHistory,
    directions: Sequence[StudyDirection],
    study_name: str | None = None,
) -> str:
    """Each completed trial's value as a point, and the best value so far as a step line."""
    canvas = _Canvas("history", _title("history", study_name))
    canvas.attrs["data-points"] = str(len(history.values))
    if not history.values:
        return canvas.empty("No completed trials yet")
    x_range = _padded(min(history.numbers), max(history.numbers), 0.02)
    y_range = _padded(min(history.values), max(history.values))
    frame = _XYFrame(canvas, x_range, y_range)
    frame.draw_axes(
        "Trial number", _objective_label(directions, history.objective_index), integer_x=True
    )
    canvas.add('<g class="hq-points">')
    for number, value in zip(history.numbers, history.values, strict=True):
        canvas.add(
            f'<circle class="hq-point" cx="{_num(frame.x(number))}" cy="{_num(frame.y(value))}" '
            f'r="3.5" fill="{BLUE}" fill-opacity="0.75"><title>Trial {number}: '
            f"{escape(format_value(value))}</title></circle>"
        )
    canvas.add("</g>")
    steps: list[str] = []
    previous: float | None = None
    for number, best in zip(history.numbers, history.best_values, strict=True):
        if math.isnan(best):
            continue
        x, y = frame.x(number), frame.y(best)
        if previous is not None:
            steps.append(f"{_num(x)},{_num(previous)}")
        steps.append(f"{_num(x)},{_num(y)}")
        previous = y
    if steps:
        steps.append(f"{frame.x1},{_num(previous or 0.0)}")
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
    canvas = _Canvas("intermediate", _title("intermediate", study_name))
    canvas.attrs["data-curves"] = str(len(curves))
    if not curves:
        return canvas.empty("No trial has reported intermediate values yet")
    steps = [s for c in curves for s in c.steps]
    values = [v for c in curves for v in c.values]
    frame = _XYFrame(
        canvas, _padded(min(steps), max(steps), 0.02), _padded(min(values), max(values))
    )
    frame.draw_axes("Step", "Intermediate value", integer_x=True)
    canvas.add('<g class="hq-curves">')
    # Unfinished and complete trials on top of pruned ones.
    order = {"PRUNED": 0, "FAIL": 1, "COMPLETE": 2, "RUNNING": 3, "WAITING": 3}
    for curve in sorted(curves, key=lambda c: (order.get(c.state, 0), c.number)):
        color = STATE_COLORS.get(curve.state, MUTED)
        tooltip = f"<title>Trial {curve.number} ({escape(curve.state)})</title>"
        points = " ".join(
            f"{_num(frame.x(s))},{_num(frame.y(v))}"
            for s, v in zip(curve.steps, curve.values, strict=True)
        )
        if len(curve.steps) > 1:
            canvas.add(
                f'<polyline class="hq-curve" points="{points}" fill="none" stroke="{color}" '
                f'stroke-width="1.5" stroke-opacity="0.7">{tooltip}</polyline>'
            )
        x, y = frame.x(curve.steps[-1]), frame.y(curve.values[-1])
        canvas.add(
            f'<circle class="hq-point" cx="{_num(x)}" cy="{_num(y)}" r="2.5" fill="{color}">'
            f"{tooltip}</circle>"
        )
    canvas.add("</g>")
    present = [s for s in STATE_COLORS if any(c.state == s for c in curves)]
    canvas.legend([(s.capitalize(), STATE_COLORS[s], "line") for s in present], frame.x1 - 4, 40)
    return canvas.render()


def _blues(goodness: float) -> str:
    """Light blue (0, worst) to dark blue (1, best)."""
    light, dark = (198, 219, 239), (8, 48, 107)
    g = min(max(goodness, 0.0), 1.0)
    r, gr, b = (round(lo + (hi - lo) * g) for lo, hi in zip(light, dark, strict=True))
    return f"#{r:02x}{gr:02x}{b:02x}"


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
    return [(where(t), _tick_label(t, values)) for t in values]


def render_parallel(data: ParallelCoordinates, study_name: str | None = None) -> str:
    """One polyline per trial across the objective and parameter axes; darker is better."""
    canvas = _Canvas("parallel", _title("parallel", study_name))
    canvas.attrs["data-lines"] = str(len(data.values))
    if not data.values:
        return canvas.empty("No completed trials yet")
    left, right, top, bottom = 50, 120, 52, 58
    y0, y1 = canvas.height - bottom, top
    n_axes = len(data.axes)
    spacing = (canvas.width - left - right) / max(n_axes - 1, 1)
    xs = [left + spacing * j if n_axes > 1 else canvas.width / 2 for j in range(n_axes)]

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
        color = _blues(goodness(data.values[i]))
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for j, position in enumerate(data.positions[i]):
            if position is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{_num(xs[j])},{_num(y_at(position))}")
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
    name_limit = max(6, int(spacing / 7)) if n_axes > 1 else 40
    for x, axis in zip(xs, data.axes, strict=True):
        canvas.add(
            f'<line x1="{_num(x)}" y1="{y0}" x2="{_num(x)}" y2="{y1}" stroke="{MUTED}" '
            'stroke-width="1.2"/>'
        )
        for position, label in _axis_ticks(axis.kind, axis.low, axis.high, axis.labels):
            y = y_at(position)
            canvas.add(
                f'<line x1="{_num(x - 3)}" y1="{_num(y)}" x2="{_num(x + 3)}" y2="{_num(y)}" '
                f'stroke="{MUTED}"/>'
            )
            canvas.add(
                f'<text x="{_num(x + 5)}" y="{_num(y + 3.5)}" font-size="10" fill="{TEXT}" '
                f'stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                f"{escape(_shorten(label, 12))}</text>"
            )
        suffix = " (log)" if axis.kind == "log" else ""
        canvas.text(
            x,
            y0 + 20,
            _shorten(axis.name, name_limit) + suffix,
            anchor="middle",
            size=11,
            color=TEXT,
            tooltip=axis.name,
        )
    canvas.add("</g>")
    # A color bar made of bands: no gradient ids that could clash in a page of several SVGs.
    bar_x, bands = canvas.width - right + 40, 24
    band_height = (y0 - y1) / bands
    canvas.add('<g class="hq-colorbar">')
    for k in range(bands):
        # Top of the bar is the highest objective value, as on the objective axis.
        color = _blues(goodness(high - (high - low) * k / (bands - 1)))
        canvas.add(
            f'<rect x="{bar_x}" y="{_num(y1 + k * band_height)}" width="14" '
            f'height="{_num(band_height + 0.5)}" fill="{color}"/>'
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
    canvas = _Canvas("importance", _title("importance", study_name), height=height)
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
    longest = max(len(_shorten(name, 28)) for name in importances)
    left = min(16 + 7 * longest, 260)
    frame = _XYFrame(canvas, (0.0, 1.0), (0.0, float(n)), left=left, right=60, top=56, bottom=44)
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    canvas.add('<g class="hq-axes">')
    for tick in ticks:
        x = frame.x(tick)
        canvas.add(
            f'<line x1="{_num(x)}" y1="{frame.y0}" x2="{_num(x)}" y2="{frame.y1}" stroke="{GRID}"/>'
        )
        canvas.text(x, frame.y0 + 16, _tick_label(tick, ticks), anchor="middle")
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
            f'<rect class="hq-bar" x="{frame.x0}" y="{_num(center - bar / 2)}" '
            f'width="{_num(max(width, 0.0))}" height="{_num(bar)}" fill="{BLUE}">'
            f"<title>{escape(name)}: {share:.3f}</title></rect>"
        )
        canvas.text(
            frame.x0 - 8, center + 4, _shorten(name, 28), anchor="end", color=TEXT, tooltip=name
        )
        canvas.text(frame.x0 + width + 6, center + 4, f"{share:.2f}", color=TEXT)
    canvas.add("</g>")
    return canvas.render()


def render_plot(
    kind: str,
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    *,
    objective_index: int = 0,
    study_name: str | None = None,
) -> str:
    """The SVG of plot ``kind`` (one of :data:`PLOT_KINDS`) for these trials.

    Raises:
        InvalidInputError: an unknown kind, or an objective index the study does not have
            (a ValueError too).
    """
    if not 0 <= objective_index < len(directions):
        raise InvalidInputError(
            f"objective index {objective_index} is out of range: the study has "
            f"{len(directions)} objective(s)."
        )
    if kind == "history":
        history = optimization_history(trials, directions, objective_index)
        return render_history(history, directions, study_name)
    if kind == "parallel":
        return render_parallel(
            parallel_coordinates(trials, directions, objective_index), study_name
        )
    if kind == "importance":
        return render_importance(param_importances(trials, objective_index), study_name)
    if kind == "intermediate":
        return render_intermediate(intermediate_curves(trials), study_name)
    raise InvalidInputError(f"unknown plot kind {kind!r}; use one of {', '.join(PLOT_KINDS)}.")
