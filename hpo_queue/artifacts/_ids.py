"""Artifact ids: new ones are uuid4 strings; any id a store is given must be a plain name."""

from __future__ import annotations

import uuid
from typing import Any

from hpo_queue.exceptions import InvalidArtifactIdError

# A file name's limit on common filesystems (ext4, XFS, NFS); far below S3's 1024-byte keys.
MAX_ARTIFACT_ID_BYTES = 255


def new_artifact_id() -> str:
    """A fresh id, unique across processes and nodes without any coordination."""
    return str(uuid.uuid4())


def check_artifact_id(artifact_id: Any) -> str:
    """``artifact_id`` if it is a plain name usable as a file name and an object key.

    The same rule for every store, so an id one store accepts every other accepts too, and
    no id can reach outside a FileSystemArtifactStore's directory.

    Raises:
        InvalidArtifactIdError: not a string, empty, too long, or holding a path
            separator, a NUL, or a leading dot (``.``, ``..`` and hidden temporary files).
    """
    if not isinstance(artifact_id, str):
        raise InvalidArtifactIdError(
            f"An artifact id must be a string, got {type(artifact_id).__name__}."
        )
    problem = None
    if not artifact_id:
        problem = "it is empty"
    elif "/" in artifact_id or "\\" in artifact_id:
        problem = "it holds a path separator"
    elif artifact_id.startswith("."):
        problem = "it starts with a dot"
    elif "\x00" in artifact_id:
        problem = "it holds a NUL character"
    elif len(artifact_id.encode("utf-8", "surrogatepass")) > MAX_ARTIFACT_ID_BYTES:
        problem = f"it is longer than {MAX_ARTIFACT_ID_BYTES} bytes"
    if problem:
        raise InvalidArtifactIdError(
            f"Artifact id {artifact_id[:80]!r} is not a plain name: {problem}. Use the id "
            "upload_artifact returned (or an ArtifactMeta's artifact_id)."
        )
    return artifact_id
