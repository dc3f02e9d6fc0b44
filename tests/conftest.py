"""Shared fixtures: real MariaDB/MySQL, Redis and RabbitMQ, each test on a database of its own.

Tests that need a server fail when it is missing in CI (CI=true or HPO_REQUIRE_SERVICES=1)
and are skipped, with the reason, on a laptop without servers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

MYSQL_ADMIN_URL = os.environ.get("HPO_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("HPO_TEST_REDIS_URL", "redis://127.0.0.1:6379")
RABBITMQ_URL = os.environ.get("HPO_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
POSTGRES_ADMIN_URL = os.environ.get(
    "HPO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def services_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get(
        "HPO_REQUIRE_SERVICES", ""
    ) in ("1", "true", "yes")


def _unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({exc}); start it or set the HPO_TEST_* URL."
    if services_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _mysql_server_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(MYSQL_ADMIN_URL.replace("mysql://", "mysql+pymysql://", 1)).render_as_string(
        hide_password=False
    )


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A fresh, empty MySQL database for one test; dropped afterwards."""
    import sqlalchemy as sa

    engine = sa.create_engine(_mysql_server_url(), pool_pre_ping=True)
    name = f"hq_test_{uuid.uuid4().hex[:12]}"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    except Exception as exc:
        engine.dispose()
        _unavailable(f"MySQL at {MYSQL_ADMIN_URL}", exc)
    url = sa.engine.make_url(_mysql_server_url()).set(database=name)
    try:
        yield url.render_as_string(hide_password=False).replace("mysql+pymysql://", "mysql://", 1)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{os.path.join(tmp_path, 'study.db')}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(POSTGRES_ADMIN_URL)
    params = {
        "host": admin.host,
        "port": admin.port or 5432,
        "user": admin.username,
        "password": admin.password,
        "dbname": admin.database,
    }
    name = f"hq_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(**params, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE {name}")
    except Exception as exc:
        _unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL}", exc)
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "mysql", "postgresql"])
def storage_url(request: pytest.FixtureRequest) -> str:
    """Runs a test on a SQLite file, on MySQL and on PostgreSQL."""
    fixture = {"sqlite": "sqlite_url", "mysql": "mysql_url", "postgresql": "postgres_url"}
    return str(request.getfixturevalue(fixture[request.param]))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database index of its own, flushed before and after the test.

    Indexes 1-15 are leased through a key in db 0, so test runs on one machine (a
    developer's and CI's, say) do not flush each other's queues.
    """
    import redis

    base = REDIS_URL.rstrip("/")
    admin = redis.Redis.from_url(f"{base}/0")
    token = uuid.uuid4().hex
    try:
        index = next(
            (n for n in range(1, 16) if admin.set(f"hq-test-lease:{n}", token, nx=True, ex=1800)),
            None,
        )
    except Exception as exc:
        admin.close()
        _unavailable(f"Redis at {REDIS_URL}", exc)
    if index is None:
        admin.close()
        pytest.fail("Every Redis test database (1-15) is leased; wait for other runs to end.")
    url = f"{base}/{index}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
        if admin.get(f"hq-test-lease:{index}") == token.encode():
            admin.delete(f"hq-test-lease:{index}")
        admin.close()


@pytest.fixture
def rabbitmq_url() -> str:
    """The URL of a RabbitMQ broker that answers.

    Tests share its default vhost, so each one keeps to a queue of its own (a unique name
    passed to ``submit(queue=...)`` and to the worker's ``-Q``).
    """
    import kombu

    connection = kombu.Connection(RABBITMQ_URL, connect_timeout=3)
    try:
        connection.ensure_connection(max_retries=1)
    except Exception as exc:
        _unavailable(f"RabbitMQ at {RABBITMQ_URL}", exc)
    finally:
        connection.release()
    return RABBITMQ_URL
