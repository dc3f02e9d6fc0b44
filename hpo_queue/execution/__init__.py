"""Running trials on behalf of a queue: which objectives may run, and one trial task's body.

Nothing here knows about Celery; the ``workers`` package wraps these functions in tasks.
"""

from hpo_queue.execution.objectives import (
    objective_ref,
    parse_objective_ref,
    register_objective,
    resolve_objective,
)
from hpo_queue.execution.task_runner import run_trial_task, validate_task_arguments

__all__ = [
    "objective_ref",
    "parse_objective_ref",
    "register_objective",
    "resolve_objective",
    "run_trial_task",
    "validate_task_arguments",
]
