"""Studies: creating, loading and optimizing a named study in a shared store."""

from hpo_queue.directions import StudyDirection
from hpo_queue.study._callbacks import MaxTrialsCallback
from hpo_queue.study._dataframe import trial_records
from hpo_queue.study._study import (
    Study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)

__all__ = [
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
    "trial_records",
]
