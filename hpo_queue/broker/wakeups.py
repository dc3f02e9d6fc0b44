"""Wake-ups: the messages that tell workers a job is owed work. The store decides what runs.

A wake-up names a job and its study. A worker that receives one claims a trial for the job,
and the store creates it only while the job is still owed one, so a wake-up that is
duplicated, redelivered or sent again after a broker lost its queue costs one cheap claim
and nothing more. Any process that can reach the store and the broker may send them: the
coordinator when it submits (and while it waits, if the work stalls), and every worker's
node agent after it re-queues a lost trial.
"""

from __future__ import annotations

import uuid
from typing import Any

import kombu.exceptions
from celery import Celery

from hpo_queue.exceptions import BrokerUnreachableError
from hpo_queue.execution.task_message import RUN_TRIAL_TASK
from hpo_queue.storages import JobRecord, mask_url


def wakeup_kwargs(study_name: str, job: JobRecord) -> dict[str, Any]:
    """What a wake-up carries: names only; the worker's own settings say where the store is."""
    return {
        "study_name": study_name,
        "objective_ref": job.objective_ref,
        "job_id": job.job_id,
        "error_retries": job.error_retries,
    }


def send_wakeups(
    app: Celery,
    study_name: str,
    job: JobRecord,
    count: int,
    *,
    task_ids: list[str] | None = None,
) -> list[str]:
    """Send ``count`` wake-ups for ``job``; returns their task ids.

    Raises:
        BrokerUnreachableError: the broker did not take them (the store still owns the work:
            sending again later loses nothing).
    """
    ids = task_ids or [f"{job.job_id}-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    options: dict[str, Any] = {"queue": job.queue} if job.queue else {}
    kwargs = wakeup_kwargs(study_name, job)
    try:
        with app.producer_or_acquire() as producer:
            for task_id in ids:
                app.send_task(
                    RUN_TRIAL_TASK, kwargs=kwargs, task_id=task_id, producer=producer, **options
                )
    except (OSError, RuntimeError, kombu.exceptions.KombuError) as exc:
        raise BrokerUnreachableError(
            f"Could not send trial tasks to the broker at {mask_url(str(app.conf.broker_url))}: "
            f"{broker_error_reason(exc)}. Is it running, and is HPO_BROKER_URL right?"
        ) from None
    return ids


def broker_error_reason(exc: BaseException) -> str:
    """Why the broker failed, on one line: the innermost cause that has a message, typed.

    The outer errors say little: kombu re-raises a refused Redis AUTH as an error with no
    message of its own, and Celery wraps a refused connection to its result store in a
    multi-line "Retry limit exceeded". The cause they wrap says what happened
    ("ConnectionRefusedError: [Errno 111] Connection refused").
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    reason = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = " ".join(str(current).split())
        errno = getattr(current, "errno", None)
        if errno is not None and str(errno) not in text:
            text = f"[Errno {errno}] {text}".strip()
        if text:
            reason = f"{type(current).__name__}: {text}"
        current = current.__cause__ or current.__context__
    return reason or type(exc).__name__
