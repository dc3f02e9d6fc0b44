"""The timeline, Pareto front, slice and EDF SVGs: marks match the data, text is escaped."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import FloatDistribution
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization import render_plot
from hpo_queue.visualization._svg_slice import MAX_POINTS

SVG = "{http://www.w3.org/2000/svg}"
MIN = StudyDirection.MINIMIZE
T0 = datetime.datetime(2026, 1, 1, 12)
ODD_WORKER = "host<&>\"':1"


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def classes(root: ET.Element, tag: str) -> list[set[str]]:
    return [set(e.get("class", "").split()) for e in root.iter(f"{SVG}{tag}")]


def test_timeline_marks_expired_leases_stragglers_and_dead_workers() -> None:
    trials = [
        FrozenTrial(
            number=i,
            state=TrialState.COMPLETE,
            values=[1.0],
            datetime_start=at(10 * i),
            datetime_complete=at(10 * i + 5),
            worker="fine",
        )
        for i in range(4)
    ]
    trials.append(
        FrozenTrial(
            number=4,
            state=TrialState.RUNNING,
            datetime_start=at(0),
            worker=ODD_WORKER,
            lease_expires_at=at(30),
        )
    )
    root = ET.fromstring(render_plot("timeline", trials, [MIN], now=at(100)))
    bars = [c for c in classes(root, "rect") if "hq-trial" in c]
    assert len(bars) == 5
    assert sum("hq-expired" in c for c in bars) == 1
    assert sum("hq-straggler" in c for c in bars) == 1  # 100 s against a 5 s median
    dead = [t for t in root.iter(f"{SVG}text") if "hq-dead" in t.get("class", "")]
    assert len(dead) == 1 and ODD_WORKER in "".join(dead[0].itertext())
    idle = [c for c in classes(root, "line") if "hq-idle" in c]
    assert len(idle) == 3  # 5 s between each of the four trials of "fine"


def test_pareto_of_two_and_five_objectives() -> None:
    trials = [
        FrozenTrial(number=i, state=TrialState.COMPLETE, values=[float(i), float(5 - i)])
        for i in range(6)
    ]
    trials.append(FrozenTrial(number=6, state=TrialState.COMPLETE, values=[5.0, 5.0]))
    root = ET.fromstring(render_plot("pareto", trials, [MIN, MIN], metric_names=["a<b", "c"]))
    assert len([c for c in classes(root, "circle") if "hq-front-point" in c]) == 6
    assert len([c for c in classes(root, "circle") if "hq-dominated-point" in c]) == 1
    assert "a<b (minimize)" in "".join(root.itertext())
    five = [
        FrozenTrial(
            number=i, state=TrialState.COMPLETE, values=[float((i * k) % 7) for k in range(5)]
        )
        for i in range(8)
    ]
    root = ET.fromstring(render_plot("pareto", five, [MIN] * 5))
    assert "6 of 10 pairs of objectives shown" in "".join(root.itertext())
    assert len([g for g in classes(root, "g") if "hq-front" in g]) == 6


def test_slice_keeps_the_latest_points() -> None:
    n = MAX_POINTS + 200
    trials = [
        FrozenTrial(
            number=i,
            state=TrialState.COMPLETE,
            values=[float(i)],
            params={"x": float(i % 10)},
            distributions={"x": FloatDistribution(0, 10)},
        )
        for i in range(n)
    ]
    root = ET.fromstring(render_plot("slice", trials, [MIN]))
    assert len(root.findall(f".//{SVG}circle")) == MAX_POINTS
    assert f"the latest {MAX_POINTS} of {n} trials" in "".join(root.itertext())


def test_edf_line_rises_from_zero_to_one() -> None:
    trials = [
        FrozenTrial(number=i, state=TrialState.COMPLETE, values=[v])
        for i, v in enumerate([3.0, 1.0, 2.0])
    ]
    root = ET.fromstring(render_plot("edf", trials, [MIN], study_name="s<"))
    (line,) = root.iter(f"{SVG}polyline")
    points = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    assert xs == sorted(xs)
    assert ys == sorted(ys, reverse=True)  # SVG y grows downwards
    assert "s<" in root.findtext(f"{SVG}title", "")
