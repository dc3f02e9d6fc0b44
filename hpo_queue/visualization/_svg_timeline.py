"""The timeline as SVG: a lane per worker, a bar per trial, idle gaps, stragglers, dead workers."""

from __future__ import annotations

from hpo_queue.visualization._svg_canvas import (
    GRID,
    MUTED,
    RED,
    STATE_COLORS,
    TEXT,
    WIDTH,
    Canvas,
    escape,
    format_value,
    nice_ticks,
    num,
    plot_title,
    shorten,
)
from hpo_queue.visualization._timeline import Timeline

LANE = 22
# Beyond this many workers the plot would be taller than any screen; the busiest are kept.
MAX_LANES = 80
STRAGGLER = "#9467bd"


def format_seconds(seconds: float) -> str:
    """A duration for ticks and tooltips: 12.5s, 4m10s, 2h05m."""
    if seconds < 60:
        return f"{seconds:.3g}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"


def _summary(timeline: Timeline, n_lanes: int) -> str:
    parts = [f"{n_lanes} worker{'s' if n_lanes != 1 else ''}"]
    if timeline.median_seconds is not None:
        parts.append(f"median trial {format_seconds(timeline.median_seconds)}")
    if timeline.stragglers:
        parts.append(
            f"{len(timeline.stragglers)} straggler(s) over "
            f"{format_value(timeline.straggler_factor)}\u00d7 the median"
        )
    if timeline.expired:
        parts.append(f"{len(timeline.expired)} running with an expired lease")
    dead = sum(1 for lane in timeline.lanes if lane.dead)
    if dead:
        parts.append(f"{dead} worker(s) look dead")
    if timeline.waiting:
        parts.append(f"{timeline.waiting} waiting")
    return " \u00b7 ".join(parts)


def _legend(canvas: Canvas, timeline: Timeline, x: float, y: float) -> None:
    """One row: the states present, then the outlines and the idle line."""
    states = {bar.state for lane in timeline.lanes for bar in lane.bars}
    canvas.add('<g class="hq-timeline-legend">')
    for state in (s for s in STATE_COLORS if s in states):
        canvas.add(
            f'<rect x="{num(x)}" y="{num(y - 9)}" width="12" height="10" '
            f'fill="{STATE_COLORS[state]}"/>'
        )
        canvas.text(x + 16, y, state.lower(), color=TEXT)
        x += 24 + 7 * len(state)
    marks = [
        (f'stroke="{STRAGGLER}" stroke-width="2"', "straggler", bool(timeline.stragglers)),
        (
            f'stroke="{RED}" stroke-width="2" stroke-dasharray="4 2"',
            "lease expired",
            bool(timeline.expired),
        ),
    ]
    for stroke, label, present in marks:
        if present:
            canvas.add(
                f'<rect x="{num(x)}" y="{num(y - 9)}" width="12" height="10" fill="#ffffff" '
                f"{stroke}/>"
            )
            canvas.text(x + 16, y, label, color=TEXT)
            x += 24 + 7 * len(label)
    if any(lane.idle_gaps for lane in timeline.lanes):
        canvas.add(
            f'<line x1="{num(x)}" y1="{num(y - 4)}" x2="{num(x + 14)}" y2="{num(y - 4)}" '
            f'stroke="{MUTED}" stroke-dasharray="2 3"/>'
        )
        canvas.text(x + 18, y, "idle", color=TEXT)
    canvas.add("</g>")


def render_timeline(timeline: Timeline, study_name: str | None = None) -> str:
    """Each worker's trials as bars over time (colored by state) with its idle gaps.

    A dashed red outline marks a RUNNING trial whose lease expired, a purple outline a
    straggler, a red worker name a worker that looks dead.
    """
    busiest = sorted(range(len(timeline.lanes)), key=lambda i: -len(timeline.lanes[i].bars))
    lanes = [timeline.lanes[i] for i in sorted(busiest[:MAX_LANES])]
    top, bottom = 80, 44
    height = max(160, top + LANE * len(lanes) + bottom)
    canvas = Canvas("timeline", plot_title("timeline", study_name), height=height)
    canvas.attrs["data-lanes"] = str(len(lanes))
    canvas.attrs["data-bars"] = str(sum(len(lane.bars) for lane in lanes))
    if not lanes or timeline.start is None or timeline.end is None:
        return canvas.empty("No trial has started yet")
    longest = max(len(shorten(lane.worker, 28)) for lane in lanes)
    left = min(24 + int(6.5 * longest), 220)
    x0, x1 = left, WIDTH - 24
    span = max((timeline.end - timeline.start).total_seconds(), 1e-6)

    def x_at(seconds: float) -> float:
        return x0 + seconds / span * (x1 - x0)

    def offset(moment: object) -> float:
        return (moment - timeline.start).total_seconds()  # type: ignore[operator]

    canvas.text(16, 42, _summary(timeline, len(timeline.lanes)), css_class="hq-note")
    _legend(canvas, timeline, 16, 60)
    if len(lanes) < len(timeline.lanes):
        canvas.text(
            x1, 60, f"the {len(lanes)} busiest of {len(timeline.lanes)} workers", anchor="end"
        )
    y_end = top + LANE * len(lanes)
    canvas.add('<g class="hq-axes">')
    for tick in (t for t in nice_ticks(0.0, span) if 0 <= t <= span):
        x = x_at(tick)
        canvas.add(f'<line x1="{num(x)}" y1="{top}" x2="{num(x)}" y2="{y_end}" stroke="{GRID}"/>')
        canvas.text(x, y_end + 16, format_seconds(tick), anchor="middle")
    start_text = timeline.start.strftime("%Y-%m-%d %H:%M:%S")
    canvas.text(
        (x0 + x1) / 2,
        y_end + 34,
        f"Time since the first trial started ({start_text} UTC)",
        anchor="middle",
        size=12,
    )
    canvas.add("</g>")
    canvas.add('<g class="hq-lanes">')
    for row, lane in enumerate(lanes):
        y = top + LANE * row
        middle = y + LANE / 2
        if row % 2:
            canvas.add(f'<rect x="{x0}" y="{y}" width="{x1 - x0}" height="{LANE}" fill="#f5f7fa"/>')
        name_class = "hq-worker hq-dead" if lane.dead else "hq-worker"
        tooltip = lane.worker + (" \u2014 looks dead: its last trial was lost" if lane.dead else "")
        canvas.text(
            x0 - 6,
            middle + 4,
            shorten(lane.worker, 28),
            anchor="end",
            color=RED if lane.dead else TEXT,
            tooltip=tooltip,
            css_class=name_class,
        )
        for gap in lane.idle_gaps:
            if x_at(gap.seconds) - x0 < 2:
                continue  # too short to see: thousands of them would only add weight
            canvas.add(
                f'<line class="hq-idle" x1="{num(x_at(offset(gap.start)))}" y1="{num(middle)}" '
                f'x2="{num(x_at(offset(gap.end)))}" y2="{num(middle)}" stroke="{MUTED}" '
                f'stroke-dasharray="2 3"><title>idle {escape(format_seconds(gap.seconds))}'
                "</title></line>"
            )
        for bar in lane.bars:
            begin = x_at(offset(bar.start))
            width = max(x_at(offset(bar.start) + bar.seconds) - begin, 1.0)
            classes = ["hq-trial", f"hq-trial-{bar.state.lower()}"]
            outline = ""
            notes = []
            if bar.straggler:
                classes.append("hq-straggler")
                outline = f' stroke="{STRAGGLER}" stroke-width="2"'
                notes.append("straggler")
            if bar.expired:
                classes.append("hq-expired")
                outline = f' stroke="{RED}" stroke-width="2" stroke-dasharray="4 2"'
                notes.append("lease expired")
            if bar.lost:
                classes.append("hq-lost")
                notes.append("lost with its worker")
            note = f" \u2014 {', '.join(notes)}" if notes else ""
            canvas.add(
                f'<rect class="{" ".join(classes)}" x="{num(begin)}" y="{num(y + 4)}" '
                f'width="{num(width)}" height="{LANE - 8}" '
                f'fill="{STATE_COLORS.get(bar.state, MUTED)}"{outline}>'
                f"<title>Trial {bar.number} ({escape(bar.state.lower())}, "
                f"{escape(format_seconds(bar.seconds))}){escape(note)}</title></rect>"
            )
    canvas.add("</g>")
    if any(bar.end is None for lane in lanes for bar in lane.bars):
        now = x_at(offset(timeline.now))
        canvas.add(
            f'<line class="hq-now" x1="{num(now)}" y1="{top - 4}" x2="{num(now)}" '
            f'y2="{y_end}" stroke="{MUTED}" stroke-dasharray="3 3"><title>now</title></line>'
        )
    return canvas.render()
