"""kombu's Redis transport with one fix, so that a worker survives a Redis restart.

When Redis goes away, Celery's consumer first ``collect()``s the broken connection and then
``close()``s it. If the first pass was interrupted (its channel was waiting on BRPOP, and
reading the dead socket raised), the second pass tries to put the unacknowledged messages
back in the queue through a connection whose settings ``collect()`` already dropped; kombu
then raises AttributeError ("'NoneType' object has no attribute 'hostname'"), which Celery
does not take for a connection error, and the worker exits with "Unrecoverable error"
instead of reconnecting (seen with kombu 5.7 and Celery 5.7).

Here that case raises redis's ConnectionError instead, which the close ignores. Nothing is
lost by not restoring then: Redis is unreachable, and a message left unacknowledged in it is
re-delivered after the visibility timeout (or is gone with a Redis that keeps no data).
"""

from __future__ import annotations

from typing import Any

import redis.exceptions
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    """A Redis channel that reports a collected connection as a connection error."""

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError(
                "The broker connection was already closed; the unacknowledged messages stay "
                "in Redis until their visibility timeout."
            )
        params: dict[str, Any] = super()._connparams(asynchronous)
        return params


class Transport(kombu_redis.Transport):
    """kombu's Redis transport with :class:`Channel`."""

    Channel = Channel
