"""What a trial task message carries, and the checks both its sender and its worker apply.

A message holds names only (study, objective reference, job id); the worker's own settings
say where the store is, so no URL or password ever travels through the broker.
"""

from __future__ import annotations

from typing import Any

from hpo_queue._limits import check_name
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.execution.objectives import parse_objective_ref

# The Celery task name every worker registers and every submit sends to.
RUN_TRIAL_TASK = "hpo_queue.run_trial"
MAX_KEY_LENGTH = 200
MAX_ERROR_RETRIES = 10
# A cancelled job leaves a study system attr named this prefix + the job id.
CANCELLED_JOB_ATTR = "cancelled_job:"


def validate_task_arguments(
    study_name: Any, objective_ref: Any, task_key: Any, job_id: Any, error_retries: Any
) -> None:
    """Check the types and sizes of what a task message carries.

    Raises:
        InvalidInputError: with what is wrong; nothing has been read or written yet.
    """
    check_name("Study name", study_name, existing=True)
    parse_objective_ref(objective_ref)
    for label, key in (("task_key", task_key), ("job_id", job_id)):
        if key is None and label == "job_id":
            continue
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInputError(
                f"{label} must be a non-empty string of at most {MAX_KEY_LENGTH} characters."
            )
    if (
        isinstance(error_retries, bool)
        or not isinstance(error_retries, int)
        or not 0 <= error_retries <= MAX_ERROR_RETRIES
    ):
        raise InvalidInputError(
            f"error_retries must be an integer from 0 to {MAX_ERROR_RETRIES}, "
            f"got {error_retries!r}."
        )
