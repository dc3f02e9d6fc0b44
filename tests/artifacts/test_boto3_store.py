"""Boto3ArtifactStore against a real S3-compatible server (moto's server mode, started here)."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue.artifacts import (
    Boto3ArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from hpo_queue.exceptions import ArtifactNotFound, ArtifactStoreError, InvalidArtifactIdError


def test_bytes_written_are_the_bytes_read_back(s3_client: Any, s3_bucket: str) -> None:
    store = Boto3ArtifactStore(s3_bucket, client=s3_client)
    content = random.Random(1).randbytes(2 * 1024 * 1024 + 17)
    store.write("weights", io.BytesIO(content))
    with store.open_reader("weights") as reader:
        assert reader.read() == content
    stored = s3_client.get_object(Bucket=s3_bucket, Key="weights")["Body"].read()
    assert stored == content  # the object is in the bucket under its id


def test_the_default_client_is_configured_from_the_environment(
    s3_env: dict[str, str], s3_client: Any, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a worker on another node does: AWS_ENDPOINT_URL_S3 and credentials in its env.
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # one that reads this test's env
    store = Boto3ArtifactStore(s3_bucket)
    store.write("from-env", io.BytesIO(b"configured by env"))
    assert s3_client.get_object(Bucket=s3_bucket, Key="from-env")["Body"].read() == (
        b"configured by env"
    )


def test_avoid_buf_copy_uploads_the_source_as_it_is(s3_client: Any, s3_bucket: str) -> None:
    store = Boto3ArtifactStore(s3_bucket, client=s3_client, avoid_buf_copy=True)
    store.write("direct", io.BytesIO(b"no copy"))
    with store.open_reader("direct") as reader:
        assert reader.read() == b"no copy"


def test_upload_list_and_download_through_s3(
    s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    store = Boto3ArtifactStore(s3_bucket, client=s3_client)
    study = hq.create_study(storage=f"sqlite:///{tmp_path / 'hq.db'}")
    plot = tmp_path / "history.svg"
    plot.write_bytes(b"<svg>history</svg>")
    on_study = upload_artifact(artifact_store=store, file_path=plot, study_or_trial=study)

    def objective(trial: hq.Trial) -> float:
        checkpoint = tmp_path / f"model-{trial.number}.pt"
        checkpoint.write_bytes(f"weights of trial {trial.number}".encode())
        upload_artifact(artifact_store=store, file_path=checkpoint, study_or_trial=trial)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=2)
    (meta,) = get_all_artifact_meta(study)
    assert (meta.artifact_id, meta.filename, meta.mimetype) == (
        on_study,
        "history.svg",
        "image/svg+xml",
    )
    for trial in study.trials:
        (meta,) = get_all_artifact_meta(trial, storage=study.storage)
        target = tmp_path / f"downloaded-{trial.number}"
        download_artifact(artifact_store=store, file_path=target, artifact_id=meta.artifact_id)
        assert target.read_bytes() == f"weights of trial {trial.number}".encode()
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert len(keys) == 3 and on_study in keys


def test_a_missing_key_is_artifact_not_found(s3_client: Any, s3_bucket: str) -> None:
    store = Boto3ArtifactStore(s3_bucket, client=s3_client)
    with pytest.raises(ArtifactNotFound, match=f"No artifact 'absent' in S3 bucket '{s3_bucket}'"):
        store.open_reader("absent")


def test_a_missing_bucket_is_a_named_store_error_not_a_missing_artifact(
    s3_client: Any, tmp_path: Path
) -> None:
    store = Boto3ArtifactStore("no-such-bucket-here", client=s3_client)
    with pytest.raises(ArtifactStoreError, match="NoSuchBucket") as caught:
        store.write("a", io.BytesIO(b"a"))
    assert not isinstance(caught.value, ArtifactNotFound)
    with pytest.raises(ArtifactStoreError, match="bucket 'no-such-bucket-here'") as caught:
        store.open_reader("a")
    assert not isinstance(caught.value, ArtifactNotFound)
    # An upload whose bytes could not be written records nothing.
    study = hq.create_study()
    path = tmp_path / "a.txt"
    path.write_text("a")
    with pytest.raises(ArtifactStoreError):
        upload_artifact(artifact_store=store, file_path=path, study_or_trial=study)
    assert get_all_artifact_meta(study) == []


def test_remove_deletes_the_object(s3_client: Any, s3_bucket: str) -> None:
    store = Boto3ArtifactStore(s3_bucket, client=s3_client)
    store.write("gone", io.BytesIO(b"x"))
    store.remove("gone")
    with pytest.raises(ArtifactNotFound):
        store.open_reader("gone")


@pytest.mark.parametrize("artifact_id", ["../x", "a/b", "", ".hidden"])
def test_ids_that_are_not_plain_names_are_refused_before_any_request(
    s3_client: Any, s3_bucket: str, artifact_id: str
) -> None:
    store = Boto3ArtifactStore(s3_bucket, client=s3_client)
    with pytest.raises(InvalidArtifactIdError):
        store.write(artifact_id, io.BytesIO(b"x"))
    with pytest.raises(InvalidArtifactIdError):
        store.open_reader(artifact_id)
    assert s3_client.list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0


# Runs in a fresh interpreter in which boto3 and botocore cannot be imported, as without
# the s3 extra; the rest of the library imports as usual.
WITHOUT_BOTO3 = """
import importlib.abc, json, sys

class NoBoto3(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("boto3", "botocore"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoBoto3())
import hpo_queue as hq
from hpo_queue.exceptions import MissingDependencyError
store = hq.artifacts.FileSystemArtifactStore(sys.argv[1])  # needs no boto3
try:
    hq.artifacts.Boto3ArtifactStore("bucket")
except MissingDependencyError as exc:
    print(json.dumps({"error": str(exc), "is_import_error": isinstance(exc, ImportError)}))
"""


def test_without_boto3_the_store_names_the_extra_to_install(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_BOTO3, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "pip install 'hpo-queue[s3]'" in report["error"]
    assert report["is_import_error"]


def test_missing_credentials_are_a_named_store_error(
    s3_env: dict[str, str], s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no wait for an instance role
    import boto3

    # A new session: boto3's default one keeps the credentials an earlier test found.
    store = Boto3ArtifactStore(s3_bucket, client=boto3.session.Session().client("s3"))
    with pytest.raises(ArtifactStoreError, match="Unable to locate credentials"):
        store.write("a", io.BytesIO(b"a"))
