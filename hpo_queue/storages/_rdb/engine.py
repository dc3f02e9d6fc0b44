"""One SQLAlchemy engine per (URL, process): pooled, pre-pinged, and renewed after a fork."""

from __future__ import annotations

import os
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from hpo_queue.exceptions import StorageURLError
from hpo_queue.storages._url import mask_url

_engines: dict[tuple[str, int], Engine] = {}
_lock = threading.Lock()


def get_engine(url: URL) -> Engine:
    """The process-wide engine for ``url``; in-memory SQLite gets a fresh private one."""
    if _is_in_memory(url):
        return _create(url)
    key = (url.render_as_string(hide_password=False), os.getpid())
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = _create(url)
        return engine


def _is_in_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _create(url: URL) -> Engine:
    backend = url.get_backend_name()
    # pool_pre_ping tests a pooled connection before use (one round trip), so one left stale
    # by a database restart is replaced rather than failing a statement; run_with_retry
    # still covers a connection lost in the middle of a transaction.
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "sqlite":
        kwargs.pop("pool_pre_ping")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
        if _is_in_memory(url):
            kwargs["poolclass"] = StaticPool
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
