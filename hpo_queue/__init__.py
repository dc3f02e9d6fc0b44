"""hpo-queue: distributed hyperparameter optimization on a shared SQL store.

The API follows Optuna's, so an objective written for Optuna runs with
``import hpo_queue as hq`` in place of ``import optuna``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from hpo_queue import (
    artifacts,
    distributions,
    exceptions,
    importance,
    logging,
    pruners,
    samplers,
    search_space,
    storages,
    visualization,
)
from hpo_queue.exceptions import HpoQueueError, TrialPruned
from hpo_queue.migration import import_optuna_study
from hpo_queue.settings import Settings
from hpo_queue.storages import StudySummary
from hpo_queue.study import (
    Study,
    StudyDirection,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from hpo_queue.trial import FrozenTrial, Trial, TrialState, create_trial

__all__ = [
    "FrozenTrial",
    "HpoQueueError",
    "Settings",
    "Study",
    "StudyDirection",
    "StudySummary",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "artifacts",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "import_optuna_study",
    "importance",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "visualization",
]
