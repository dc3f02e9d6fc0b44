"""The one Celery task, ``hpo_queue.run_trial``: a thin wrapper around run_trial_task."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task

from hpo_queue.broker.wakeups import send_wakeups
from hpo_queue.exceptions import SchemaVersionError, StorageError, StorageURLError
from hpo_queue.execution.task_message import RUN_TRIAL_TASK
from hpo_queue.study._study import Study
from hpo_queue.worker.node import running_trials_file
from hpo_queue.worker.task_runner import run_trial_task

# Flower shows a task's result as the repr of this dict: what a reader looks for comes first.
_RESULT_KEY_ORDER = ("status", "study", "trial", "state", "values", "worker", "detail")


def readable_result(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with the study, trial and outcome first and timings rounded to microseconds.

    The same keys and values otherwise: TrialJob and the benchmarks read them back.
    """
    ordered = {key: result[key] for key in _RESULT_KEY_ORDER if key in result}
    for key, value in result.items():
        if key not in ordered:
            ordered[key] = round(value, 6) if key.endswith("_seconds") else value
    return ordered


def register_tasks(app: Celery) -> None:
    """Add the trial task to ``app`` under its stable name."""

    @app.task(
        name=RUN_TRIAL_TASK,
        shared=False,  # each app (one per broker) gets its own task object
        bind=True,
        # The store was unreachable for longer than the storage's own retries (a database
        # restart): run the task again later. Its task id, hence its claim, stays the same.
        autoretry_for=(StorageError,),
        # A malformed URL or a schema from another release will not mend itself.
        dont_autoretry_for=(StorageURLError, SchemaVersionError),
        retry_backoff=2,
        retry_backoff_max=60,
        retry_jitter=True,
        max_retries=30,
    )
    def run_trial(
        self: Task,
        study_name: str,
        objective_ref: str,
        job_id: str | None = None,
        error_retries: int = 0,
    ) -> dict[str, Any]:
        """Claim and run one trial of ``study_name`` with the objective ``objective_ref``."""
        app = self.app

        def wake(study: Study, job: str, count: int) -> None:
            send_wakeups(app, study.study_name, study.storage.get_job(job), count)

        result = run_trial_task(
            app.hpo_settings,
            study_name,
            objective_ref,
            self.request.id,
            job_id=job_id,
            error_retries=error_retries,
            lease_keeper=running_trials_file(),
            send_wakeups=wake,
        )
        return readable_result(result)
