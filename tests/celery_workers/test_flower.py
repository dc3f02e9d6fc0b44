"""Flower tells the story of a study: real Flower, real workers, Redis and MariaDB with passwords.

The broker and the store are reached as users with passwords of their own (a Redis ACL
user, a MariaDB user), so the test can check that neither password shows up anywhere
Flower displays. The same worker run checks that HPO_LOG_FORMAT=json makes its log JSON.
"""

from __future__ import annotations

import ast
import base64
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

import hpo_queue as hq
from hpo_queue.settings import Settings
from hpo_queue.trial import TrialState

pytestmark = [pytest.mark.redis, pytest.mark.mysql, pytest.mark.worker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WorkerStarter = Callable[..., subprocess.Popen[bytes]]  # the start_worker fixture (conftest)
FlowerStarter = Callable[..., str]  # the start_flower fixture (conftest)

REDIS_PASSWORD = "s3cret-pass"
DB_PASSWORD = "db-s3cret"
FLOWER_AUTH = "watcher:flower-pw"
STUDY = "flower-story"
OBJECTIVES = """\
def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2
"""
# Flower's HTML pages and JSON API: none may show a password.
PAGES = ("/", "/workers", "/tasks", "/broker", "/api/tasks", "/api/workers", "/metrics")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "hq_flower_objectives.py").write_text(OBJECTIVES)
    return tmp_path


@pytest.fixture
def redis_with_password(redis_url: str) -> Iterator[str]:
    """``redis_url`` as a Redis ACL user with a password, removed afterwards."""
    import redis

    user = f"hq_test_{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(redis_url)
    try:
        client.execute_command(
            "ACL", "SETUSER", user, "on", f">{REDIS_PASSWORD}", "~*", "&*", "+@all"
        )
    except redis.ResponseError as exc:  # Redis < 6 has no ACL
        client.close()
        pytest.skip(f"Redis without ACL users: {exc}")
    parts = urllib.parse.urlsplit(redis_url)
    netloc = f"{user}:{REDIS_PASSWORD}@{parts.hostname}:{parts.port or 6379}"
    try:
        yield urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    finally:
        client.execute_command("ACL", "DELUSER", user)
        client.close()


@pytest.fixture
def mysql_with_password(mysql_url: str) -> Iterator[str]:
    """``mysql_url`` as a MariaDB user with a password and rights on that database only."""
    import sqlalchemy as sa

    admin = make_url(mysql_url.replace("mysql://", "mysql+pymysql://", 1))
    user = f"hq_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{DB_PASSWORD}'")
        conn.exec_driver_sql(f"GRANT ALL ON `{admin.database}`.* TO '{user}'@'%%'")
    try:
        url = admin.set(username=user, password=DB_PASSWORD)
        yield url.render_as_string(hide_password=False).replace("mysql+pymysql://", "mysql://", 1)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
        engine.dispose()


@pytest.fixture
def secret_env(
    worker_env: dict[str, str], redis_with_password: str, mysql_with_password: str
) -> dict[str, str]:
    """Worker and Flower environment: password-carrying URLs, JSON logs."""
    return {
        **worker_env,
        "HPO_BROKER_URL": redis_with_password,
        "HPO_STORAGE_URL": mysql_with_password,
        "HPO_OBJECTIVE_MODULES": "hq_flower_objectives",
        "HPO_LOG_FORMAT": "json",
        # Celery warns about running as root before any logging is set up (CI containers
        # run as root); that plain-text warning is not the log under test.
        "PYTHONWARNINGS": "ignore::UserWarning",
    }


def fetch(url: str, auth: str | None = FLOWER_AUTH) -> tuple[int, str]:
    """GET ``url`` (with Flower's basic auth unless ``auth`` is None): status and body."""
    request = urllib.request.Request(url)
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def poll(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """``check()`` once it returns something truthy; Flower needs a moment for events."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Flower never showed {what}")
        time.sleep(0.3)


def test_flower_shows_trials_readably_and_no_password(
    start_worker: WorkerStarter,
    start_flower: FlowerStarter,
    secret_env: dict[str, str],
    workdir: Path,
) -> None:
    # The tasks page's columns as docker-compose.yml ships them.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    columns = compose["services"]["flower"]["environment"]["FLOWER_TASKS_COLUMNS"]
    flower = start_flower({**secret_env, "FLOWER_TASKS_COLUMNS": columns}, FLOWER_AUTH)
    start_worker(concurrency=2, env=secret_env)
    # This process keeps its text logs (the logging format is process-wide).
    coordinator_env = {
        k: v for k, v in secret_env.items() if k.startswith("HPO_") and k != "HPO_LOG_FORMAT"
    }
    settings = Settings.load(env=coordinator_env)
    study = hq.create_study(
        study_name=STUDY, storage=settings.storage_url, max_trials=3, settings=settings
    )
    job = study.submit("hq_flower_objectives:quadratic", n_trials=4)
    assert job.wait(timeout=60) == {"COMPLETE": 3, "cap_reached": 1}

    def finished_tasks() -> dict[str, Any] | None:
        status, body = fetch(f"{flower}/api/tasks")
        tasks = json.loads(body) if status == 200 else {}
        ours = {k: v for k, v in tasks.items() if k in job.task_ids}
        done = len(ours) == 4 and all(
            t["state"] == "SUCCESS" and t["result"] for t in ours.values()
        )
        return ours if done else None

    tasks = poll("the four finished trial tasks", finished_tasks)
    trials = {t.number: t for t in study.trials}
    outcomes = []
    for task in tasks.values():
        assert task["name"] == "hpo_queue.run_trial"
        assert task["sent"] and task["received"] and task["started"]  # all events arrive
        assert f"'study_name': '{STUDY}'" in task["kwargs"]
        assert "'objective_ref': 'hq_flower_objectives:quadratic'" in task["kwargs"]
        result = ast.literal_eval(task["result"])
        assert task["result"].startswith("{'status': ")  # the outcome first, then the trial
        assert result["study"] == STUDY
        if result["status"] == "finished":
            trial = trials[result["trial"]]
            assert result["state"] == TrialState.COMPLETE.name == trial.state.name
            assert result["values"] == trial.values
            assert result["worker"] == trial.worker
        outcomes.append(result["status"])
    assert sorted(outcomes) == ["cap_reached", "finished", "finished", "finished"]

    def workers_with_conf() -> dict[str, Any] | None:
        status, body = fetch(f"{flower}/api/workers?refresh=1")
        workers = json.loads(body) if status == 200 else {}
        return workers if workers and all("conf" in w for w in workers.values()) else None

    workers = poll("the worker and its configuration", workers_with_conf)
    (conf,) = (w["conf"] for w in workers.values())
    assert conf["worker_send_task_events"] is True
    assert REDIS_PASSWORD not in conf["broker_url"] and "**" in conf["broker_url"]
    assert REDIS_PASSWORD not in conf["result_backend"]

    # Without Flower's password: nothing, neither the API nor the pages.
    for path in ("/api/tasks", "/api/workers", "/tasks"):
        assert fetch(f"{flower}{path}", auth=None)[0] == 401, path
    assert fetch(f"{flower}/api/tasks", auth="watcher:wrong")[0] == 401
    # Flower leaves /metrics open for Prometheus: counts by task and worker name only.
    status, open_metrics = fetch(f"{flower}/metrics", auth=None)
    assert status == 200 and STUDY not in open_metrics

    (worker_name,) = workers
    task_id = next(iter(tasks))
    bodies = {}
    for path in (
        *PAGES,
        "/api/workers?refresh=1",
        f"/api/task/info/{task_id}",
        f"/task/{task_id}",
        f"/worker/{urllib.parse.quote(worker_name)}",
    ):
        status, body = fetch(f"{flower}{path}")
        assert status == 200, (path, status, body[:300])
        bodies[path] = body
    for path, body in [*bodies.items(), ("/metrics without auth", open_metrics)]:
        for secret in (REDIS_PASSWORD, DB_PASSWORD, "mysql://"):
            assert secret not in body, f"{secret!r} shown by Flower at {path}"
    assert STUDY in bodies["/tasks"] or STUDY in bodies["/api/tasks"]
    # The tasks page has a column for the study (kwargs) and for the trial (result).
    assert '<th data-column="kwargs">' in bodies["/tasks"]
    assert '<th data-column="result">' in bodies["/tasks"]
    assert "flower_events_total" in bodies["/metrics"]  # Flower's Prometheus metrics

    # HPO_LOG_FORMAT=json: every line of the worker's log is one JSON object, and each trial
    # event line names the study, the trial and the worker.
    lines = [line for line in (workdir / "worker-0.log").read_text().splitlines() if line]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"worker log line is not JSON: {line!r}")
    events = [r for r in records if r.get("event", "").startswith("trial_")]
    by_event: dict[str, set[int]] = {}
    for record in events:
        assert record["study"] == STUDY and record["worker"] and "state" in record, record
        by_event.setdefault(record["event"], set()).add(record["trial"])
    assert by_event == {"trial_claimed": set(trials), "trial_finished": set(trials)}
    finished = [r for r in events if r["event"] == "trial_finished"]
    assert all(r["value"] == trials[r["trial"]].values for r in finished)
    assert any(r["logger"].startswith("celery") for r in records)  # Celery's lines too
    assert any(r.get("event") == "cap_reached" for r in records)
