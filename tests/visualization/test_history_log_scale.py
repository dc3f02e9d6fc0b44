"""The history's log scale: values from 1e-6 to 100 spread out; values <= 0 left out, said so."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization import render_plot

SVG = "{http://www.w3.org/2000/svg}"
MIN = (StudyDirection.MINIMIZE,)


def trials(values: list[float]) -> list[FrozenTrial]:
    return [
        FrozenTrial(number=i, state=TrialState.COMPLETE, values=[v]) for i, v in enumerate(values)
    ]


def point_ys(root: ET.Element) -> list[float]:
    return [
        float(c.attrib["cy"]) for c in root.iter(f"{SVG}circle") if c.get("class") == "hq-point"
    ]


def test_log_scale_spreads_values_over_many_decades() -> None:
    values = [100.0, 1.0, 1e-2, 1e-4, 1e-6]
    linear = ET.fromstring(render_plot("history", trials(values), MIN))
    log = ET.fromstring(render_plot("history", trials(values), MIN, scale="log"))
    assert log.attrib["data-scale"] == "log"
    # On the linear axis the three smallest values sit on one pixel row; on the log axis all
    # are evenly spaced, one step per factor of 100.
    assert len({round(y) for y in point_ys(linear)[2:]}) == 1
    ys = point_ys(log)
    steps = [ys[i + 1] - ys[i] for i in range(len(ys) - 1)]
    assert all(step > 20 for step in steps)
    assert max(steps) == pytest.approx(min(steps), rel=1e-2)
    labels = {t.text for t in log.iter(f"{SVG}text")}
    assert {"1e-6", "1e-4", "1e-2", "1e0", "1e2"} & labels


def test_log_scale_leaves_out_values_at_or_below_zero_with_a_note() -> None:
    root = ET.fromstring(render_plot("history", trials([5.0, 0.0, -2.0, 0.5]), MIN, scale="log"))
    assert root.attrib["data-points"] == "2"
    assert root.attrib["data-hidden"] == "2"
    notes = [t for t in root.iter(f"{SVG}text") if t.get("class") == "hq-note"]
    assert [n.text for n in notes] == ["2 trials with a value \u2264 0 not shown (log scale)"]
    ys = point_ys(root)
    assert all(math.isfinite(y) for y in ys) and len(ys) == 2


def test_log_scale_of_only_negative_values_says_why_it_is_empty() -> None:
    root = ET.fromstring(render_plot("history", trials([-1.0, -3.0]), MIN, scale="log"))
    assert root.attrib["data-empty"] == "true"
    assert "log scale" in "".join(root.itertext())


def test_bad_scales() -> None:
    with pytest.raises(InvalidInputError, match="unknown scale 'cubic'"):
        render_plot("history", trials([1.0]), MIN, scale="cubic")
    with pytest.raises(InvalidInputError, match="applies to the history"):
        render_plot("edf", trials([1.0]), MIN, scale="log")
