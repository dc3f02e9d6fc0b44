"""The dashboard in headless Chromium: the pages load without console errors and draw the plots.

Console errors are caught two ways: Chromium's own log (``--enable-logging=stderr`` prints
every console message, uncaught exception, failed load and CSP violation as an
``INFO:CONSOLE`` line, and the dashboard logs nothing when all is well), and the page's
errors.js, which counts window errors and console.error calls in ``<html data-errors>``,
visible in the dumped DOM.

Needs Debian's ``chromium`` package: the test fails without it in CI (CI=true), and is skipped
elsewhere. Set HPO_DASHBOARD_SCREENSHOT=/path.png to keep the screenshot.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.dashboard.conftest import ODD_NAME, PARETO_NAME

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    message = "headless Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def run_chromium(url: str, profile: Path, *extra: str) -> tuple[str, str]:
    """(stdout, stderr) of headless Chromium on ``url``, after the page's scripts have run."""
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        # Virtual time: the fetches and the first refreshes finish before the DOM is dumped.
        "--virtual-time-budget=4000",
        *extra,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, done.stderr


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_study_page_draws_the_plots(dashboard_url: str, tmp_path: Path) -> None:
    url = f"{dashboard_url}/studies/{urllib.parse.quote(ODD_NAME, safe='')}"
    dom, stderr = run_chromium(url, tmp_path / "profile", "--dump-dom")
    assert console_messages(stderr) == []
    assert '<html lang="en" data-errors="0">' in dom
    # Every plot was fetched, parsed as SVG and swapped into the page.
    for kind in ("history", "parallel", "importance", "intermediate", "slice", "edf", "timeline"):
        match = re.search(rf'<svg [^>]*class="hq-plot hq-plot-{kind}"[^>]*>', dom)
        assert match is not None, f"no {kind} plot in the page"
        assert "data-empty" not in match.group(0)
    assert len(re.findall(r'<circle class="hq-point"', dom)) > 20
    assert len(re.findall(r'<polyline class="hq-line"', dom)) > 5
    assert len(re.findall(r'<rect class="hq-bar"', dom)) == 4
    assert len(re.findall(r'<polyline class="hq-curve"', dom)) > 5
    # The live parts were filled in from the JSON API; the odd name stayed text.
    assert re.search(r'id="count-running"[^>]*>.*?<strong>1</strong>', dom)
    assert re.search(r'id="card-trials">31<', dom)
    assert dom.count("<tr>") > 30  # the trials table
    assert "<i>x</i>" not in dom
    assert "a/b &lt;i&gt;x&lt;/i&gt;" in dom


def test_studies_page_lists_the_studies(dashboard_url: str, tmp_path: Path) -> None:
    dom, stderr = run_chromium(f"{dashboard_url}/", tmp_path / "profile", "--dump-dom")
    assert console_messages(stderr) == []
    assert 'data-errors="0"' in dom
    assert '<a href="/studies/demo">demo</a>' in dom
    odd_link = "/studies/" + urllib.parse.quote(ODD_NAME, safe="").replace("%27", "'")
    assert f'href="{odd_link}"' in dom


def test_screenshot(dashboard_url: str, tmp_path: Path) -> None:
    target = Path(os.environ.get("HPO_DASHBOARD_SCREENSHOT", tmp_path / "dashboard.png"))
    url = f"{dashboard_url}/studies/demo"
    _, stderr = run_chromium(
        url, tmp_path / "profile", f"--screenshot={target}", "--window-size=1400,1000"
    )
    assert console_messages(stderr) == []
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 30_000


def test_multi_objective_page_draws_the_front_and_fail_reasons(
    dashboard_url: str, tmp_path: Path
) -> None:
    study_url = "/studies/" + urllib.parse.quote(PARETO_NAME, safe="")
    dom, stderr = run_chromium(dashboard_url + study_url, tmp_path / "profile", "--dump-dom")
    assert console_messages(stderr) == []
    assert '<html lang="en" data-errors="0">' in dom
    match = re.search(r'<svg [^>]*class="hq-plot hq-plot-pareto"[^>]*>', dom)
    assert match is not None and "data-empty" not in match.group(0)
    assert len(re.findall(r'<circle class="hq-point hq-front-point"', dom)) > 0
    assert "hq-plot-history" not in dom
    # The front table: objective names as headers, each trial linking to its page.
    best = re.search(r'<table class="hq-table" id="best-table">.*?</table>', dom, re.S)
    assert best is not None
    assert "loss &lt;l&gt; (minimize)" in best.group(0) and "accuracy (maximize)" in best.group(0)
    assert f'href="{study_url}/trials/' in best.group(0)
    assert "Parameter" not in best.group(0)
    # Fail reasons, grouped, shown.
    fails = re.search(r'<div class="hq-card hq-table-card" id="fail-card">.*?</table>', dom, re.S)
    assert fails is not None, "the fail-reasons card is hidden or missing"
    assert "ValueError: x is too big" in fails.group(0)
    assert "RuntimeError: CUDA out of memory" in fails.group(0)


def test_trial_page_renders_without_errors(dashboard_url: str, tmp_path: Path) -> None:
    url = f"{dashboard_url}/studies/{urllib.parse.quote(ODD_NAME, safe='')}/trials/0"
    dom, stderr = run_chromium(url, tmp_path / "profile", "--dump-dom")
    assert console_messages(stderr) == []
    assert '<html lang="en" data-errors="0">' in dom
    assert "Trial #0" in dom
    assert re.search(r'<table class="hq-table" id="trial-params">.*?optimizer', dom, re.S)


@pytest.mark.parametrize(
    ("page", "name"),
    [(PARETO_NAME, "pareto.png"), (ODD_NAME + "/trials/0", "trial.png")],
    ids=["pareto", "trial"],
)
def test_screenshot_of_the_new_views(
    dashboard_url: str, tmp_path: Path, page: str, name: str
) -> None:
    folder = os.environ.get("HPO_DASHBOARD_SCREENSHOT_DIR")
    target = Path(folder) / name if folder else tmp_path / name
    study, _, rest = page.partition("/trials/")
    url = f"{dashboard_url}/studies/{urllib.parse.quote(study, safe='')}"
    if rest:
        url += f"/trials/{rest}"
    _, stderr = run_chromium(
        url, tmp_path / "profile", f"--screenshot={target}", "--window-size=1400,1800"
    )
    assert console_messages(stderr) == []
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 30_000
