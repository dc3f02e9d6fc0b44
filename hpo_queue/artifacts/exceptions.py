"""The artifact errors under the names Optuna's ``optuna.artifacts.exceptions`` uses."""

from hpo_queue.exceptions import ArtifactNotFound

__all__ = ["ArtifactNotFound"]
