"""Several processes upload at once to one MySQL study and one shared artifact directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta

pytestmark = [pytest.mark.mysql]

N_PROCESSES = 4
N_UPLOADS = 5

# Each process waits for the go file so that all of them upload at the same time, then
# uploads N_UPLOADS files to the study and N_UPLOADS to a trial of its own.
UPLOADER = """
import sys, time
from pathlib import Path

import hpo_queue as hq
from hpo_queue.artifacts import FileSystemArtifactStore, upload_artifact

url, base, work, index, n = sys.argv[1:]
work, n = Path(work), int(n)
study = hq.load_study(study_name="shared", storage=url)
store = FileSystemArtifactStore(base)
trial = study.ask()
trial.set_user_attr("process", index)
(work / f"ready-{index}").touch()
while not (work / "go").exists():
    time.sleep(0.01)
for i in range(n):
    for owner in ("study", "trial"):
        path = work / f"{owner}-{index}-{i}.bin"
        path.write_bytes(f"{owner} {index} {i} ".encode() * 1000)
        target = study if owner == "study" else trial
        upload_artifact(artifact_store=store, file_path=path, study_or_trial=target)
study.tell(trial, float(index))
"""


def test_uploads_from_several_processes_are_all_listed_and_intact(
    mysql_url: str, tmp_path: Path
) -> None:
    study = hq.create_study(study_name="shared", storage=mysql_url)
    base = tmp_path / "shared-artifacts"
    script = tmp_path / "uploader.py"
    script.write_text(UPLOADER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                mysql_url,
                str(base),
                str(tmp_path),
                str(i),
                str(N_UPLOADS),
            ],
            env=env,
            stderr=subprocess.PIPE,
        )
        for i in range(N_PROCESSES)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < N_PROCESSES:
        assert time.monotonic() < deadline, "the uploaders did not get ready"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.05)
    (tmp_path / "go").touch()
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-3000:]

    store = FileSystemArtifactStore(base)
    expected = {
        f"{owner}-{i}-{k}.bin"
        for owner in ("study", "trial")
        for i in range(N_PROCESSES)
        for k in range(N_UPLOADS)
    }
    metas = list(get_all_artifact_meta(study))
    trials = study.trials
    assert len(trials) == N_PROCESSES
    for trial in trials:
        of_trial = get_all_artifact_meta(trial, storage=study.storage)
        index = trial.user_attrs["process"]
        assert sorted(m.filename for m in of_trial) == sorted(
            f"trial-{index}-{k}.bin" for k in range(N_UPLOADS)
        )
        metas += of_trial
    assert len(metas) == 2 * N_PROCESSES * N_UPLOADS
    assert {m.filename for m in metas} == expected
    assert len({m.artifact_id for m in metas}) == len(metas)
    for meta in metas:
        target = tmp_path / f"downloaded-{meta.artifact_id}"
        download_artifact(artifact_store=store, file_path=target, artifact_id=meta.artifact_id)
        assert target.read_bytes() == (tmp_path / meta.filename).read_bytes()
    # Every write was renamed into place: no temporary file is left.
    assert sorted(p.name for p in base.iterdir()) == sorted(m.artifact_id for m in metas)
