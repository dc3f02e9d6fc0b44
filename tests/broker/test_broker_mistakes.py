"""Broker mistakes are said, not silent: a missing broker URL, an unreachable broker, a full
study, and a wait on tasks that no worker takes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

import hpo_queue as hq
from hpo_queue.broker.app import celery_config
from hpo_queue.broker.wakeups import broker_error_reason
from hpo_queue.cli import main
from hpo_queue.exceptions import BrokerNotConfiguredError
from hpo_queue.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HPO_STORAGE_URL", "HPO_BROKER_URL", "HPO_RESULT_BACKEND", "HPO_CONFIG"):
        monkeypatch.delenv(var, raising=False)


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("hpo-queue: error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _submit_argv(url: str, *extra: str) -> list[str]:
    return [
        "submit",
        "--storage",
        url,
        "--study-name",
        "s",
        "--objective",
        "foo:objective",
        *extra,
    ]


def test_the_embedded_broker_is_refused_with_a_mysql_storage(
    mysql_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    study = hq.create_study(study_name="s", storage=mysql_url)
    assert main(_submit_argv(mysql_url, "--n-trials", "3", "--wait")) == 1
    line = _error_line(capsys)
    assert "HPO_BROKER_URL is not set" in line
    assert "HPO_BROKER_URL=redis://" in line
    assert f"HPO_BROKER_URL=sqla+sqlite:///{tmp_path}" in line  # how to ask for it anyway
    assert study.storage.list_active_jobs() == []  # nothing recorded, nothing sent
    assert list(tmp_path.iterdir()) == []  # no broker file in the current directory
    with pytest.raises(BrokerNotConfiguredError, match="HPO_BROKER_URL"):
        study.submit("foo:objective", n_trials=1)
    # A worker (its settings name the storage) is refused the same way.
    with pytest.raises(BrokerNotConfiguredError):
        celery_config(Settings(storage_url=mysql_url))


def test_a_worker_without_a_broker_url_for_a_mysql_store_exits_with_one_line(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
    env["HPO_STORAGE_URL"] = "mysql://hpo@db-host.invalid/hpo"  # refused before any connection
    done = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "hpo_queue.worker", "worker", "--pool=solo"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("hpo-queue: error: HPO_BROKER_URL is not set"), done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_embedded_broker_named_explicitly_is_used(mysql_url: str, tmp_path: Path) -> None:
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    config = celery_config(Settings(storage_url=mysql_url, broker_url=broker))
    assert config["broker_url"] == broker


def test_an_unreachable_broker_names_the_reason(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hq.create_study(study_name="s", storage=sqlite_url)
    port = _closed_port()
    monkeypatch.setenv("HPO_BROKER_URL", f"redis://:s3cret@127.0.0.1:{port}/0")
    assert main(_submit_argv(sqlite_url, "--n-trials", "2")) == 1
    line = _error_line(capsys)
    assert f"redis://:***@127.0.0.1:{port}/0" in line and "s3cret" not in line
    assert "Connection refused" in line and "[Errno" in line
    assert line.endswith("Is it running, and is HPO_BROKER_URL right?")


def test_a_multi_line_wrapper_gives_the_reason_it_wraps() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as inner:
            raise RuntimeError("\nRetry limit exceeded while trying to reconnect\n") from inner
    except RuntimeError as exc:
        reason = broker_error_reason(exc)
    assert reason == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_a_submit_to_a_study_at_its_cap_sends_no_task(
    sqlite_url: str,
    redis_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HPO_BROKER_URL", redis_url)
    queue = f"cap-{uuid.uuid4().hex[:8]}"
    study = hq.create_study(study_name="s", storage=sqlite_url, max_trials=2)
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), 2.0)
    assert main(_submit_argv(sqlite_url, "--n-trials", "3", "--queue", queue, "--wait")) == 0
    out, err = capsys.readouterr()
    assert "Submitted 0 trial task(s)" in out
    assert "This job's trials: cap_reached 3" in out
    assert "is at its cap (max_trials=2): none of the 3 trial task(s) can run" in err
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.llen(queue) == 0
        # With room for one more, the warning says how many can still run; all are sent.
        study.storage.set_max_trials(study.study_id, 3)
        assert main(_submit_argv(sqlite_url, "--n-trials", "3", "--queue", queue)) == 0
        out, err = capsys.readouterr()
        assert "Submitted 3 trial task(s)" in out
        assert "room for 1 more trial(s)" in err and "2 of the 3 trial task(s)" in err
        assert client.llen(queue) == 3
    finally:
        client.close()


def test_wait_says_once_when_no_worker_takes_a_task(
    sqlite_url: str, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(broker_url=redis_url, storage_url=sqlite_url)
    study = hq.create_study(study_name="s", storage=sqlite_url, settings=settings)
    queue = f"idle-{uuid.uuid4().hex[:8]}"  # no worker consumes it
    job = study.submit("foo:objective", n_trials=2, queue=queue)
    capsys.readouterr()
    with pytest.raises(TimeoutError):
        job.wait(timeout=2.5, no_worker_notice=0.5)
    err = capsys.readouterr().err
    assert err.count("No worker has taken a task") == 1, err
    assert f"on queue {queue!r}" in err
    assert redis_url.rsplit("/", 1)[0] in err
    job.cancel()


def test_submit_with_storage_on_the_command_line_puts_the_embedded_broker_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Where a worker with HPO_STORAGE_URL set to the same file looks for it; not the cwd.
    (tmp_path / "data").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    url = f"sqlite:///{tmp_path / 'data' / 'study.db'}"
    hq.create_study(study_name="s", storage=url)
    assert main(_submit_argv(url, "--n-trials", "1")) == 0
    broker = tmp_path / "data" / "hpo-queue-broker.sqlite"
    assert f"to sqla+sqlite:///{broker} " in capsys.readouterr().out
    assert broker.exists()
    assert list((tmp_path / "elsewhere").iterdir()) == []
