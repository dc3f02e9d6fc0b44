"""Artifacts: files (checkpoints, plots) kept per study or trial, as Optuna's optuna.artifacts.

The bytes go to an artifact store every node can reach (a shared directory, an S3 bucket);
what was uploaded, and where to, is recorded in the study's storage as system attrs.
"""

from hpo_queue.artifacts import exceptions
from hpo_queue.artifacts._backoff import Backoff
from hpo_queue.artifacts._boto3 import Boto3ArtifactStore
from hpo_queue.artifacts._download import download_artifact
from hpo_queue.artifacts._filesystem import FileSystemArtifactStore
from hpo_queue.artifacts._listing import get_all_artifact_meta
from hpo_queue.artifacts._meta import ArtifactMeta
from hpo_queue.artifacts._protocol import ArtifactStore
from hpo_queue.artifacts._upload import upload_artifact

__all__ = [
    "ArtifactMeta",
    "ArtifactStore",
    "Backoff",
    "Boto3ArtifactStore",
    "FileSystemArtifactStore",
    "download_artifact",
    "exceptions",
    "get_all_artifact_meta",
    "upload_artifact",
]
