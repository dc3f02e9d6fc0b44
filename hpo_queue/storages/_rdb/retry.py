"""Retrying a transaction after a deadlock or a lost connection."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

T = TypeVar("T")

_logger = logging.getLogger("hpo_queue.storage")

# MySQL/MariaDB: 1213 deadlock, 1205 lock wait timeout, 2006 server gone away,
# 2013 lost connection during query, 2003 can't connect (e.g. during a restart), 1927
# connection killed, 4031 disconnected by the server for inactivity.
_RETRYABLE_MYSQL_CODES = {1213, 1205, 2006, 2013, 2003, 1927, 4031}
_RETRYABLE_MESSAGES = ("database is locked", "deadlock detected", "could not serialize")


def is_retryable(exc: BaseException) -> bool:
    """True for errors after which the whole transaction may simply be run again."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _RETRYABLE_MYSQL_CODES:
        return True
    message = str(orig).lower()
    return isinstance(exc, OperationalError) and any(m in message for m in _RETRYABLE_MESSAGES)


def run_with_retry(fn: Callable[[], T], *, attempts: int = 8, what: str = "transaction") -> T:
    """Run ``fn`` (one whole transaction), retrying retryable errors with jittered backoff.

    The backoff reaches about 10 s in all, enough for a database restart.
    """
    delay = 0.05
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            _logger.warning(
                "Retrying %s after %s (attempt %d of %d).",
                what,
                type(exc.orig).__name__,
                attempt,
                attempts,
            )
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 3.0)
    raise AssertionError("unreachable")
