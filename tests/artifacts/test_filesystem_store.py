"""FileSystemArtifactStore: round trips, atomic rewrites, ids that cannot leave its directory."""

from __future__ import annotations

import io
import os
import random
import threading
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.artifacts import FileSystemArtifactStore
from hpo_queue.exceptions import (
    ArtifactNotFound,
    HpoQueueError,
    InvalidArtifactIdError,
    InvalidInputError,
)

BAD_IDS = [
    "../escaped",
    "..",
    ".",
    "a/b",
    "/etc/passwd",
    "a\\b",
    ".hidden",
    "",
    "nul\x00byte",
    "x" * 256,
    5,
    None,
]


def test_bytes_written_are_the_bytes_read_back(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path / "store")
    content = bytes(range(256)) + random.Random(0).randbytes(3 * 1024 * 1024)
    store.write("checkpoint", io.BytesIO(content))
    with store.open_reader("checkpoint") as reader:
        assert reader.read() == content
    assert (tmp_path / "store" / "checkpoint").read_bytes() == content


def test_a_second_write_replaces_the_first(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path)
    store.write("a", io.BytesIO(b"first"))
    store.write("a", io.BytesIO(b"second"))
    with store.open_reader("a") as reader:
        assert reader.read() == b"second"


def test_the_base_directory_is_created_with_its_parents(tmp_path: Path) -> None:
    base = tmp_path / "shared" / "nfs" / "artifacts"
    store = FileSystemArtifactStore(str(base))
    assert base.is_dir()
    assert store.base_path == base


def test_a_base_path_that_is_a_file_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "a-file"
    path.write_text("not a directory")
    with pytest.raises(InvalidInputError, match="is not a directory"):
        FileSystemArtifactStore(path)


@pytest.mark.parametrize("artifact_id", BAD_IDS)
def test_ids_that_are_not_plain_names_are_refused(tmp_path: Path, artifact_id: object) -> None:
    base = tmp_path / "store"
    store = FileSystemArtifactStore(base)
    (tmp_path / "escaped").write_bytes(b"outside the store")
    with pytest.raises(InvalidArtifactIdError):
        store.write(artifact_id, io.BytesIO(b"payload"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArtifactIdError):
        store.open_reader(artifact_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidArtifactIdError):
        store.remove(artifact_id)  # type: ignore[arg-type]
    assert list(base.iterdir()) == []
    assert (tmp_path / "escaped").read_bytes() == b"outside the store"


def test_a_missing_artifact_is_a_named_error_on_read_and_remove(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path)
    with pytest.raises(ArtifactNotFound, match="No artifact 'absent'"):
        store.open_reader("absent")
    with pytest.raises(ArtifactNotFound):
        store.remove("absent")
    # Optuna's spelling names the same class; it is an hpo-queue error like every other.
    assert hq.artifacts.exceptions.ArtifactNotFound is ArtifactNotFound
    assert issubclass(ArtifactNotFound, HpoQueueError)


def test_remove_deletes_the_artifact(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path)
    store.write("a", io.BytesIO(b"x"))
    store.remove("a")
    with pytest.raises(ArtifactNotFound):
        store.open_reader("a")


class _FailingSource(io.RawIOBase):
    """A source that yields some bytes, then fails, as a network read might."""

    def __init__(self) -> None:
        self._sent = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._sent:
            raise OSError("the source went away")
        self._sent = True
        buffer[:5] = b"parti"
        return 5


def test_a_failed_write_keeps_the_old_artifact_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    store = FileSystemArtifactStore(tmp_path)
    store.write("model", io.BytesIO(b"the old model"))
    with pytest.raises(OSError, match="went away"):
        store.write("model", _FailingSource())  # type: ignore[arg-type]
    with store.open_reader("model") as reader:
        assert reader.read() == b"the old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_readers_see_a_whole_artifact_while_it_is_rewritten(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path)
    size = 1024 * 1024
    store.write("plot", io.BytesIO(b"a" * size))
    done = threading.Event()

    def rewrite() -> None:
        for i in range(40):
            store.write("plot", io.BytesIO(bytes([ord("a") + i % 2]) * size))
        done.set()

    writer = threading.Thread(target=rewrite)
    writer.start()
    reads = 0
    while not done.is_set() or reads == 0:
        with store.open_reader("plot") as reader:
            content = reader.read()
        assert len(content) == size
        assert content in (b"a" * size, b"b" * size)  # never a mix, never a prefix
        reads += 1
    writer.join()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plot"]


def test_artifacts_are_created_with_the_umask_not_private_to_the_writer(tmp_path: Path) -> None:
    # Another user on another node of a shared directory must be able to read them.
    store = FileSystemArtifactStore(tmp_path)
    previous = os.umask(0o022)
    try:
        store.write("shared", io.BytesIO(b"x"))
    finally:
        os.umask(previous)
    assert (tmp_path / "shared").stat().st_mode & 0o777 == 0o644
