"""Fixtures that start real `celery -A hpo_queue.worker worker` processes, and always stop them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.worker_processes import stop_processes, worker_command

WorkerStarter = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The directory workers start in; a test module overrides it to add objective modules."""
    return tmp_path


@pytest.fixture
def worker_env(mysql_url: str, redis_url: str) -> dict[str, str]:
    """The environment of a worker: this test's MySQL database and Redis index, fast beats."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
    env.update(
        HPO_BROKER_URL=redis_url,
        HPO_STORAGE_URL=mysql_url,
        HPO_OBJECTIVE_MODULES="hq_e2e_objectives",
        HPO_HEARTBEAT_INTERVAL="0.5",
        HPO_HEARTBEAT_GRACE="3",
        HPO_MAX_RETRIES="2",
    )
    return env


@pytest.fixture
def start_worker(workdir: Path, worker_env: dict[str, str]) -> Iterator[WorkerStarter]:
    """Starts `celery -A hpo_queue.worker worker` processes; always stops them afterwards.

    ``queues`` (comma-separated) replaces the default queue the worker consumes from.
    Worker ``i`` writes its stdout (Celery's banner) to ``workdir/worker-i.out`` and its
    stderr (the log) to ``workdir/worker-i.log``.
    """
    started: list[subprocess.Popen[bytes]] = []

    def start(
        concurrency: int = 2, env: dict[str, str] | None = None, queues: str | None = None
    ) -> subprocess.Popen[bytes]:
        index = len(started)
        consume = [f"--queues={queues}"] if queues else []
        with (
            open(workdir / f"worker-{index}.out", "wb") as out,
            open(workdir / f"worker-{index}.log", "wb") as log,
        ):
            process = subprocess.Popen(
                worker_command(concurrency, f"hq-test-{index}", *consume),
                cwd=workdir,
                env=env or worker_env,
                stdout=out,
                stderr=log,
                start_new_session=True,
            )
        started.append(process)
        return process

    yield start
    stop_processes(started)


FlowerStarter = Callable[..., str]


@pytest.fixture
def start_flower(workdir: Path) -> Iterator[FlowerStarter]:
    """Starts `celery -A hpo_queue.worker flower` on a free local port; returns its base URL.

    Flower writes its output to ``workdir/flower.log``; it is always stopped afterwards.
    """
    started: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str], basic_auth: str) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with open(workdir / "flower.log", "wb") as log:
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "hpo_queue.worker",
                        "flower",
                        "--address=127.0.0.1",
                        f"--port={port}",
                        f"--basic-auth={basic_auth}",
                    ],
                    cwd=workdir,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthcheck", timeout=2):
                    return base
            except urllib.error.HTTPError:
                return base  # it answers (e.g. asks for a password): it is up
            except OSError:
                if started[-1].poll() is not None or time.monotonic() > deadline:
                    log_text = (workdir / "flower.log").read_text(errors="replace")
                    raise AssertionError(f"Flower did not start:\n{log_text}") from None
                time.sleep(0.2)

    yield start
    stop_processes(started)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder starts worker processes: `-m "not worker"` skips them all."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.worker)
