"""A Celery app built from the Settings it is given: JSON only, late acks, one message at a time.

Nothing here runs at import: an app exists only once :func:`create_app` is called, and its
configuration comes from its own Settings, never from a global. Without a broker URL the
broker is an embedded, server-less one: kombu's SQLAlchemy transport on a SQLite file.
"""

from __future__ import annotations

import logging
import os
import ssl
import sys
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, worker_init
from sqlalchemy.engine import make_url

from hpo_queue.exceptions import BrokerNotConfiguredError, ConfigError, StorageURLError
from hpo_queue.logging import (
    JsonFormatter,
    configure_from_settings,
    disable_default_handler,
    json_format_enabled,
)
from hpo_queue.settings import Settings
from hpo_queue.storages import mask_url, normalize_url, url_scheme

DEFAULT_QUEUE = "hpo_queue"
EMBEDDED_BROKER_FILE = "hpo-queue-broker.sqlite"
EMBEDDED_RESULTS_FILE = "hpo-queue-results.sqlite"
# Redis re-delivers a message not acknowledged within the visibility timeout: only a
# prefetched wake-up of a lost worker stays unacknowledged (tasks ack when they start), and
# such a duplicate is harmless; the timeout is kept above the longest task all the same.
DEFAULT_VISIBILITY_TIMEOUT = 3600.0
VISIBILITY_MARGIN = 120.0
HARD_LIMIT_MARGIN = 30.0
# The Redis transport a worker needs to survive a Redis restart (see redis_transport). A
# worker's app gets it when the worker starts (not kombu's global scheme aliases, and not for
# Flower or a submitting process, whose connections are short and whose pages read the
# transport's name off the connection's URL).
REDIS_TRANSPORT = "hpo_queue.broker.redis_transport:Transport"


class HpoCelery(Celery):
    """A Celery app that also carries the worker's hpo-queue Settings.

    Settings live on the app object, not in ``app.conf``, so that the storage URL never
    shows up where Celery and Flower display configuration.
    """

    hpo_settings: Settings


def embedded_dir(settings: Settings) -> Path:
    """Where the embedded broker keeps its file: beside a SQLite storage, else the cwd."""
    if settings.storage_url:
        try:
            url = make_url(settings.storage_url)
        except Exception:
            url = None
        if url is not None and url.get_backend_name() == "sqlite" and url.database:
            return Path(url.database).resolve().parent
    return Path.cwd()


def broker_url_for(settings: Settings) -> str:
    """HPO_BROKER_URL, else the embedded broker beside a SQLite storage.

    Raises:
        BrokerNotConfiguredError: no broker URL, and the storage is on a server.
    """
    if settings.broker_url:
        return settings.broker_url
    refuse_embedded_broker(settings, _storage_backend(settings.storage_url))
    return _embedded_broker_url(settings)


def refuse_embedded_broker(settings: Settings, storage_backend: str | None) -> None:
    """Refuse the implicit embedded broker for a storage on a server (mysql, postgresql).

    The embedded broker is a SQLite file in one directory of one machine: with a shared
    database, workers elsewhere would never see its tasks, and a submit would wait for ever.
    Naming it in HPO_BROKER_URL (``sqla+sqlite:///...``) still uses it, on purpose.
    """
    if settings.broker_url or storage_backend in (None, "sqlite"):
        return
    raise BrokerNotConfiguredError(
        f"HPO_BROKER_URL is not set, and with a {storage_backend} storage the embedded broker "
        f"(a SQLite file in {embedded_dir(settings)}) reaches no worker elsewhere: set "
        "HPO_BROKER_URL, e.g. HPO_BROKER_URL=redis://localhost:6379/0 (or, to use the embedded "
        f"broker on purpose, HPO_BROKER_URL={_embedded_broker_url(settings)})."
    )


def _embedded_broker_url(settings: Settings) -> str:
    return f"sqla+sqlite:///{embedded_dir(settings) / EMBEDDED_BROKER_FILE}"


def _storage_backend(storage_url: str | None) -> str | None:
    if not storage_url:
        return None
    try:
        return str(normalize_url(storage_url).get_backend_name())
    except StorageURLError:
        return None  # the storage reports its malformed URL itself


def result_backend_for(settings: Settings, broker_url: str) -> str:
    """HPO_RESULT_BACKEND, else the Redis broker itself, RPC for AMQP, SQLite when embedded."""
    if settings.result_backend:
        return settings.result_backend
    scheme = url_scheme(broker_url)
    if scheme in ("redis", "rediss"):
        return broker_url
    if scheme in ("amqp", "amqps", "pyamqp"):
        return "rpc://"
    return f"db+sqlite:///{embedded_dir(settings) / EMBEDDED_RESULTS_FILE}"


def visibility_timeout_for(settings: Settings) -> float:
    """Longer than the hard time limit, so Redis never hands a running task to another worker."""
    hard = hard_time_limit_for(settings)
    if hard is None:
        return DEFAULT_VISIBILITY_TIMEOUT
    return max(DEFAULT_VISIBILITY_TIMEOUT, hard + settings.heartbeat_grace + VISIBILITY_MARGIN)


def hard_time_limit_for(settings: Settings) -> float | None:
    # The soft limit (task_time_limit) raises inside the objective, which FAILs the trial
    # with a traceback; the hard limit only catches objectives that ignore it.
    if settings.task_time_limit is None:
        return None
    return settings.task_time_limit + HARD_LIMIT_MARGIN


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings for hpo-queue: JSON only, late acks, one message at a time."""
    broker = broker_url_for(settings)
    backend = result_backend_for(settings, broker)
    scheme = url_scheme(broker)
    if scheme not in (
        "redis",
        "rediss",
        "amqp",
        "amqps",
        "pyamqp",
        "sqla+sqlite",
        "sqla+mysql",
        "sqla+mysql+pymysql",
        "sqla+postgresql",
        "memory",
    ):
        raise ConfigError(
            f"Unsupported broker scheme {scheme or '(none)'!r} in {mask_url(broker)!r}; use "
            "redis://, rediss://, amqp:// or leave HPO_BROKER_URL unset for the embedded broker."
        )
    config: dict[str, Any] = {
        "broker_url": broker,
        "result_backend": backend,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "event_serializer": "json",
        # A message is a wake-up, acknowledged when its task starts: the store, not the
        # broker, holds the work, and re-queues a trial whose worker is lost (its lease runs
        # out) with a new wake-up. Acking late would only bring back, an hour later (Redis's
        # visibility timeout), wake-ups of work already re-queued.
        "task_acks_late": False,
        "worker_prefetch_multiplier": 1,
        # One broker write less per task; the store shows RUNNING, and Flower learns that a
        # task started from the worker's task events instead.
        "task_track_started": False,
        # Events for Flower: received/started/succeeded from workers, "sent" from submit.
        # The embedded (SQL) broker has no fanout, and Celery turns events off for it.
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_default_queue": DEFAULT_QUEUE,
        "result_expires": 7 * 24 * 3600,
        "result_extended": False,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,  # reconnect for as long as it takes
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_soft_time_limit": settings.task_time_limit,
        "task_time_limit": hard_time_limit_for(settings),
        "worker_hijack_root_logger": False,
    }
    if scheme in ("redis", "rediss"):
        visibility = visibility_timeout_for(settings)
        options = {
            "visibility_timeout": visibility,
            "socket_keepalive": True,
            "health_check_interval": 10,
            "retry_on_timeout": True,
        }
        config["broker_transport_options"] = options
        config["result_backend_transport_options"] = {
            "visibility_timeout": visibility,
            "retry_policy": {"timeout": 10.0},
        }
        config["redis_backend_health_check_interval"] = 10
        config["redis_socket_keepalive"] = True
    if scheme == "rediss" and "ssl_cert_reqs" not in broker:
        config["broker_use_ssl"] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if backend.startswith("rediss://") and "ssl_cert_reqs" not in backend:
        config["redis_backend_use_ssl"] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    return config


def create_app(settings: Settings) -> HpoCelery:
    """A Celery app that talks to the broker of ``settings``; it has no tasks of its own.

    Submitting needs no task objects (messages are sent by task name); the worker entry
    point, :mod:`hpo_queue.worker`, adds the trial task to its app.
    """
    app = HpoCelery("hpo_queue", set_as_current=False)
    app.conf.update(celery_config(settings))
    app.hpo_settings = settings
    # dispatch_uid: connected once per process however many apps are built.
    worker_init.connect(_prepare_worker, weak=False, dispatch_uid="hpo_queue.prepare_worker")
    after_setup_logger.connect(_json_for_celery_logs, weak=False, dispatch_uid="hpo_queue.json")
    after_setup_task_logger.connect(
        _json_for_celery_logs, weak=False, dispatch_uid="hpo_queue.json_task"
    )
    return app


def use_restart_safe_transport(app: Celery) -> None:
    """Make a worker's app reconnect after a Redis restart instead of exiting."""
    scheme = url_scheme(str(app.conf.broker_url))
    if scheme in ("redis", "rediss"):
        app.conf.broker_transport = REDIS_TRANSPORT


def _prepare_worker(sender: Any = None, **_: Any) -> None:
    app = getattr(sender, "app", None)
    settings = getattr(app, "hpo_settings", None)
    if not isinstance(settings, Settings):
        return  # a worker of some other Celery app in this process
    assert app is not None
    use_restart_safe_transport(app)
    # `celery -A ... worker` puts the working directory on sys.path only while it imports
    # the app; objective modules beside it must stay importable afterwards.
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.append(cwd)
    configure_from_settings(settings)
    # hpo-queue's records go through Celery's handlers: one format and destination for the
    # worker's log (--logfile included), instead of lines that pool processes write to a
    # redirected stderr, which Celery then wraps in a line of its own.
    disable_default_handler()


def _json_for_celery_logs(logger: logging.Logger | None = None, **_: Any) -> None:
    # worker_init (above) runs before Celery sets up its own logging; with
    # HPO_LOG_FORMAT=json, Celery's lines ("Task ... received") become JSON too, so a
    # worker's stderr is one JSON object per line.
    if logger is None or not json_format_enabled():
        return
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
