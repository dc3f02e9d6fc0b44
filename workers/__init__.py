"""Celery workers for hpo-queue: ``celery -A workers worker`` finds ``app`` here.

Only this package knows about Celery; the work itself is hpo_queue.execution.
"""

from __future__ import annotations

from workers.celery_app import HpoCelery, create_app
from workers.tasks import RUN_TRIAL_TASK

app: HpoCelery = create_app()

__all__ = ["RUN_TRIAL_TASK", "HpoCelery", "app", "create_app"]
