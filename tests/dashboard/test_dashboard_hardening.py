"""The dashboard's guards, over real HTTP: Host header (DNS rebinding), exposure warning, limit."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from hpo_queue.dashboard import payloads
from hpo_queue.dashboard.hosts import exposure_warning, host_name, host_policy, is_loopback
from hpo_queue.exceptions import ConfigError
from tests.dashboard.conftest import DEMO_NAME, N_TRIALS, running_dashboard

PATHS = ("/", "/api/studies", "/metrics", "/static/dashboard.js", "/api/studies/demo/trials")


def request(base_url: str, path: str, host: str | None = None) -> tuple[int, str, bytes]:
    """GET ``path`` with the given Host header; (status, content type, body)."""
    address = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", PATHS)
def test_a_foreign_host_header_is_refused(dashboard_url: str, path: str) -> None:
    port = urllib.parse.urlsplit(dashboard_url).port
    status, content_type, body = request(dashboard_url, path, f"rebind.example.com:{port}")
    assert status == 403
    assert content_type.startswith("text/plain")
    text = body.decode()
    assert "'rebind.example.com:" in text and "--allowed-host" in text
    assert "demo" not in text and "hpo_queue_trials" not in text


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "localhost.", "LOCALHOST:{port}"])
def test_loopback_host_headers_are_answered(dashboard_url: str, host: str) -> None:
    port = urllib.parse.urlsplit(dashboard_url).port
    status, _, body = request(dashboard_url, "/api/studies", host.format(port=port))
    assert status == 200
    assert DEMO_NAME in {s["name"] for s in json.loads(body)["studies"]}


def test_the_loopback_dashboard_prints_no_exposure_warning(
    demo_storage: str, tmp_path: Path
) -> None:
    log = tmp_path / "dashboard.log"
    with running_dashboard(demo_storage, log, "--host", "127.0.0.1"):
        pass
    assert "no login" not in log.read_text()


def test_a_wildcard_bind_warns_and_answers_only_its_names(
    demo_storage: str, tmp_path: Path
) -> None:
    log = tmp_path / "dashboard.log"
    env = {"HPO_DASHBOARD_ALLOWED_HOSTS": "from-env.example.com"}
    options = ("--host", "0.0.0.0", "--allowed-host", "dash.example.com")
    with running_dashboard(demo_storage, log, *options, env=env) as url:
        base = url.replace("0.0.0.0", "127.0.0.1")
        assert request(base, "/api/studies", "dash.example.com")[0] == 200
        assert request(base, "/api/studies", "10.20.30.40:8080")[0] == 200  # no DNS: no rebind
        assert request(base, "/api/studies", "evil.example.com")[0] == 403
        # --allowed-host replaces the environment's list, as an option beats its variable.
        assert request(base, "/api/studies", "from-env.example.com")[0] == 403
    warnings = [line for line in log.read_text().splitlines() if "no login" in line]
    assert len(warnings) == 1
    assert "proxy with authentication" in warnings[0] and "--host 127.0.0.1" in warnings[0]


def test_allowed_hosts_come_from_the_environment(demo_storage: str, tmp_path: Path) -> None:
    env = {"HPO_DASHBOARD_ALLOWED_HOSTS": "a.example.com, b.example.com"}
    with running_dashboard(demo_storage, tmp_path / "log", env=env) as url:
        assert request(url, "/api/studies", "b.example.com:443")[0] == 200
        assert request(url, "/api/studies", "c.example.com")[0] == 403


def test_a_url_as_allowed_host_is_a_one_line_error(demo_storage: str) -> None:
    command = [sys.executable, "-m", "hpo_queue", "dashboard", "--storage", demo_storage]
    command += ["--port", "0", "--allowed-host", "https://dash.example.com/"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a host name" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "limit", ["0", "-1", "many", "1.5", str(payloads.MAX_TRIALS_LIMIT + 1), "9" * 400]
)
def test_a_bad_or_huge_limit_is_a_400(dashboard_url: str, limit: str) -> None:
    status, content_type, body = request(dashboard_url, f"/api/studies/demo/trials?limit={limit}")
    assert status == 400
    assert content_type.startswith("application/json")
    error = json.loads(body)["error"]
    assert f"from 1 to {payloads.MAX_TRIALS_LIMIT}" in error
    assert len(error) < 200  # a huge value is cut, not echoed whole


def test_the_largest_limit_is_served(dashboard_url: str) -> None:
    status, _, body = request(
        dashboard_url, f"/api/studies/demo/trials?limit={payloads.MAX_TRIALS_LIMIT}"
    )
    assert status == 200
    assert json.loads(body)["returned"] == N_TRIALS + 1


def test_host_names_are_normalized() -> None:
    assert host_name("Example.COM.:8080") == "example.com"
    assert host_name("[::1]:8080") == "::1"
    assert host_name("::1") == "::1"
    assert host_name("0:0:0:0:0:0:0:1") == "::1"
    assert host_name("10.0.0.5") == "10.0.0.5"


def test_host_policy_of_each_bind() -> None:
    loopback = host_policy("127.0.0.1")
    assert loopback.allows("localhost:8080") and loopback.allows("127.0.0.7")
    assert loopback.allows("[::1]:8080")
    assert not loopback.allows("10.0.0.5") and not loopback.allows("evil.example.com")
    private = host_policy("10.0.0.5", ["dash.example.com"])
    assert private.allows("10.0.0.5:8080") and private.allows("DASH.example.com")
    assert not private.allows("10.0.0.6") and not private.allows("example.com")
    assert host_policy("::1").allows("[0::1]")
    anything = host_policy("10.0.0.5", ["*"])
    assert anything.allows("evil.example.com")
    for bad in ("", "http://x", "a b", "user@host"):
        with pytest.raises(ConfigError, match="not a host name"):
            host_policy("127.0.0.1", [bad])


def test_exposure_warning_only_beyond_loopback() -> None:
    for address in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert exposure_warning(address) is None
        assert is_loopback(address)
    for address in ("0.0.0.0", "::", "10.0.0.5", "dash.example.com"):
        warning = exposure_warning(address)
        assert warning is not None and "no login" in warning
        assert not is_loopback(address)
