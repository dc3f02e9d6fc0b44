"""The dashboard's newer views over HTTP: Pareto front, timeline, slice, EDF, the history's log
scale, grouped fail reasons and the trial page, against a real server."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

import hpo_queue as hq
from hpo_queue.study._fail_reasons import group_fail_reasons
from tests.dashboard.conftest import DEMO_NAME, METRIC_NAMES, ODD_NAME, PARETO_NAME
from tests.dashboard.test_dashboard_api import escaped, fetch, get_json

SVG = "{http://www.w3.org/2000/svg}"


def plot(dashboard_url: str, name: str, kind: str, query: str = "") -> ET.Element:
    status, headers, body = fetch(
        f"{dashboard_url}/api/studies/{escaped(name)}/plots/{kind}.svg{query}"
    )
    assert status == 200, body
    assert headers["Content-Type"].startswith("image/svg+xml")
    return ET.fromstring(body)


@pytest.mark.parametrize("kind", ["slice", "edf", "timeline"])
def test_new_plots_of_a_single_objective_study(dashboard_url: str, kind: str) -> None:
    root = plot(dashboard_url, ODD_NAME, kind)
    assert f"hq-plot-{kind}" in root.attrib["class"]
    assert "data-empty" not in root.attrib
    assert ODD_NAME in root.findtext(f"{SVG}title", "")


def test_timeline_has_a_bar_per_started_trial(dashboard_url: str, demo_storage: str) -> None:
    root = plot(dashboard_url, DEMO_NAME, "timeline")
    trials = hq.load_study(study_name=DEMO_NAME, storage=demo_storage).trials
    started = [t for t in trials if t.datetime_start is not None]
    bars = [r for r in root.iter(f"{SVG}rect") if "hq-trial" in r.get("class", "").split()]
    assert len(bars) == len(started) == int(root.attrib["data-bars"])
    assert int(root.attrib["data-lanes"]) == len({t.worker for t in started})
    assert sum("hq-trial-running" in b.get("class", "") for b in bars) == 1


def test_pareto_front_of_a_two_objective_study(dashboard_url: str, demo_storage: str) -> None:
    root = plot(dashboard_url, PARETO_NAME, "pareto")
    study = hq.load_study(study_name=PARETO_NAME, storage=demo_storage)
    front = {t.number for t in study.best_trials}
    assert int(root.attrib["data-front"]) == len(front) > 0
    completed = sum(1 for t in study.trials if t.state.name == "COMPLETE")
    assert int(root.attrib["data-dominated"]) == completed - len(front)
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert f"{METRIC_NAMES[0]} (minimize)" in texts and f"{METRIC_NAMES[1]} (maximize)" in texts
    # A single-objective study has no front to draw: it says so.
    assert plot(dashboard_url, DEMO_NAME, "pareto").attrib["data-empty"] == "true"


def test_history_log_scale(dashboard_url: str) -> None:
    assert plot(dashboard_url, DEMO_NAME, "history").attrib["data-scale"] == "linear"
    log = plot(dashboard_url, DEMO_NAME, "history", "?scale=log")
    assert log.attrib["data-scale"] == "log"
    assert int(log.attrib["data-points"]) > 0
    for query, word in (("?scale=weird", "weird"), ("?scale=log", "history")):
        kind = "history" if word == "weird" else "parallel"
        status, headers, body = fetch(
            f"{dashboard_url}/api/studies/{DEMO_NAME}/plots/{kind}.svg{query}"
        )
        assert status == 400 and headers["Content-Type"].startswith("application/json")
        assert word in json.loads(body)["error"]


def test_study_page_offers_the_log_scale(dashboard_url: str) -> None:
    status, _, body = fetch(f"{dashboard_url}/studies/{DEMO_NAME}")
    page = body.decode()
    assert status == 200
    assert 'id="plot-history"' in page and 'id="plot-pareto"' not in page
    assert re.search(r'<a id="scale-toggle" href="/studies/demo\?scale=log">log scale</a>', page)
    status, _, body = fetch(f"{dashboard_url}/studies/{DEMO_NAME}?scale=log")
    page = body.decode()
    assert 'data-kind="history" data-query="?scale=log"' in page
    assert '<a id="scale-toggle" href="/studies/demo">linear scale</a>' in page
    status, headers, body = fetch(f"{dashboard_url}/studies/{DEMO_NAME}?scale=%3Cb%3E")
    assert status == 400 and headers["Content-Type"].startswith("text/html")
    assert b"<b>" not in body


def test_multi_objective_page_shows_the_front_not_a_history(dashboard_url: str) -> None:
    status, _, body = fetch(f"{dashboard_url}/studies/{escaped(PARETO_NAME)}")
    page = body.decode()
    assert status == 200
    assert 'id="plot-pareto"' in page and 'id="plot-history"' not in page
    assert "<b>goals</b>" not in page and "two &lt;b&gt;goals&lt;/b&gt;" in page


def test_summary_names_objectives_and_groups_fail_reasons(
    dashboard_url: str, demo_storage: str
) -> None:
    data = get_json(f"{dashboard_url}/api/studies/{escaped(PARETO_NAME)}")
    assert data["objective_names"] == METRIC_NAMES
    trials = hq.load_study(study_name=PARETO_NAME, storage=demo_storage).trials
    expected = group_fail_reasons(trials)
    assert {g["reason"]: g["trials"] for g in data["fail_reasons"]} == expected
    assert [g["count"] for g in data["fail_reasons"]] == sorted(
        (len(v) for v in expected.values()), reverse=True
    )
    assert "ValueError: x is too big" in expected and len(expected["ValueError: x is too big"]) > 1
    assert {t["number"] for t in data["best_trials"]} == {
        t.number for t in hq.load_study(study_name=PARETO_NAME, storage=demo_storage).best_trials
    }
    assert get_json(f"{dashboard_url}/api/studies/{DEMO_NAME}")["objective_names"] == ["objective"]


def test_trial_detail_api_and_page(dashboard_url: str, demo_storage: str) -> None:
    trials = hq.load_study(study_name=PARETO_NAME, storage=demo_storage).trials
    failed = next(t for t in trials if t.state.name == "FAIL")
    base = f"{dashboard_url}/api/studies/{escaped(PARETO_NAME)}/trials/{failed.number}"
    data = get_json(base)
    assert data["number"] == failed.number and data["state"] == "FAIL"
    assert data["fail_reason"] == failed.fail_reason
    assert data["fail_reason_line"] in (
        "ValueError: x is too big",
        "RuntimeError: CUDA out of memory",
    )
    assert data["params"] == failed.params and data["worker"] == failed.worker
    assert data["objective_names"] == METRIC_NAMES

    status, headers, body = fetch(
        f"{dashboard_url}/studies/{escaped(PARETO_NAME)}/trials/{failed.number}"
    )
    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert f"Trial #{failed.number}" in page
    assert data["fail_reason_line"] in page
    assert failed.worker is not None and failed.worker in page
    assert "two &lt;b&gt;goals&lt;/b&gt;" in page and "<b>goals</b>" not in page
    assert "loss &lt;l&gt; (minimize)" in page


def test_trial_detail_of_a_completed_trial_with_intermediate_values(dashboard_url: str) -> None:
    path = f"/studies/{escaped(ODD_NAME)}/trials/0"
    data = get_json(f"{dashboard_url}/api{path}")
    assert data["state"] in ("COMPLETE", "PRUNED")
    assert len(data["intermediate_values"]) > 0
    status, _, body = fetch(dashboard_url + path)
    page = body.decode()
    assert status == 200
    assert page.count('<td class="num">') >= 2 * len(data["intermediate_values"])
    assert "p&lt;" not in page  # no param was double-escaped
    assert "optimizer" in page and "CategoricalDistribution" in page


def test_unknown_or_bad_trial_number(dashboard_url: str) -> None:
    for prefix, kind in (("/api", "application/json"), ("", "text/html")):
        status, headers, body = fetch(f"{dashboard_url}{prefix}/studies/{DEMO_NAME}/trials/9999")
        assert status == 404 and headers["Content-Type"].startswith(kind)
        status, headers, body = fetch(f"{dashboard_url}{prefix}/studies/{DEMO_NAME}/trials/x%3C")
        assert status == 400 and headers["Content-Type"].startswith(kind)
        if kind == "text/html":
            assert b"x<" not in body and b"x&lt;" in body
