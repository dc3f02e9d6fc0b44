"""The pieces every SVG plot is built from: escaping, ticks, a canvas and an x/y frame.

Every piece of user text goes through :func:`escape`; each root ``<svg>`` gets class
``hq-plot hq-plot-<kind>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from hpo_queue.directions import StudyDirection

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
TITLES = {
    "history": "Optimization history",
    "parallel": "Parallel coordinates",
    "importance": "Parameter importance",
    "intermediate": "Intermediate values",
    "slice": "Slice",
    "edf": "Empirical distribution of the objective",
    "timeline": "Trials per worker",
    "pareto": "Pareto front",
}
# Characters XML 1.0 forbids even when escaped.
# Lone surrogates too: no UTF-8 file can hold one, and a parameter name stored before the
# name limits would stop the plot.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "\u2026"


# A generous average glyph width, in em, of the sans-serif fonts in FONT: layout that must
# not overlap (axis names) budgets this much per character.
CHAR_WIDTH_EM = 0.62


def text_width(text: str, size: float) -> float:
    """The width ``text`` is budgeted at ``size`` px (see CHAR_WIDTH_EM)."""
    return len(text) * CHAR_WIDTH_EM * size


def num(value: float) -> str:
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


def tick_label(value: float, ticks: Sequence[float]) -> str:
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


def padded(low: float, high: float, fraction: float = 0.05) -> tuple[float, float]:
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * fraction
    return low - pad, high + pad


def blues(goodness: float) -> str:
    """Light blue (0, worst) to dark blue (1, best)."""
    light, dark = (198, 219, 239), (8, 48, 107)
    g = min(max(goodness, 0.0), 1.0)
    r, gr, b = (round(lo + (hi - lo) * g) for lo, hi in zip(light, dark, strict=True))
    return f"#{r:02x}{gr:02x}{b:02x}"


class Canvas:
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
        extra = f' transform="rotate(-90 {num(x)} {num(y)})"' if rotate else ""
        if css_class:
            extra += f' class="{css_class}"'
        inner = escape(text)
        if tooltip is not None:
            inner = f"<title>{escape(tooltip)}</title>{inner}"
        self.add(
            f'<text x="{num(x)}" y="{num(y)}" font-size="{size}" fill="{color}" '
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
            f'<g class="hq-legend"><rect x="{num(x - 6)}" y="{num(top - 4)}" '
            f'width="{width + 6}" height="{height}" fill="#ffffff" fill-opacity="0.85" '
            f'stroke="{GRID}"/>'
        )
        for i, (label, color, shape) in enumerate(entries):
            y = top + 8 + 16 * i
            if shape == "point":
                self.add(f'<circle cx="{num(x + 6)}" cy="{num(y)}" r="4" fill="{color}"/>')
            elif shape == "line":
                self.add(
                    f'<line x1="{num(x)}" y1="{num(y)}" x2="{num(x + 14)}" y2="{num(y)}" '
                    f'stroke="{color}" stroke-width="2.5"/>'
                )
            else:
                self.add(
                    f'<rect x="{num(x)}" y="{num(y - 5)}" width="12" height="10" fill="{color}"/>'
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


def _power_label(power: int, scientific: bool) -> str:
    return f"1e{power}" if scientific else format_value(10.0**power)


def log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    """(log10 position, label) ticks for a log axis spanning 10**low to 10**high.

    Powers of ten, thinned to at most 8; over less than three decades also 2x and 5x each.
    """
    powers = list(range(math.floor(low), math.ceil(high) + 1))
    scientific = powers[0] < -2 or powers[-1] > 4
    if len(powers) > 4:
        every = math.ceil(len(powers) / 8)
        return [
            (float(p), _power_label(p, scientific))
            for p in powers
            if p % every == 0 and low <= p <= high
        ]
    ticks = []
    for power in powers:
        for factor in (1, 2, 5):
            position = power + math.log10(factor)
            if low - 1e-9 <= position <= high + 1e-9:
                label = (
                    _power_label(power, scientific)
                    if factor == 1
                    else format_value(factor * 10.0**power)
                )
                ticks.append((position, label))
    if len(ticks) >= 2:
        return ticks
    inner = [t for t in nice_ticks(low, high, 4) if low <= t <= high]
    return [(t, format_value(10.0**t)) for t in inner]


class XYFrame:
    """x and y scales over a plot area with grid lines, ticks and axis labels.

    Values are in axis coordinates: for a log axis (``x_log``/``y_log``) pass log10 of the
    data to :meth:`x`/:meth:`y` and give the ranges in log10 too; ticks are then powers of
    ten. ``x_ticks`` replaces the computed x ticks with (coordinate, label) pairs.
    """

    def __init__(
        self,
        canvas: Canvas,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        *,
        left: int = 76,
        right: int = 24,
        top: int = 44,
        bottom: int = 52,
        x_log: bool = False,
        y_log: bool = False,
    ) -> None:
        self.canvas = canvas
        self.x0: float = left
        self.x1: float = canvas.width - right
        self.y0: float = canvas.height - bottom
        self.y1: float = top
        self.x_low, self.x_high = x_range
        self.y_low, self.y_high = y_range
        self.x_log, self.y_log = x_log, y_log
        self.x_label_y: float = canvas.height - 12
        self.y_label_x: float = 16

    @classmethod
    def in_box(
        cls,
        canvas: Canvas,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        box: tuple[float, float, float, float],
        *,
        x_log: bool = False,
        y_log: bool = False,
    ) -> XYFrame:
        """A frame whose plot area is ``box`` (left, top, right, bottom): one panel of many."""
        frame = cls(canvas, x_range, y_range, x_log=x_log, y_log=y_log)
        left, top, right, bottom = box
        frame.x0, frame.x1, frame.y0, frame.y1 = left, right, bottom, top
        frame.x_label_y = bottom + 32
        frame.y_label_x = left - 58
        return frame

    def x(self, value: float) -> float:
        span = self.x_high - self.x_low or 1.0
        return self.x0 + (value - self.x_low) / span * (self.x1 - self.x0)

    def y(self, value: float) -> float:
        span = self.y_high - self.y_low or 1.0
        return self.y0 - (value - self.y_low) / span * (self.y0 - self.y1)

    def _ticks(self, low: float, high: float, log: bool) -> list[tuple[float, str]]:
        if log:
            return [(t, label) for t, label in log_ticks(low, high) if low <= t <= high]
        values = [t for t in nice_ticks(low, high) if low <= t <= high]
        return [(t, tick_label(t, values)) for t in values]

    def draw_axes(
        self,
        x_label: str,
        y_label: str,
        *,
        integer_x: bool = False,
        x_ticks: Sequence[tuple[float, str]] | None = None,
    ) -> None:
        canvas = self.canvas
        y_ticks = self._ticks(self.y_low, self.y_high, self.y_log)
        if x_ticks is None:
            x_ticks = self._ticks(self.x_low, self.x_high, self.x_log)
            if integer_x:
                x_ticks = [(t, str(int(t))) for t, _ in x_ticks if float(t).is_integer()]
        canvas.add('<g class="hq-axes">')
        for tick, label in y_ticks:
            y = self.y(tick)
            canvas.add(
                f'<line x1="{num(self.x0)}" y1="{num(y)}" x2="{num(self.x1)}" y2="{num(y)}" '
                f'stroke="{GRID}"/>'
            )
            canvas.text(self.x0 - 6, y + 4, label, anchor="end")
        for tick, label in x_ticks:
            x = self.x(tick)
            canvas.add(
                f'<line x1="{num(x)}" y1="{num(self.y0)}" x2="{num(x)}" y2="{num(self.y0 + 5)}" '
                f'stroke="{MUTED}"/>'
            )
            canvas.text(x, self.y0 + 18, label, anchor="middle")
        x0, x1, y0, y1 = (num(v) for v in (self.x0, self.x1, self.y0, self.y1))
        canvas.add(
            f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="{MUTED}"/>'
            f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="{MUTED}"/>'
        )
        canvas.text((self.x0 + self.x1) / 2, self.x_label_y, x_label, anchor="middle", size=12)
        canvas.text(
            self.y_label_x, (self.y0 + self.y1) / 2, y_label, anchor="middle", size=12, rotate=True
        )
        canvas.add("</g>")


def plot_title(kind: str, study_name: str | None, suffix: str = "") -> str:
    title = TITLES[kind] + suffix
    return f"{title} \u2014 {study_name}" if study_name else title


def objective_label(directions: Sequence[StudyDirection], objective_index: int) -> str:
    name = "Objective value" if len(directions) == 1 else f"Objective {objective_index}"
    return f"{name} ({directions[objective_index].name.lower()})"
