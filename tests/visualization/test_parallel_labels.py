"""Parallel coordinates: axis names and tick labels do not run into each other or off the plot.

Label boxes are computed from the SVG's own coordinates with a glyph width (0.7 em) wider than
the renderer budgets (0.62 em), so a layout that only just fits its own budget still fails.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import CategoricalDistribution, FloatDistribution
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization import render_plot

SVG = "{http://www.w3.org/2000/svg}"
GLYPH_EM = 0.7
Box = tuple[float, float, float, float]  # along the text direction and across it


def study(names: list[str], n_trials: int = 8) -> list[FrozenTrial]:
    distributions = {
        name: FloatDistribution(1e-5, 1.0, log=True) if i % 3 == 0 else FloatDistribution(0, 1)
        for i, name in enumerate(names)
    }
    distributions[names[-1]] = CategoricalDistribution(["a-rather-long-choice", "b", "c"])
    trials = []
    for t in range(n_trials):
        params: dict[str, object] = {n: 10 ** -(1 + t % 4) for n in names[:-1]}
        params[names[-1]] = ["a-rather-long-choice", "b", "c"][t % 3]
        trials.append(
            FrozenTrial(
                number=t,
                state=TrialState.COMPLETE,
                values=[float(t)],
                params=params,
                distributions=distributions,
            )
        )
    return trials


def label_boxes(root: ET.Element, css_class: str) -> tuple[float, list[Box]]:
    """(angle, boxes) of the texts of ``css_class``, in coordinates rotated by -angle."""
    boxes: list[Box] = []
    angles = set()
    for text in root.iter(f"{SVG}text"):
        if text.get("class") != css_class:
            continue
        size = float(text.get("font-size", "11"))
        x, y = float(text.get("x", "0")), float(text.get("y", "0"))
        match = re.match(r"rotate\(([-\d.]+)", text.get("transform", ""))
        angle = float(match.group(1)) if match else 0.0
        angles.add(angle)
        content = "".join(text.itertext())
        title = text.find(f"{SVG}title")
        if title is not None and title.text:
            content = content[len(title.text) :]
        width = len(content) * GLYPH_EM * size
        theta = math.radians(angle)
        # The anchor point in the rotated frame: the text runs along the rotated x axis.
        u = x * math.cos(theta) + y * math.sin(theta)
        v = -x * math.sin(theta) + y * math.cos(theta)
        anchor = text.get("text-anchor", "start")
        start = u - width / 2 if anchor == "middle" else u - width if anchor == "end" else u
        boxes.append((start, start + width, v - 0.8 * size, v + 0.25 * size))
    assert len(angles) <= 1, "axis names at different angles"
    return (angles.pop() if angles else 0.0), boxes


def overlapping(boxes: list[Box]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i][0] < boxes[j][1]
        and boxes[j][0] < boxes[i][1]
        and boxes[i][2] < boxes[j][3]
        and boxes[j][2] < boxes[i][3]
    ]


def corners_inside(root: ET.Element, angle: float, boxes: list[Box]) -> bool:
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    theta = math.radians(angle)
    for u0, u1, v0, v1 in boxes:
        for u, v in ((u0, v0), (u0, v1), (u1, v0), (u1, v1)):
            x = u * math.cos(theta) - v * math.sin(theta)
            y = u * math.sin(theta) + v * math.cos(theta)
            if not (-0.5 <= x <= width + 0.5 and -0.5 <= y <= height + 0.5):
                return False
    return True


LONG = [f"encoder.layer_{i:02d}.attention.dropout_probability" for i in range(18)]
MEDIUM = [f"param_{i}_with_a_name" for i in range(7)]
SHORT = ["x", "y", "lr"]


@pytest.mark.parametrize("names", [LONG, MEDIUM, SHORT], ids=["18-long", "7-medium", "3-short"])
def test_axis_names_do_not_overlap_and_stay_inside(names: list[str]) -> None:
    root = ET.fromstring(render_plot("parallel", study(names), (StudyDirection.MINIMIZE,)))
    angle, boxes = label_boxes(root, "hq-axis-name")
    assert len(boxes) == len(names) + 1  # the objective axis too
    assert overlapping(boxes) == []
    assert corners_inside(root, angle, boxes)


def test_many_long_names_are_slanted_and_keep_their_full_name() -> None:
    root = ET.fromstring(render_plot("parallel", study(LONG), (StudyDirection.MINIMIZE,)))
    angle, _ = label_boxes(root, "hq-axis-name")
    assert angle != 0.0
    titles = {t.findtext(f"{SVG}title") for t in root.iter(f"{SVG}text")}
    assert set(LONG) <= titles


def test_tick_labels_stop_before_the_next_axis() -> None:
    root = ET.fromstring(render_plot("parallel", study(LONG), (StudyDirection.MINIMIZE,)))
    _, ticks = label_boxes(root, "hq-tick")
    axes = sorted(
        {
            float(line.get("x1", "0"))
            for line in root.iter(f"{SVG}line")
            if line.get("x1") == line.get("x2") and line.get("stroke-width") == "1.2"
        }
    )
    assert len(axes) == len(LONG) + 1
    for start, end, _, _ in ticks:
        following = [a for a in axes if a > start]
        if following:
            assert end < following[0], (start, end, following[0])
    bar = min(float(r.get("x", "0")) for r in root.iter(f"{SVG}rect") if r.get("width") == "14")
    assert max(end for _, end, _, _ in ticks) < bar
