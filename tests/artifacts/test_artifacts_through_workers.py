"""An objective run by real Celery worker processes uploads a checkpoint; the test downloads it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.artifacts import (
    Boto3ArtifactStore,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
)
from hpo_queue.artifacts._protocol import ArtifactStore
from hpo_queue.trial import TrialState
from tests.support.objective_workers import celery_workers, coordinator_settings, worker_env
from tests.support.worker_processes import worker_logs

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]

MODULE = "hq_checkpointing_objectives"
# The store comes from the worker's environment, as on a node: a shared directory, or an
# S3 bucket with the endpoint and credentials boto3 reads from AWS_* variables.
OBJECTIVES = """\
import os
import tempfile

from hpo_queue.artifacts import Boto3ArtifactStore, FileSystemArtifactStore, upload_artifact

if os.environ.get("HQ_TEST_S3_BUCKET"):
    STORE = Boto3ArtifactStore(os.environ["HQ_TEST_S3_BUCKET"])
else:
    STORE = FileSystemArtifactStore(os.environ["HQ_TEST_ARTIFACT_DIR"])


def checkpointing(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, f"checkpoint-{trial.number}.txt")
        with open(path, "w") as checkpoint:
            checkpoint.write(f"trial {trial.number} x={x!r} pid={os.getpid()}")
        upload_artifact(artifact_store=STORE, file_path=path, study_or_trial=trial)
    return x * x
"""
N_TRIALS = 6


@pytest.mark.parametrize("backend", ["filesystem", "s3"])
def test_checkpoints_uploaded_by_worker_objectives_download_intact(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    mysql_url: str,
    redis_url: str,
) -> None:
    (tmp_path / f"{MODULE}.py").write_text(OBJECTIVES)
    env = worker_env(mysql_url, redis_url, MODULE)
    store: ArtifactStore
    if backend == "s3":
        s3_env: dict[str, str] = request.getfixturevalue("s3_env")
        bucket: str = request.getfixturevalue("s3_bucket")
        env.update(s3_env, HQ_TEST_S3_BUCKET=bucket)
        store = Boto3ArtifactStore(bucket, client=request.getfixturevalue("s3_client"))
    else:
        env["HQ_TEST_ARTIFACT_DIR"] = str(tmp_path / "shared-artifacts")
        store = FileSystemArtifactStore(tmp_path / "shared-artifacts")
    settings = coordinator_settings(env)
    study = hq.create_study(
        study_name=f"checkpoints-{backend}", storage=settings.storage_url, settings=settings
    )
    with celery_workers(tmp_path, env, processes=2):
        counts = study.submit(f"{MODULE}:checkpointing", n_trials=N_TRIALS).wait(timeout=120)
    assert counts == {"COMPLETE": N_TRIALS}, f"{counts}\n{worker_logs(tmp_path)}"

    pids = set()
    for trial in study.get_trials(states=[TrialState.COMPLETE]):
        assert trial.worker is not None
        (meta,) = get_all_artifact_meta(trial, storage=study.storage)
        assert (meta.filename, meta.mimetype) == (f"checkpoint-{trial.number}.txt", "text/plain")
        target = tmp_path / f"downloaded-{trial.number}.txt"
        download_artifact(artifact_store=store, file_path=target, artifact_id=meta.artifact_id)
        text = target.read_text()
        assert text.startswith(f"trial {trial.number} x={trial.params['x']!r} pid=")
        pids.add(int(text.rsplit("pid=", 1)[1]))
    assert os.getpid() not in pids  # written by the workers' processes, not this one
