"""hpo-queue quickstart: the README's first command, on a SQLite file with no servers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.cli import main


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
