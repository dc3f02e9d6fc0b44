"""Backoff: a store's transient failures are retried; answers (not found, bad id) are not."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import pytest

import hpo_queue as hq
from hpo_queue.artifacts import Backoff, FileSystemArtifactStore, download_artifact, upload_artifact
from hpo_queue.exceptions import (
    ArtifactNotFound,
    ArtifactStoreError,
    InvalidArtifactIdError,
    InvalidInputError,
)


class FlakyStore:
    """A real FileSystemArtifactStore whose first ``failures`` calls fail half-way through."""

    def __init__(self, base: Path, failures: int) -> None:
        self.store = FileSystemArtifactStore(base)
        self.failures = failures
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ArtifactStoreError(f"throttled (call {self.calls})")

    def open_reader(self, artifact_id: str) -> BinaryIO:
        self._maybe_fail()
        return self.store.open_reader(artifact_id)

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        content_body.read(3)  # a failed upload has consumed part of the source
        self._maybe_fail()
        content_body.seek(0)
        self.store.write(artifact_id, content_body)

    def remove(self, artifact_id: str) -> None:
        self._maybe_fail()
        self.store.remove(artifact_id)


def _fast(backend: FlakyStore, max_retries: int = 5) -> Backoff:
    return Backoff(backend, max_retries=max_retries, min_delay=0.001, max_delay=0.002)


def test_failures_below_the_limit_are_retried_until_the_call_succeeds(tmp_path: Path) -> None:
    flaky = FlakyStore(tmp_path / "store", failures=3)
    store = _fast(flaky)
    study = hq.create_study()
    source = tmp_path / "weights.bin"
    source.write_bytes(b"0123456789" * 1000)
    artifact_id = upload_artifact(artifact_store=store, file_path=source, study_or_trial=study)
    assert flaky.calls == 4
    flaky.failures = flaky.calls + 2  # the download's first two reads fail
    target = tmp_path / "back.bin"
    download_artifact(artifact_store=store, file_path=target, artifact_id=artifact_id)
    assert target.read_bytes() == source.read_bytes()  # the retried write sent every byte


def test_the_last_failure_is_raised_after_max_retries_calls(tmp_path: Path) -> None:
    flaky = FlakyStore(tmp_path, failures=100)
    with pytest.raises(ArtifactStoreError, match="call 4"):
        _fast(flaky, max_retries=4).write("a", io.BytesIO(b"abcdef"))
    assert flaky.calls == 4


def test_a_missing_artifact_and_a_bad_id_are_raised_at_once(tmp_path: Path) -> None:
    flaky = FlakyStore(tmp_path, failures=0)
    store = _fast(flaky)
    with pytest.raises(ArtifactNotFound):
        store.open_reader("absent")
    with pytest.raises(InvalidArtifactIdError):
        store.remove("../x")
    assert flaky.calls == 2


def test_a_source_that_cannot_seek_is_not_sent_twice(tmp_path: Path) -> None:
    class Unseekable(io.BytesIO):
        def seekable(self) -> bool:
            return False

    class NoRewind(FlakyStore):
        def write(self, artifact_id: str, content_body: BinaryIO) -> None:
            self._maybe_fail()
            self.store.write(artifact_id, content_body)

    no_rewind = NoRewind(tmp_path, failures=1)
    with pytest.raises(ArtifactStoreError, match="call 1"):
        _fast(no_rewind).write("a", Unseekable(b"abc"))
    assert no_rewind.calls == 1


def test_delays_grow_by_the_multiplier_up_to_max_delay(tmp_path: Path) -> None:
    store = Backoff(FlakyStore(tmp_path, 0), multiplier=3, min_delay=0.5, max_delay=10)
    assert [store.delay(n) for n in range(5)] == [0.5, 1.5, 4.5, 10, 10]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_retries": 0}, "max_retries must be an integer >= 1"),
        ({"multiplier": -1}, "multiplier must be a number > 0"),
        ({"min_delay": float("nan")}, "min_delay must be a number > 0"),
        ({"min_delay": 5, "max_delay": 1}, "max_delay must be a number >= min_delay"),
    ],
)
def test_out_of_range_settings_are_named_errors(
    tmp_path: Path, arguments: dict[str, float], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Backoff(FlakyStore(tmp_path, 0), **arguments)  # type: ignore[arg-type]
