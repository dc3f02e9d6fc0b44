"""The Redis transport fix: closing a collected connection that holds unacked messages."""

from __future__ import annotations

import kombu
import pytest

from hpo_queue.broker.app import create_app, use_restart_safe_transport
from hpo_queue.broker.redis_transport import Transport

pytestmark = pytest.mark.redis


def test_a_worker_app_uses_the_fixed_transport(redis_url: str) -> None:
    from hpo_queue.settings import Settings

    app = create_app(Settings(broker_url=redis_url))
    use_restart_safe_transport(app)  # what the worker_init signal does in a worker
    with app.connection_for_read() as connection:
        assert isinstance(connection.transport, Transport)
        connection.ensure_connection(max_retries=1)  # the URL's host and port reach Redis


def test_the_fixed_transport_is_per_app_not_a_global_alias(redis_url: str) -> None:
    from kombu.transport import TRANSPORT_ALIASES

    from hpo_queue.settings import Settings

    before = dict(TRANSPORT_ALIASES)
    use_restart_safe_transport(create_app(Settings(broker_url=redis_url)))
    assert before == TRANSPORT_ALIASES  # another Celery app in the process keeps kombu's own
    with kombu.Connection(redis_url) as plain:
        assert not isinstance(plain.transport, Transport)
    with create_app(Settings(broker_url=redis_url)).connection_for_read() as submitting:
        assert submitting.as_uri().startswith("redis://")  # Flower reads the scheme off it


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
