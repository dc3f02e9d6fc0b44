"""Search spaces inferred from a study's trials, as Optuna's ``optuna.search_space``."""

from hpo_queue.search_space._intersection import (
    IntersectionSearchSpace,
    intersection_search_space,
)

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]
