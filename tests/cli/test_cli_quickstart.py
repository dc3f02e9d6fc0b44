"""hpo-queue quickstart: the README's first command, on a SQLite file with no servers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_runs_and_says_how_to_look(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["quickstart", "--storage", sqlite_url, "--n-trials", "12", "--seed", "0"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "Best trial: #" in out
    assert f"hpo-queue trials --storage {sqlite_url} --study-name quickstart" in out
    assert "Trial 11 finished with value" in err
    study = hq.load_study(study_name="quickstart", storage=sqlite_url)
    assert len(study.trials) == 12
    assert set(study.best_params) == {"x", "y", "shape"}
    # Run again: the study is reused and grows.
    assert main([*argv[:-2], "--n-trials", "3"]) == 0
    assert len(study.trials) == 15
    capsys.readouterr()
    assert (
        main(["trials", "--storage", sqlite_url, "--study-name", "quickstart", "-f", "json"]) == 0
    )
    assert len(json.loads(capsys.readouterr().out)) == 15


def test_quickstart_default_storage_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["quickstart", "--n-trials", "2"]) == 0
    assert (tmp_path / "hpo-queue-quickstart.db").exists()
    out = capsys.readouterr().out
    # The printed commands name the file by absolute path, so they work from anywhere.
    assert f"sqlite:///{os.path.join(str(tmp_path), 'hpo-queue-quickstart.db')}" in out


def test_quickstart_leaves_no_wal_or_shm_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["quickstart", "--n-trials", "3"]) == 0
    # Checked while this process still runs: its connections were closed, not just dropped
    # at exit (a killed or embedding process would leave the files behind).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hpo-queue-quickstart.db"]


def test_the_printed_commands_run_as_printed_without_hpo_queue_on_path(tmp_path: Path) -> None:
    path = os.pathsep.join(["/usr/bin", "/bin"])
    if shutil.which("hpo-queue", path=path):
        pytest.skip("hpo-queue is installed system-wide: it is on any PATH")
    env = {**os.environ, "PATH": path, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "hpo_queue", "quickstart", "--n-trials", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("Look at it with:"))
    commands = [line.strip() for line in lines[start + 1 :] if line.startswith("  ")]
    assert len(commands) == 3
    for command in commands:
        assert not command.startswith("hpo-queue ")  # not on this PATH: a path that works
        ran = subprocess.run(
            command, shell=True, cwd="/", env=env, capture_output=True, text=True, timeout=120
        )
        assert ran.returncode == 0, (command, ran.stderr)
        assert ran.stdout.startswith(("number", "name", "study")), ran.stdout  # a table
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hpo-queue-quickstart.db"]
