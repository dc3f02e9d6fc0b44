"""The SVG renderings: well-formed, escaped, with their marks; and `hpo-queue plot`."""

from __future__ import annotations

import dataclasses
import datetime
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.cli import main
from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import CategoricalDistribution, FloatDistribution
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization._svg import nice_ticks
from hpo_queue.visualization.svg import PLOT_KINDS, plot_kinds_for, render_plot

SVG = "{http://www.w3.org/2000/svg}"
ODD = "p<&>\"\x01'name"
START = datetime.datetime(2026, 1, 1, 12, 0, 0)


def make_trials(n: int = 12) -> list[FrozenTrial]:
    trials = []
    for i in range(n):
        state = TrialState.PRUNED if i % 3 == 2 else TrialState.COMPLETE
        x = i / 2 - 2
        t = FrozenTrial(
            number=i,
            state=state,
            values=[x * x + (1.0 if i % 2 else 0.0)],
            params={"x": x, ODD: ["a<b", "c&d"][i % 2]},
            distributions={
                "x": FloatDistribution(-5, 5),
                ODD: CategoricalDistribution(["a<b", "c&d"]),
            },
            intermediate_values={s: 10.0 / (s + 1) + x for s in range(4)},
            datetime_start=START + datetime.timedelta(seconds=10 * i),
            datetime_complete=START + datetime.timedelta(seconds=10 * i + 8),
            worker=f"host<&>:{i % 2}",
        )
        trials.append(t)
    return trials


def two_objective_trials() -> list[FrozenTrial]:
    return [
        dataclasses.replace(t, values=[t.values[0], 10.0 - t.values[0] + (i % 3)])
        for i, t in enumerate(make_trials())
        if t.values is not None and t.state == TrialState.COMPLETE
    ]


@pytest.mark.parametrize("kind", PLOT_KINDS)
def test_svg_is_well_formed_and_escaped(kind: str) -> None:
    trials, directions = make_trials(), (StudyDirection.MINIMIZE,)
    if kind == "pareto":
        trials, directions = two_objective_trials(), (StudyDirection.MINIMIZE,) * 2
    svg = render_plot(kind, trials, directions, study_name="s<&>")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.attrib["class"] == f"hq-plot hq-plot-{kind}"
    assert "data-empty" not in root.attrib
    assert root.findtext(f"{SVG}title", "").endswith("s<&>")
    assert root.attrib["viewBox"].startswith("0 0 ")
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert len(texts) > 5  # title, ticks, labels


def test_marks_match_the_data() -> None:
    trials = make_trials()
    directions = (StudyDirection.MINIMIZE,)
    history = ET.fromstring(render_plot("history", trials, directions))
    assert history.attrib["data-points"] == "8"
    assert len(history.findall(f".//{SVG}circle[@class='hq-point']")) == 8
    assert history.find(f".//{SVG}polyline[@class='hq-best']") is not None
    parallel = ET.fromstring(render_plot("parallel", trials, directions))
    assert len(parallel.findall(f".//{SVG}polyline[@class='hq-line']")) == 8
    importance = ET.fromstring(render_plot("importance", trials, directions))
    assert len(importance.findall(f".//{SVG}rect[@class='hq-bar']")) == 2
    curves = ET.fromstring(render_plot("intermediate", trials, directions))
    assert len(curves.findall(f".//{SVG}polyline[@class='hq-curve']")) == 12


@pytest.mark.parametrize("kind", PLOT_KINDS)
def test_empty_study_gives_a_message(kind: str) -> None:
    root = ET.fromstring(render_plot(kind, [], (StudyDirection.MAXIMIZE,)))
    assert root.attrib["data-empty"] == "true"
    assert root.find(f".//{SVG}text[@class='hq-empty']") is not None


def test_bad_kind_and_objective() -> None:
    # InvalidInputError is a ValueError too, so code that caught ValueError still does.
    with pytest.raises(InvalidInputError, match="pie"):
        render_plot("pie", [], (StudyDirection.MINIMIZE,))
    with pytest.raises(InvalidInputError, match="objective index 1"):
        render_plot("history", [], (StudyDirection.MINIMIZE,), objective_index=1)


def test_nice_ticks() -> None:
    assert nice_ticks(0.0, 10.7) == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert nice_ticks(-5.0, 5.0) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert nice_ticks(3.0, 3.0) == [3.0]


def test_plot_command_writes_files(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = hq.create_study(
        storage=url, study_name="plots", sampler=hq.samplers.RandomSampler(seed=0)
    )
    for t in make_trials(6):
        trial = study.ask()
        trial.suggest_float("x", -5, 5)
        trial.report(1.0, 0)
        study.tell(trial, t.values[0] if t.values else 0.0)
    out = tmp_path / "out"
    assert main(["plot", "--storage", url, "--study-name", "plots", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "edf.svg",
        "history.svg",
        "importance.svg",
        "index.html",
        "intermediate.svg",
        "parallel.svg",
        "slice.svg",
        "timeline.svg",
    ]
    for kind in plot_kinds_for(1):
        ET.parse(out / f"{kind}.svg")
    assert 'src="history.svg"' in (out / "index.html").read_text()
    only = tmp_path / "only"
    args = ["plot", "--storage", url, "--study", "plots", "--out", str(only), "--kind", "history"]
    assert main(args) == 0
    assert sorted(p.name for p in only.iterdir()) == ["history.svg", "index.html"]
    assert main([*args, "--objective", "3"]) == 2
    assert main(["plot", "--storage", url, "--study", "nope", "--out", str(only)]) == 1
