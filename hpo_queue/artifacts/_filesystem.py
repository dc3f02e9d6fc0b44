"""FileSystemArtifactStore: artifacts as files in one directory, local or shared (NFS)."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from hpo_queue.artifacts._ids import check_artifact_id
from hpo_queue.exceptions import ArtifactNotFound, InvalidInputError


class FileSystemArtifactStore:
    """Keeps each artifact as the file ``base_path/<artifact_id>``.

    Every node that mounts ``base_path`` (an NFS or other shared directory) shares the
    store. A write goes to a temporary file in the same directory that is then renamed over
    the target, so a reader on any node sees the whole artifact or none of it.

    Args:
        base_path: the directory; created (with its parents) if missing.

    Raises:
        InvalidInputError: ``base_path`` exists and is not a directory.
    """

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        self._base_path = Path(base_path)
        if self._base_path.exists() and not self._base_path.is_dir():
            raise InvalidInputError(
                f"FileSystemArtifactStore base_path {os.fspath(base_path)!r} is not a "
                "directory; pass a directory (it is created if missing)."
            )
        self._base_path.mkdir(parents=True, exist_ok=True)

    @property
    def base_path(self) -> Path:
        return self._base_path

    def _path(self, artifact_id: str) -> Path:
        return self._base_path / check_artifact_id(artifact_id)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        path = self._path(artifact_id)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise ArtifactNotFound(
                f"No artifact {artifact_id!r} in {os.fspath(self._base_path)!r}."
            ) from None

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        path = self._path(artifact_id)
        # A dot-name no id can have (ids may not start with a dot); unique per writer. Made
        # with open(..., "xb") rather than mkstemp so the umask, not 0600, sets its mode and
        # other users of a shared directory can read it.
        temporary = path.with_name(f".{artifact_id}.{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary, "xb") as out:
                shutil.copyfileobj(content_body, out)
                out.flush()
                os.fsync(out.fileno())  # the bytes are on disk before the name points at them
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def remove(self, artifact_id: str) -> None:
        try:
            os.remove(self._path(artifact_id))
        except FileNotFoundError:
            raise ArtifactNotFound(
                f"No artifact {artifact_id!r} in {os.fspath(self._base_path)!r}."
            ) from None

    def __repr__(self) -> str:
        return f"FileSystemArtifactStore({os.fspath(self._base_path)!r})"
