"""Submitting a job: record what it asks for in the store, then send one wake-up per trial."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hpo_queue._limits import check_trials_per_submit
from hpo_queue.broker.app import (
    HpoCelery,
    broker_url_for,
    create_app,
    refuse_embedded_broker,
    result_backend_for,
)
from hpo_queue.broker.job import TrialJob
from hpo_queue.broker.wakeups import send_wakeups
from hpo_queue.exceptions import BrokerUnreachableError, InvalidInputError
from hpo_queue.execution.objectives import objective_ref
from hpo_queue.execution.task_message import (
    MAX_ERROR_RETRIES,
    validate_task_arguments,
)
from hpo_queue.logging import get_logger
from hpo_queue.settings import Settings
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.study._study import Study

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


def room_under_cap(study: Study) -> int | None:
    """How many more trials the study's max_trials allows (None: no cap).

    Failed trials do not count against the cap; waiting (enqueued) ones do, and a wake-up
    runs them, so they count as room too.
    """
    if study.max_trials is None:
        return None
    counts = study.storage.count_trials_by_state(study.study_id)
    taken = sum(n for state, n in counts.items() if state != TrialState.FAIL)
    return max(0, study.max_trials - taken) + counts.get(TrialState.WAITING, 0)


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
    check_trials_per_submit(n_trials)
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
    if study.storage.is_in_memory:
        raise InvalidInputError(
            "submit() needs a storage the workers can reach (mysql://, postgresql:// or a "
            "sqlite:/// file on this machine); this study is held in this process only."
        )
    settings = settings or study.settings
    backend = getattr(study.storage, "backend", None)
    refuse_embedded_broker(settings, backend)
    if not settings.storage_url and backend == "sqlite":
        # The embedded broker sits beside the SQLite file, where the workers look for it.
        settings = settings.with_overrides(storage_url=study.storage.url)
    app = app_for(settings)
    room = room_under_cap(study)
    if room == 0:
        _logger.warning(
            "Study %r is at its cap (max_trials=%s): none of the %d trial task(s) can run; "
            "none is sent.",
            study.study_name,
            study.max_trials,
            n_trials,
        )
    elif room is not None and room < n_trials:
        _logger.warning(
            "Study %r has room for %d more trial(s) under its cap (max_trials=%s): %d of the "
            "%d trial task(s) will end as cap_reached.",
            study.study_name,
            room,
            study.max_trials,
            n_trials - room,
            n_trials,
        )
    # The job is recorded before any wake-up is sent: from then on the store knows what is
    # owed, whatever the broker keeps or loses.
    job = study.storage.create_job(
        study.study_id, job_id, ref, n_trials, error_retries=error_retries, queue=queue
    )
    if room == 0:
        # Nothing can run: the job settles at once (its trials count as cap_reached) and
        # no node revives it, however the cap changes later.
        study.storage.mark_job_settled(job_id)
        return TrialJob(app, study, job, [])
    task_ids = [f"{job_id}-{i:06d}" for i in range(n_trials)]
    try:
        send_wakeups(app, study.study_name, job, n_trials, task_ids=task_ids)
    except BrokerUnreachableError:
        # Nothing may run behind the user's back once they were told the submit failed.
        study.storage.cancel_job(job_id)
        raise
    _logger.info(
        "Submitted %d trial task(s) of study %r running %s (job %s).",
        n_trials,
        study.study_name,
        ref,
        job_id,
    )
    return TrialJob(app, study, job, task_ids)
