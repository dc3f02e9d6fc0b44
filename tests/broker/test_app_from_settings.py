"""The Celery app is built from the Settings it is given: no import-time app, no global patches."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.broker import app_for
from hpo_queue.settings import Settings

PACKAGE = Path(hq.__file__).parent

IMPORT_AND_REPORT = """
import json, sys
import kombu.transport
aliases = dict(kombu.transport.TRANSPORT_ALIASES)
import hpo_queue, hpo_queue.broker, hpo_queue.worker, hpo_queue.cli
import celery._state
print(json.dumps({
    "apps": len(celery._state._apps),
    "aliases_unchanged": aliases == dict(kombu.transport.TRANSPORT_ALIASES),
    "workers_imported": [m for m in sys.modules if m == "workers" or m.startswith("workers.")],
}))
"""


def test_importing_the_library_builds_no_app_and_patches_nothing(tmp_path: Path) -> None:
    # A user's own `workers` package beside the script must not be touched either.
    (tmp_path / "workers").mkdir()
    (tmp_path / "workers" / "__init__.py").write_text("raise SystemExit('user workers imported')")
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_REPORT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == {"apps": 0, "aliases_unchanged": True, "workers_imported": []}


def test_no_module_of_the_library_imports_the_checkout_entry_point() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "workers"]
    assert offenders == []


def test_the_checkout_entry_point_holds_only_the_library_app() -> None:
    entry = PACKAGE.parent / "workers"
    assert sorted(p.name for p in entry.iterdir() if p.suffix == ".py") == ["__init__.py"]
    import hpo_queue.worker
    import workers

    assert workers.app is hpo_queue.worker.app
    assert "hpo_queue.run_trial" in workers.app.tasks


def test_submitting_uses_the_studys_broker_not_the_environments(
    redis_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    monkeypatch.setenv("HPO_BROKER_URL", "amqp://nobody:wrong@127.0.0.1:1//")
    settings = Settings(broker_url=redis_url)
    study = hq.create_study(storage=sqlite_url, settings=settings)
    assert app_for(settings).conf.broker_url == redis_url
    job = study.submit("hq_nowhere:objective", n_trials=3, queue="hq-test-settings-broker")
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.llen("hq-test-settings-broker") == 3
        message = json.loads(client.lindex("hq-test-settings-broker", 0))  # type: ignore[arg-type]
        assert message["headers"]["task"] == "hpo_queue.run_trial"
        assert message["headers"]["id"] in job.task_ids
    finally:
        client.delete("hq-test-settings-broker")
        client.close()


def test_two_apps_in_one_process_keep_their_own_brokers() -> None:
    first = app_for(Settings(broker_url="redis://127.0.0.1:6379/7"))
    second = app_for(Settings(broker_url="amqp://guest:guest@127.0.0.1:5672//"))
    assert first is not second
    assert first.conf.broker_url.endswith("/7")
    assert second.conf.broker_url.startswith("amqp://")


def test_submit_refuses_a_study_the_workers_cannot_see() -> None:
    from hpo_queue.exceptions import InvalidInputError

    study = hq.create_study()  # held in this process
    with pytest.raises(InvalidInputError, match="storage the workers can reach"):
        study.submit("hq_nowhere:objective", n_trials=1)
