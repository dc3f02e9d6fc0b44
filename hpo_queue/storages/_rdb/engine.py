"""One SQLAlchemy engine per (URL, process): pooled, pre-pinged, and renewed after a fork."""

from __future__ import annotations

import os
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from hpo_queue.exceptions import InvalidInputError, StorageURLError
from hpo_queue.storages._rdb import clock
from hpo_queue.storages._url import mask_url

# A process holds at most this many connections to one store unless told otherwise: a
# worker's trial and its lease renewals each need one, and a server's connection limit is
# shared by every worker process of the fleet.
DEFAULT_POOL_SIZE = 2

_engines: dict[tuple[str, int, int], Engine] = {}
_lock = threading.Lock()


def get_engine(url: URL, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    """The process-wide engine for ``url``; in-memory SQLite gets a fresh private one.

    Args:
        url: the store.
        pool_size: the most connections the engine opens (no overflow); a caller waits for
            a free one. In-memory SQLite has one connection whatever this says.
    """
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
        raise InvalidInputError(f"pool_size must be a positive integer, got {pool_size!r}.")
    if _is_in_memory(url):
        return _create(url, pool_size)
    key = (url.render_as_string(hide_password=False), os.getpid(), pool_size)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = _create(url, pool_size)
        return engine


def _is_in_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _create(url: URL, pool_size: int) -> Engine:
    backend = url.get_backend_name()
    # pool_pre_ping tests a pooled connection before use (one round trip), so one left stale
    # by a database restart is replaced rather than failing a statement; run_with_retry
    # still covers a connection lost in the middle of a transaction. No overflow: the pool
    # size is a hard bound on the connections this process opens.
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": 0}
    if backend == "sqlite":
        kwargs.pop("pool_pre_ping")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
        if _is_in_memory(url):
            kwargs["poolclass"] = StaticPool
            del kwargs["pool_size"], kwargs["max_overflow"]
    elif backend == "mysql":
        # READ COMMITTED: no gap locks, so racing claims wait on the study row only.
        kwargs.update(isolation_level="READ COMMITTED", pool_recycle=3600)
    elif backend == "postgresql":
        kwargs.update(isolation_level="READ COMMITTED")
    if backend != "sqlite":
        # Every transaction goes through engine.begin(), which always commits or rolls back:
        # the pool's rollback-on-return would only add a round trip per transaction.
        kwargs["pool_reset_on_return"] = None
    try:
        engine = create_engine(url, **kwargs)
    except ModuleNotFoundError as exc:
        raise StorageURLError(
            f"No driver for {mask_url(url)}: install the {exc.name!r} package."
        ) from None
    if backend == "sqlite":
        _make_sqlite_transactions_immediate(engine, in_memory=_is_in_memory(url))
    return engine


def _make_sqlite_transactions_immediate(engine: Engine, *, in_memory: bool) -> None:
    # pysqlite defers BEGIN until the first write, which lets two transactions read the
    # same counters and then both write. BEGIN IMMEDIATE takes the write lock up front.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # The store's clock (clock.py): on one machine, the process clock.
        dbapi_connection.create_function(clock.SQLITE_NOW, 0, clock.sqlite_utc_now)
        dbapi_connection.create_function(clock.SQLITE_AFTER, 1, clock.sqlite_utc_after)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _dispose_inherited_engines() -> None:
    # A forked child must not reuse the parent's sockets; close=False leaves them to the parent.
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()


os.register_at_fork(after_in_child=_dispose_inherited_engines)
