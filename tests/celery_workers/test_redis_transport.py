"""The Redis transport fix: closing a collected connection that holds unacked messages."""

from __future__ import annotations

import kombu
import pytest

from workers.celery_app import create_app
from workers.redis_transport import Transport

pytestmark = pytest.mark.redis


def test_redis_urls_use_the_fixed_transport(redis_url: str) -> None:
    from hpo_queue.settings import Settings

    app = create_app(Settings(broker_url=redis_url))
    with app.connection_for_read() as connection:
        assert isinstance(connection.transport, Transport)
        assert connection.as_uri().startswith("redis://")


def test_closing_after_collect_with_unacked_messages_is_a_connection_error(
    redis_url: str,
) -> None:
    # What Celery's consumer does when the broker is lost: collect(), whose channel close
    # was cut short, then close(). Before the fix this raised AttributeError, which
    # killed the worker ("Unrecoverable error") instead of letting it reconnect.
    connection = kombu.Connection(redis_url, transport=Transport)
    queue = connection.SimpleQueue("hq-test-transport")
    queue.put({"n": 1})
    message = queue.get(timeout=5)  # delivered, not acknowledged
    assert message.payload == {"n": 1}
    channel = connection.default_channel
    connection._do_close_transport()  # the end of collect()

    with pytest.raises(tuple(connection.connection_errors)):
        channel.close()
    connection.close()  # and the consumer's own close no longer raises
