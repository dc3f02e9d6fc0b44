"""Why trials failed is shown by `trials` (each trial) and `status` (grouped)."""

from __future__ import annotations

import json

import pytest

import hpo_queue as hq
from hpo_queue.cli import main


def broken(trial: hq.Trial) -> float:
    trial.suggest_float("x", 0, 1)
    raise RuntimeError("the data file is missing")


def fine(trial: hq.Trial) -> float:
    return trial.suggest_float("x", 0, 1)


@pytest.fixture
def study_url(sqlite_url: str) -> str:
    study = hq.create_study(study_name="s", storage=sqlite_url)
    study.optimize(broken, n_trials=2, catch=(RuntimeError,))
    study.optimize(fine, n_trials=1)
    return sqlite_url


def test_trials_shows_each_fail_reason(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trials", "--storage", study_url, "--study-name", "s", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["fail_reason"] for r in rows] == [
        "RuntimeError: the data file is missing",
        "RuntimeError: the data file is missing",
        None,
    ]
    assert main(["trials", "--storage", study_url, "--study-name", "s"]) == 0
    assert "RuntimeError: the data file is missing" in capsys.readouterr().out


def test_status_groups_fail_reasons(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--storage", study_url, "--study-name", "s"]) == 0
    out = capsys.readouterr().out
    assert "failed:     2 trial(s) (0, 1): RuntimeError: the data file is missing" in out
    assert main(["status", "--storage", study_url, "--study-name", "s", "-f", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["fail_reasons"] == {"RuntimeError: the data file is missing": [0, 1]}
