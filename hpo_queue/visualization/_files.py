"""Plots written to files: one .svg per kind and an index.html that shows them all."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

from hpo_queue.directions import StudyDirection
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.visualization._svg import PLOT_KINDS, render_plot
from hpo_queue.visualization._svg_canvas import TITLES, escape

_INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #1f2933; background: #f5f7fa; }}
figure {{ background: #fff; border: 1px solid #e4e7eb; border-radius: 6px; padding: 8px;
  margin: 0 0 16px; display: inline-block; vertical-align: top; }}
figcaption {{ font-size: 13px; color: #616e7c; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{n_trials} trials; written {written} UTC by hpo-queue plot.</p>
{figures}
</body>
</html>
"""


def write_plot_files(
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    out_dir: str | Path,
    *,
    kinds: Sequence[str] = PLOT_KINDS,
    study_name: str | None = None,
    objective_index: int = 0,
) -> list[Path]:
    """Write ``<kind>.svg`` for each kind and an ``index.html``; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    figures = []
    for kind in kinds:
        svg = render_plot(
            kind, trials, directions, objective_index=objective_index, study_name=study_name
        )
        path = out / f"{kind}.svg"
        path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, encoding="utf-8")
        written.append(path)
        figures.append(
            f'<figure><img src="{escape(path.name)}" alt="{escape(TITLES[kind])}">'
            f"<figcaption>{escape(path.name)}</figcaption></figure>"
        )
    title = f"Study {study_name}" if study_name else "Study plots"
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    index = out / "index.html"
    index.write_text(
        _INDEX.format(
            title=escape(title),
            n_trials=len(trials),
            written=now,
            figures="\n".join(figures),
        ),
        encoding="utf-8",
    )
    written.append(index)
    return written
