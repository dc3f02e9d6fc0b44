"""ArtifactStore: what a place that keeps artifact bytes offers (a directory, an S3 bucket)."""

from __future__ import annotations

from typing import BinaryIO, Protocol


class ArtifactStore(Protocol):
    """Keeps the bytes of artifacts by id; their metadata lives in the study's storage.

    Users pass a store to :func:`upload_artifact` and :func:`download_artifact` and need not
    call these methods themselves. Any object with these three methods is a store (as in
    Optuna, whose stores work here unchanged).
    """

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The artifact's bytes, as a binary file opened for reading.

        Raises:
            ArtifactNotFound: no artifact has this id.
        """
        ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store ``content_body`` (read to its end) under ``artifact_id``."""
        ...

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact; a store may raise ArtifactNotFound if it does not exist."""
        ...
