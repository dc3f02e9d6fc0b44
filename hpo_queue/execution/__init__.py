"""What may run on a worker and how a trial task is described: Celery-free, below the study.

The objective allowlist (``objectives``) and the task message (``task_message``) are shared
by the coordinator that submits and the worker that runs; the run itself is
:mod:`hpo_queue.worker.task_runner`.
"""

from hpo_queue.execution.objectives import (
    objective_ref,
    parse_objective_ref,
    register_objective,
    resolve_objective,
)
from hpo_queue.execution.task_message import RUN_TRIAL_TASK, validate_task_arguments

__all__ = [
    "RUN_TRIAL_TASK",
    "objective_ref",
    "parse_objective_ref",
    "register_objective",
    "resolve_objective",
    "validate_task_arguments",
]
