"""hpo-queue trials and best-trial in table, JSON and CSV, run in-process on a SQLite file."""

from __future__ import annotations

import csv
import io
import json
import socket

import pytest

import hpo_queue as hq
from hpo_queue.cli import main


@pytest.fixture
def study_url(sqlite_url: str) -> str:
    # AutoSampler records the method that chose each trial; `trials` shows it.
    study = hq.create_study(storage=sqlite_url, study_name="s", sampler=hq.samplers.AutoSampler())
    for value in (2.0, 0.5, 1.25):
        trial = study.ask()
        trial.suggest_float("x", -5, 5)
        trial.suggest_categorical("kind", ["a", "b"])
        study.tell(trial, value)
    pruned = study.ask()
    pruned.suggest_float("x", -5, 5)
    study.tell(pruned, state="PRUNED")
    return sqlite_url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_trials_table(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "trials", "--storage", study_url, "--study-name", "s")
    lines = out.splitlines()
    header = lines[0].split()
    columns = (
        "number",
        "state",
        "value",
        "params_x",
        "params_kind",
        "duration",
        "worker",
        "method",
    )
    for column in columns:
        assert column in header
    assert len(lines) == 2 + 4
    assert lines[2].split()[:3] == ["0", "COMPLETE", "2"]
    assert lines[3].split()[:3] == ["1", "COMPLETE", "0.5"]
    assert "PRUNED" in lines[5]
    assert socket.gethostname() in out


def test_trials_json(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(_run(capsys, "trials", "--storage", study_url, "--study", "s", "-f", "json"))
    assert [t["number"] for t in data] == [0, 1, 2, 3]
    assert [t["value"] for t in data[:3]] == [2.0, 0.5, 1.25]
    assert data[0]["state"] == "COMPLETE" and data[3]["state"] == "PRUNED"
    assert set(data[0]["params"]) == {"x", "kind"}
    assert data[0]["params"]["kind"] in ("a", "b")
    assert isinstance(data[0]["duration"], float) and data[0]["duration"] >= 0
    assert data[0]["started"].startswith("20")
    # AutoSampler records the method that chose each trial (start-up: Sobol points).
    assert [t["method"] for t in data] == ["qmc"] * 4


def test_trials_csv_and_state_filter(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(
        capsys,
        "trials",
        "--storage",
        study_url,
        "--study-name",
        "s",
        "-f",
        "csv",
        "--state",
        "complete",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["number"] for r in rows] == ["0", "1", "2"]
    assert [float(r["value"]) for r in rows] == [2.0, 0.5, 1.25]
    assert all(r["state"] == "COMPLETE" for r in rows)
    assert {"params_x", "params_kind"} <= set(rows[0])


def test_trials_bad_state_is_a_usage_error(
    study_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["trials", "--storage", study_url, "--study-name", "s", "--state", "done"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hpo-queue: error:") and err.count("\n") == 1


def test_best_trial_table_and_json(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "best-trial", "--storage", study_url, "--study-name", "s")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["number", "value"]
    assert lines[2].split()[:2] == ["1", "0.5"]
    data = json.loads(
        _run(capsys, "best-trial", "--storage", study_url, "--study-name", "s", "-f", "json")
    )
    assert data["number"] == 1 and data["value"] == 0.5
    assert data["params"] == hq.load_study(study_name="s", storage=study_url).best_params


def test_best_trial_multi_objective_is_the_pareto_front(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    study = hq.create_study(
        storage=sqlite_url, study_name="mo", directions=["minimize", "minimize"]
    )
    for values in ((1.0, 3.0), (2.0, 2.0), (3.0, 3.0), (3.0, 1.0)):
        study.tell(study.ask(), values)
    data = json.loads(
        _run(capsys, "best-trial", "--storage", sqlite_url, "--study-name", "mo", "-f", "json")
    )
    assert sorted(t["number"] for t in data) == [0, 1, 3]
    assert sorted(tuple(t["values"]) for t in data) == [(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]
    table = _run(capsys, "best-trial", "--storage", sqlite_url, "--study-name", "mo")
    assert "values" in table.splitlines()[0] and "2, 2" in table


def test_best_trial_without_completed_trials(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hq.create_study(storage=sqlite_url, study_name="empty")
    capsys.readouterr()
    assert main(["best-trial", "--storage", sqlite_url, "--study-name", "empty"]) == 1
    err = capsys.readouterr().err
    assert err == "hpo-queue: error: Study 'empty' has no completed trial yet.\n"
