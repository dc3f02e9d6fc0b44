"""The checkout's Celery entry point (``celery -A workers worker``, the Dockerfile, compose).

It holds nothing but the library's app; installed users run ``celery -A hpo_queue.worker``.
"""

from hpo_queue.worker import app

__all__ = ["app"]
