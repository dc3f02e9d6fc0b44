"""The store's clock in SQL: now, and now plus some seconds, read by the database itself.

Leases and job times are measured on the database server's clock, so that every node,
whatever its own clock says, judges a lease the same way. Each dialect spells it its own
way; SQLite (one machine) uses the process clock through two functions registered on each
connection (``engine.py``), in the text format SQLAlchemy stores SQLite datetimes in.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from hpo_queue.storages._validation import utcnow

# SQLAlchemy's own text form of a SQLite DATETIME: compared as text, it orders as the time.
_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
SQLITE_NOW = "hq_utc_now"
SQLITE_AFTER = "hq_utc_after"


class utc_now(FunctionElement[datetime.datetime]):
    """The database's current time, naive UTC with microseconds."""

    type = DateTime()
    inherit_cache = True


class utc_after(FunctionElement[datetime.datetime]):
    """The database's current time plus ``seconds`` (a float column or value)."""

    type = DateTime()
    inherit_cache = True


@compiles(utc_now, "mysql")
@compiles(utc_now, "mariadb")
def _mysql_now(element: utc_now, compiler: Any, **kw: Any) -> str:
    return "UTC_TIMESTAMP(6)"


@compiles(utc_after, "mysql")
@compiles(utc_after, "mariadb")
def _mysql_after(element: utc_after, compiler: Any, **kw: Any) -> str:
    seconds = compiler.process(element.clauses, **kw)
    # TIMESTAMPADD takes a whole number of units: microseconds keep the fractions.
    return (
        f"TIMESTAMPADD(MICROSECOND, CAST(ROUND({seconds} * 1000000) AS SIGNED), UTC_TIMESTAMP(6))"
    )


@compiles(utc_now, "postgresql")
def _postgresql_now(element: utc_now, compiler: Any, **kw: Any) -> str:
    # statement_timestamp(), not now(): a transaction's later statements see time pass.
    return "timezone('utc', statement_timestamp())"


@compiles(utc_after, "postgresql")
def _postgresql_after(element: utc_after, compiler: Any, **kw: Any) -> str:
    seconds = compiler.process(element.clauses, **kw)
    return (
        "(timezone('utc', statement_timestamp()) "
        f"+ CAST({seconds} AS DOUBLE PRECISION) * INTERVAL '1 second')"
    )


@compiles(utc_now, "sqlite")
def _sqlite_now(element: utc_now, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_NOW}()"


@compiles(utc_after, "sqlite")
def _sqlite_after(element: utc_after, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_AFTER}({compiler.process(element.clauses, **kw)})"


def sqlite_utc_now() -> str:
    """SQLite's ``hq_utc_now()``: the process clock as SQLAlchemy stores a datetime."""
    return utcnow().strftime(_SQLITE_FORMAT)


def sqlite_utc_after(seconds: float | None) -> str | None:
    """SQLite's ``hq_utc_after(seconds)``; NULL for NULL seconds, as on the other dialects."""
    if seconds is None:
        return None
    return (utcnow() + datetime.timedelta(seconds=float(seconds))).strftime(_SQLITE_FORMAT)
