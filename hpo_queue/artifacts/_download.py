"""download_artifact: copy an artifact's bytes from an artifact store to a new local file."""

from __future__ import annotations

import contextlib
import os
import shutil

from hpo_queue.artifacts._protocol import ArtifactStore
from hpo_queue.exceptions import ArtifactFileExistsError


def download_artifact(
    *, artifact_store: ArtifactStore, file_path: str | os.PathLike[str], artifact_id: str
) -> None:
    """Save the artifact ``artifact_id`` to ``file_path``, which must not exist yet.

    The file is created exclusively (two downloads to one path cannot both write it), and
    removed again if the copy fails, so no partial file is left behind.

    Raises:
        ArtifactFileExistsError: ``file_path`` exists (a FileExistsError too, as in Optuna).
        ArtifactNotFound: the store has no artifact with this id.
        InvalidArtifactIdError: ``artifact_id`` is not a plain name.
    """
    if os.path.lexists(file_path):
        raise _exists(file_path)
    with artifact_store.open_reader(artifact_id) as reader:
        try:
            target = open(file_path, "xb")  # noqa: SIM115 - closed below, removed on failure
        except FileExistsError:
            raise _exists(file_path) from None
        try:
            with target:
                shutil.copyfileobj(reader, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(file_path)
            raise


def _exists(file_path: str | os.PathLike[str]) -> ArtifactFileExistsError:
    return ArtifactFileExistsError(
        f"Cannot download to {os.fspath(file_path)!r}: the file exists; choose a new path "
        "or remove it first."
    )
