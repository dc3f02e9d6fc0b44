"""Submitting trial tasks: one message per trial, sent by task name to the study's broker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import kombu.exceptions

from hpo_queue.broker.app import HpoCelery, broker_url_for, create_app, result_backend_for
from hpo_queue.broker.job import TrialJob
from hpo_queue.exceptions import BrokerUnreachableError, InvalidInputError
from hpo_queue.execution.objectives import objective_ref
from hpo_queue.execution.task_message import (
    MAX_ERROR_RETRIES,
    RUN_TRIAL_TASK,
    validate_task_arguments,
)
from hpo_queue.logging import get_logger
from hpo_queue.settings import Settings
from hpo_queue.storages import mask_url

if TYPE_CHECKING:
    from hpo_queue.study._study import Study

MAX_TASKS_PER_SUBMIT = 1_000_000
_logger = get_logger("hpo_queue.submit")
_apps: dict[tuple[str, str], HpoCelery] = {}
_apps_lock = threading.Lock()


def app_for(settings: Settings) -> HpoCelery:
    """The Celery app that talks to the broker of ``settings`` (shared in the process)."""
    broker = broker_url_for(settings)
    key = (broker, result_backend_for(settings, broker))
    with _apps_lock:
        app = _apps.get(key)
        if app is None:
            app = create_app(settings)
            _apps[key] = app
        return app


def submit_trials(
    study: Study,
    objective: str | Callable[..., Any],
    n_trials: int,
    *,
    error_retries: int = 0,
    queue: str | None = None,
    settings: Settings | None = None,
) -> TrialJob:
    """Send ``n_trials`` trial tasks for ``study`` to the workers; see :meth:`Study.submit`."""
    if (
        isinstance(n_trials, bool)
        or not isinstance(n_trials, int)
        or not (1 <= n_trials <= MAX_TASKS_PER_SUBMIT)
    ):
        raise InvalidInputError(
            f"n_trials must be an integer from 1 to {MAX_TASKS_PER_SUBMIT}, got {n_trials!r}."
        )
    if (
        isinstance(error_retries, bool)
        or not isinstance(error_retries, int)
        or not (0 <= error_retries <= MAX_ERROR_RETRIES)
    ):
        raise InvalidInputError(
            f"retries must be an integer from 0 to {MAX_ERROR_RETRIES}, got {error_retries!r}."
        )
    ref = objective_ref(objective)
    job_id = uuid.uuid4().hex
    validate_task_arguments(study.study_name, ref, job_id, job_id, error_retries)
    app = app_for(settings or study.settings)
    task_ids = [f"{job_id}-{i:06d}" for i in range(n_trials)]
    options: dict[str, Any] = {"queue": queue} if queue else {}
    # Only names travel in a message: the worker's own settings say where the store is.
    kwargs = {
        "study_name": study.study_name,
        "objective_ref": ref,
        "job_id": job_id,
        "error_retries": error_retries,
    }
    try:
        with app.producer_or_acquire() as producer:
            for task_id in task_ids:
                app.send_task(
                    RUN_TRIAL_TASK, kwargs=kwargs, task_id=task_id, producer=producer, **options
                )
    except (OSError, RuntimeError, kombu.exceptions.KombuError) as exc:
        raise BrokerUnreachableError(
            f"Could not send trial tasks to the broker at {mask_url(app.conf.broker_url)}: "
            f"{str(exc) or type(exc).__name__}. Is it running, and is HPO_BROKER_URL right?"
        ) from None
    _logger.info(
        "Submitted %d trial task(s) of study %r running %s (job %s).",
        n_trials,
        study.study_name,
        ref,
        job_id,
    )
    return TrialJob(app, study, job_id, task_ids)
