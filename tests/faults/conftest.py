"""Fixtures for the fault suite: a private MariaDB per module, a private Redis per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fault_cluster import FaultCluster
from tests.support.private_servers import PrivateMariaDB, PrivateRedis


@pytest.fixture(scope="module")
def private_mariadb() -> Iterator[PrivateMariaDB]:
    server = PrivateMariaDB()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def cluster(tmp_path: Path, private_mariadb: PrivateMariaDB) -> Iterator[FaultCluster]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    if private_mariadb.process is None or private_mariadb.process.poll() is not None:
        private_mariadb.start()  # a scenario before this one stopped it
    cluster = FaultCluster(tmp_path, private_mariadb, redis)
    try:
        yield cluster
    finally:
        cluster.stop()
        redis.kill()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here starts workers and private servers: the `faults` and `worker` marks."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.worker)
            item.add_marker(pytest.mark.slow)


def require_faketime() -> str:
    path = shutil.which("faketime")
    if path is None:
        import os

        message = "faketime is not installed (apt-get install faketime): the clock-skew fault"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path
