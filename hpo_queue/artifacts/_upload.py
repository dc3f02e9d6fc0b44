"""upload_artifact: store a file's bytes in an artifact store and record it on a study or trial."""

from __future__ import annotations

import mimetypes
import os
from typing import BinaryIO

from hpo_queue.artifacts._ids import new_artifact_id
from hpo_queue.artifacts._meta import DEFAULT_MIME_TYPE, ArtifactMeta
from hpo_queue.artifacts._owner import ArtifactOwner, StudyOrTrial
from hpo_queue.artifacts._protocol import ArtifactStore
from hpo_queue.exceptions import ArtifactFileNotFoundError
from hpo_queue.storages import BaseStorage


def upload_artifact(
    *,
    artifact_store: ArtifactStore,
    file_path: str | os.PathLike[str],
    study_or_trial: StudyOrTrial,
    storage: BaseStorage | str | None = None,
    mimetype: str | None = None,
    encoding: str | None = None,
) -> str:
    """Upload the file at ``file_path`` and link it to a study or trial, as in Optuna.

    The bytes are written first and the metadata recorded after, so a listing never names an
    artifact whose upload failed (a failed metadata write leaves unlisted bytes behind).
    Inside an objective pass the running ``trial``; it works the same in a worker process.

    Args:
        artifact_store: where the bytes go (FileSystemArtifactStore, Boto3ArtifactStore...).
        file_path: the file to upload; its base name is recorded as the filename.
        study_or_trial: a Study, a running Trial, or a stored FrozenTrial.
        storage: needed only with a FrozenTrial (a storage object or URL).
        mimetype: recorded MIME type; guessed from the file extension if None.
        encoding: recorded Content-Encoding (e.g. gzip); guessed from the extension if None.

    Returns:
        The new artifact's id (a uuid4 string).

    Raises:
        ArtifactFileNotFoundError: ``file_path`` is not a readable file.
        InvalidInputError: ``study_or_trial`` is of another type, or a FrozenTrial without
            ``storage``.
        ArtifactStoreError: the store could not write the bytes.
    """
    owner = ArtifactOwner(study_or_trial, storage)  # a wrong argument fails before any write
    filename = os.path.basename(os.fspath(file_path))
    guessed_type, guessed_encoding = mimetypes.guess_type(filename)
    meta = ArtifactMeta(
        artifact_id=new_artifact_id(),
        filename=filename,
        mimetype=mimetype or guessed_type or DEFAULT_MIME_TYPE,
        encoding=encoding or guessed_encoding,
    )
    with _open_upload(file_path) as content:
        artifact_store.write(meta.artifact_id, content)
    owner.record(meta)
    return meta.artifact_id


def _open_upload(file_path: str | os.PathLike[str]) -> BinaryIO:
    try:
        return open(file_path, "rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        raise ArtifactFileNotFoundError(
            f"Cannot upload {os.fspath(file_path)!r}: {exc.strerror}. Pass the path of a "
            "readable file."
        ) from None
