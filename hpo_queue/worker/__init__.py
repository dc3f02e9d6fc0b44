"""The worker entry point: ``celery -A hpo_queue.worker worker`` runs hpo-queue trial tasks.

Importing this module builds nothing. Celery asks it for ``app``, and only then is an app
built, from ``Settings.load()`` (HPO_* environment variables, then the TOML file named by
HPO_CONFIG, then defaults). A program that has its own Settings calls
:func:`create_worker_app` instead.
"""

from __future__ import annotations

import threading
from typing import Any

from hpo_queue.broker.app import HpoCelery, create_app
from hpo_queue.exceptions import ConfigError
from hpo_queue.settings import Settings
from hpo_queue.worker import node
from hpo_queue.worker.tasks import register_tasks

__all__ = ["create_worker_app"]

_app: HpoCelery | None = None
_app_lock = threading.Lock()


def create_worker_app(settings: Settings) -> HpoCelery:
    """A Celery app for ``settings`` with the trial task registered: what a worker runs."""
    app = create_app(settings)
    register_tasks(app)
    node.connect()
    return app


def __getattr__(name: str) -> Any:
    # PEP 562: `celery -A hpo_queue.worker` reads `app` (and Flower too); built on first use.
    global _app
    if name not in ("app", "celery"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _app_lock:
        if _app is None:
            try:
                _app = create_worker_app(Settings.load())
            except ConfigError as exc:
                # `celery -A hpo_queue.worker` would print a traceback around the one line
                # that says what to set.
                raise SystemExit(f"hpo-queue: error: {exc}") from None
        return _app
