"""The dashboard's JSON API, plots, pages and /metrics, over HTTP against a real server."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue.dashboard import payloads
from tests.dashboard.conftest import DEMO_NAME, N_TRIALS, ODD_NAME, PARETO_NAME


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def get_json(url: str) -> Any:
    status, headers, body = fetch(url)
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    return json.loads(body)


def escaped(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def test_studies_list(dashboard_url: str) -> None:
    data = get_json(f"{dashboard_url}/api/studies")
    by_name = {s["name"]: s for s in data["studies"]}
    assert set(by_name) == {DEMO_NAME, ODD_NAME, PARETO_NAME}
    for name in (DEMO_NAME, ODD_NAME):
        study = by_name[name]
        assert study["n_trials"] == N_TRIALS + 1
        assert sum(study["counts"].values()) == N_TRIALS + 1
        assert study["counts"]["RUNNING"] == 1
        assert study["best_trial"]["number"] >= 0
        assert study["url"] == "/studies/" + escaped(name)
        assert study["api_url"] == "/api/studies/" + escaped(name)
    assert (
        by_name[ODD_NAME]["url"]
        == "/studies/a%2Fb%20%3Ci%3Ex%3C%2Fi%3E%20%26%20%22q%22%20%27%C3%A9%27%20100%25%20%3F%23"
    )


@pytest.mark.parametrize("name", [DEMO_NAME, ODD_NAME])
def test_study_summary(dashboard_url: str, demo_storage: str, name: str) -> None:
    data = get_json(f"{dashboard_url}/api/studies/{escaped(name)}")
    study = hq.load_study(study_name=name, storage=demo_storage)
    trials = study.trials
    assert data["name"] == name
    assert data["directions"] == ["minimize"]
    assert data["n_trials"] == len(trials)
    for state in ("COMPLETE", "PRUNED", "RUNNING", "FAIL", "WAITING"):
        assert data["counts"][state] == sum(1 for t in trials if t.state.name == state)
    assert data["counts"]["PRUNED"] > 0
    assert data["best_trial"]["number"] == study.best_trial.number
    assert data["best_trial"]["values"] == [study.best_value]
    assert sum(data["running_by_worker"].values()) == 1
    assert sum(w["total"] for w in data["workers"]) == len(trials)
    assert data["throughput"]["finished_in_window"] == N_TRIALS
    assert data["throughput"]["per_minute"] == pytest.approx(N_TRIALS / 5)


def test_trials_table(dashboard_url: str) -> None:
    base = f"{dashboard_url}/api/studies/{escaped(ODD_NAME)}/trials"
    data = get_json(base)
    assert data["total"] == data["returned"] == N_TRIALS + 1
    numbers = [t["number"] for t in data["trials"]]
    assert numbers == sorted(numbers, reverse=True)
    assert data["param_names"] == ["layers", "lr", "optimizer", "x"]
    first = data["trials"][-1]
    assert first["state"] in ("COMPLETE", "PRUNED")
    assert set(first["params"]) == {"layers", "lr", "optimizer", "x"}
    assert first["duration_seconds"] >= 0
    assert first["datetime_start"].endswith("+00:00")
    assert "method" in first  # the sampler method (a system attr), shown in the table

    complete = get_json(f"{base}?state=complete&limit=3&order=asc")
    assert complete["returned"] == 3
    assert all(t["state"] == "COMPLETE" for t in complete["trials"])
    assert [t["number"] for t in complete["trials"]] == sorted(
        t["number"] for t in complete["trials"]
    )

    status, _, body = fetch(f"{base}?state=BOGUS")
    assert status == 400 and "BOGUS" in json.loads(body)["error"]
    status, _, body = fetch(f"{base}?limit=many")
    assert status == 400


def test_unknown_study_is_a_json_404(dashboard_url: str) -> None:
    for path in ("", "/trials", "/plots/history.svg"):
        status, headers, body = fetch(f"{dashboard_url}/api/studies/{escaped('no such')}{path}")
        assert status == 404
        assert headers["Content-Type"].startswith("application/json")
        assert "no such" in json.loads(body)["error"]
    status, headers, body = fetch(f"{dashboard_url}/api/nothing-here")
    assert status == 404 and json.loads(body)["status"] == 404
    status, headers, body = fetch(f"{dashboard_url}/studies/{escaped('<script>x</script>')}")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert b"<script>x" not in body and b"&lt;script&gt;x" in body


@pytest.mark.parametrize("kind", ["history", "parallel", "importance", "intermediate"])
def test_plots_are_svg(dashboard_url: str, kind: str) -> None:
    url = f"{dashboard_url}/api/studies/{escaped(ODD_NAME)}/plots/{kind}.svg"
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(body)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert f"hq-plot-{kind}" in root.attrib["class"]
    assert "data-empty" not in root.attrib
    # The odd name is in the title, escaped (the parse above proves it).
    assert ODD_NAME in root.findtext("{http://www.w3.org/2000/svg}title", "")
    # Unchanged plots are answered with 304 when the browser revalidates.
    request = urllib.request.Request(url, headers={"If-None-Match": headers["Etag"]})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    raised.value.close()
    assert raised.value.code == 304


def test_unknown_plot_kind(dashboard_url: str) -> None:
    status, _, body = fetch(f"{dashboard_url}/api/studies/{DEMO_NAME}/plots/pie.svg")
    assert status == 404 and "pie" in json.loads(body)["error"]


def test_study_page_escapes_the_name(dashboard_url: str) -> None:
    status, headers, body = fetch(f"{dashboard_url}/studies/{escaped(ODD_NAME)}")
    assert status == 200
    page = body.decode()
    assert "<i>x</i>" not in page
    assert "a/b &lt;i&gt;x&lt;/i&gt; &amp; &quot;q&quot; &#x27;é&#x27; 100% ?#" in page
    assert f'data-api="/api/studies/{escaped(ODD_NAME)}"' in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "<script>" not in page  # no inline script: the CSP forbids it
    assert "http://" not in page and "https://" not in page  # nothing from a CDN


def test_password_is_never_shown(tmp_path: Any) -> None:
    from hpo_queue.dashboard.handlers import DashboardContext

    url = f"sqlite:///{tmp_path}/x.db"
    assert DashboardContext(url).storage_label == url
    masked = payloads.jsonable({"storage": hq.storages.mask_url("mysql://u:secret@h/db")})
    assert "secret" not in json.dumps(masked)


def test_metrics(dashboard_url: str) -> None:
    fetch(f"{dashboard_url}/api/studies")
    status, headers, body = fetch(f"{dashboard_url}/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    sample = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? [-+0-9.eInf]+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line
    assert "# TYPE hpo_queue_trials gauge" in text
    assert f'hpo_queue_trials{{study="{DEMO_NAME}",state="RUNNING"}} 1' in text
    odd = ODD_NAME.replace("\\", "\\\\").replace('"', '\\"')
    assert f'hpo_queue_best_value{{study="{odd}"}} ' in text
    assert 'hpo_queue_dashboard_requests_total{handler="api_studies",code="200"}' in text


def test_metrics_text_escapes_labels() -> None:
    summary = hq.StudySummary(
        study_name='x"\\\ny',
        study_id=1,
        directions=(hq.StudyDirection.MINIMIZE,),
        max_trials=None,
        n_trials=1,
        counts={"COMPLETE": 1},
        best_trial=hq.FrozenTrial(number=0, state=hq.TrialState.COMPLETE, values=[float("inf")]),
        datetime_created=__import__("datetime").datetime(2024, 1, 1),
    )
    text = payloads.metrics_text([summary], {("api_study", 200): 2})
    assert 'hpo_queue_trials{study="x\\"\\\\\\ny",state="COMPLETE"} 1' in text
    assert 'hpo_queue_best_value{study="x\\"\\\\\\ny"} +Inf' in text
    assert 'hpo_queue_dashboard_requests_total{handler="api_study",code="200"} 2' in text


def test_jsonable_keeps_json_strict() -> None:
    value = payloads.jsonable({"a": [float("nan"), float("inf"), -float("inf"), 1.5]})
    assert json.dumps(value, allow_nan=False) == '{"a": ["nan", "inf", "-inf", 1.5]}'
