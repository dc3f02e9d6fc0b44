"""The schema's version: a new store is created at the current one, and a store at another
is refused with what to do (``upgrade.py`` brings an old one forward).

The version row (hq_version_info) is what every process checks when it opens a store;
alembic's table (hq_alembic_version) says which migration ran last. Each migration raises
the version by one, so the two stay in step: revision "v<N>" leaves a store at version N.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, inspect, select, text

from hpo_queue.exceptions import SchemaVersionError
from hpo_queue.storages._rdb import schema

if TYPE_CHECKING:
    from hpo_queue.storages._rdb.codec import AnyRow

UPGRADE_COMMAND = "hpo-queue storage upgrade --storage {url}"
# An arbitrary key for PostgreSQL's advisory lock on creating the tables.
_PG_CREATION_LOCK = 0x6871_0001


def revision_for(version: int) -> str:
    """The alembic revision that leaves a store at schema ``version``."""
    return f"v{version}"


def open_schema(conn: Connection, url: str) -> None:
    """Create the tables at the current version in an empty database, else check its version.

    Racing processes may both try to create the tables: the caller retries this when one
    fails because the other created a table or inserted a version row first.

    Raises:
        SchemaVersionError: the store is at another version than this release's.
    """
    row = read_version_row(conn)
    if row is None:
        with _creation_lock(conn):
            row = read_version_row(conn)  # another process may have created it meanwhile
            if row is None:
                _create(conn)
                return
    check_version(row, url)


def _create(conn: Connection) -> None:
    from hpo_queue import __version__

    # Created at the head directly: the migrations are for stores that already hold data.
    schema.metadata.create_all(conn, checkfirst=True)
    conn.execute(
        insert(schema.version_info).values(
            version_info_id=1,
            schema_version=schema.SCHEMA_VERSION,
            library_version=__version__,
        )
    )
    # After the version row: on MySQL this DDL commits it, before the lock is released.
    schema.alembic_version.create(conn, checkfirst=True)
    conn.execute(
        insert(schema.alembic_version).values(version_num=revision_for(schema.SCHEMA_VERSION))
    )


@contextlib.contextmanager
def _creation_lock(conn: Connection) -> Iterator[None]:
    """Let one process at a time create the tables of a new database.

    MySQL's DDL is not transactional, so racing creators would interleave their CREATE
    TABLEs; PostgreSQL's would fail on each other's catalog rows; SQLite's BEGIN IMMEDIATE
    serializes them already. A creator that loses a race anyway (a lock wait that timed out)
    fails on a duplicate and is retried by the storage.
    """
    backend = conn.dialect.name
    if backend == "postgresql":
        # Advisory locks are per database; a transaction-level one ends with the transaction.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CREATION_LOCK})
        yield
    elif backend == "mysql":
        # Named locks are per server (and per session): name the database.
        name = text("CONCAT('hq_create_', DATABASE())")
        conn.execute(select(func.get_lock(name, 60)))
        try:
            yield
        finally:
            conn.execute(select(func.release_lock(name)))
    else:
        yield


def read_version_row(conn: Connection) -> AnyRow | None:
    """The store's version row, or None in a database with no hpo-queue version row."""
    if not inspect(conn).has_table(schema.version_info.name):
        return None
    return conn.execute(select(schema.version_info)).one_or_none()


def check_version(row: AnyRow, url: str) -> None:
    """Raise SchemaVersionError unless the version row says this release's version.

    Args:
        row: the store's version row.
        url: the store's URL with its password masked, for the message.
    """
    from hpo_queue import __version__

    found, wanted = int(row.schema_version), schema.SCHEMA_VERSION
    if found < wanted:
        raise SchemaVersionError(
            f"{url} holds schema version {found} (written by hpo-queue {row.library_version}); "
            f"hpo-queue {__version__} needs version {wanted}. Back the database up, stop "
            f"every worker, then run: {UPGRADE_COMMAND.format(url=url)}"
        )
    if found > wanted:
        raise SchemaVersionError(
            f"{url} holds schema version {found} (written by hpo-queue {row.library_version}), "
            f"newer than version {wanted} of hpo-queue {__version__}: install the release "
            "that wrote it (or a later one) to open this store."
        )
