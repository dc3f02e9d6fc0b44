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


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "\u2026"


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


class XYFrame:
    """Linear x and y scales over a plot area with grid lines, ticks and axis labels."""

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
                f'<line x1="{self.x0}" y1="{num(y)}" x2="{self.x1}" y2="{num(y)}" stroke="{GRID}"/>'
            )
            canvas.text(self.x0 - 6, y + 4, tick_label(tick, y_ticks), anchor="end")
        for tick in x_ticks:
            x = self.x(tick)
            canvas.add(
                f'<line x1="{num(x)}" y1="{self.y0}" x2="{num(x)}" y2="{self.y0 + 5}" '
                f'stroke="{MUTED}"/>'
            )
            label = str(int(tick)) if integer_x else tick_label(tick, x_ticks)
            canvas.text(x, self.y0 + 18, label, anchor="middle")
        canvas.add(
            f'<line x1="{self.x0}" y1="{self.y0}" x2="{self.x1}" y2="{self.y0}" stroke="{MUTED}"/>'
            f'<line x1="{self.x0}" y1="{self.y0}" x2="{self.x0}" y2="{self.y1}" stroke="{MUTED}"/>'
        )
        canvas.text((self.x0 + self.x1) / 2, canvas.height - 12, x_label, anchor="middle", size=12)
        canvas.text(16, (self.y0 + self.y1) / 2, y_label, anchor="middle", size=12, rotate=True)
        canvas.add("</g>")


def plot_title(kind: str, study_name: str | None, suffix: str = "") -> str:
    title = TITLES[kind] + suffix
    return f"{title} \u2014 {study_name}" if study_name else title


def objective_label(directions: Sequence[StudyDirection], objective_index: int) -> str:
    name = "Objective value" if len(directions) == 1 else f"Objective {objective_index}"
    return f"{name} ({directions[objective_index].name.lower()})"
