"""The connection budget: a worker process opens at most HPO_DB_POOL_SIZE connections.

A node with concurrency c opens at most (c + 1) x HPO_DB_POOL_SIZE (its pool processes and
its main process's node agent). Run against a private MariaDB whose max_connections leaves
no room for more: a process that opened one connection too many would be refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from tests.support.fault_cluster import FaultCluster
from tests.support.private_servers import PrivateMariaDB, PrivateRedis

NODES, CONCURRENCY, POOL_SIZE = 2, 2, 1
# The nodes' budget, the coordinator's `hpo-queue submit --wait` (its default pool of 2),
# the test's own study handle (2), and this test's status query.
BUDGET = NODES * (CONCURRENCY + 1) * POOL_SIZE + 2 + 2 + 1


@pytest.fixture
def tight_mariadb() -> Iterator[PrivateMariaDB]:
    server = PrivateMariaDB(max_connections=BUDGET)
    try:
        server.start()
        yield server
    finally:
        server.remove()


def max_used_connections(server: PrivateMariaDB) -> int:
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", connect_timeout=5)
    with conn:
        cursor = conn.cursor()
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Max_used_connections'")
        row = cursor.fetchone()
        assert row is not None
        return int(row[1])


def test_workers_stay_within_the_connection_budget(
    tmp_path: Path, tight_mariadb: PrivateMariaDB
) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    cluster = FaultCluster(tmp_path, tight_mariadb, redis)
    try:
        study = cluster.create_study(16)
        for _ in range(NODES):
            cluster.start_worker(CONCURRENCY, HPO_DB_POOL_SIZE=str(POOL_SIZE))
        cluster.wait_for_workers_ready()
        started = time.monotonic()
        cluster.start_submit(16)
        cluster.wait_for_submit(120)
        outcome = cluster.check("connection budget", study, cap=16, started=started)
        assert outcome.ok, outcome.explain() + cluster.worker_logs()
        used = max_used_connections(tight_mariadb)
        assert used <= BUDGET
        assert "Too many connections" not in cluster.worker_logs()
    finally:
        cluster.stop()
        redis.kill()
