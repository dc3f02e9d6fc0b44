"""hpo-queue create-study, studies and delete-study, run in-process on a SQLite file."""

from __future__ import annotations

import csv
import io
import json

import pytest

import hpo_queue as hq
from hpo_queue.cli import main


def test_create_study_prints_the_name_on_stdout_as_optuna_and_the_line_once_on_stderr(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-study", "--storage", sqlite_url, "--study-name", "s1"]) == 0
    out, err = capsys.readouterr()
    assert out == "s1\n"  # STUDY=$(hpo-queue create-study ...) works as Optuna's docs use it
    assert err.count("A new study created with name: s1") == 1
    study = hq.load_study(study_name="s1", storage=sqlite_url)
    assert [d.name for d in study.directions] == ["MINIMIZE"]


def test_create_study_options_are_stored(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "create-study",
        "--storage",
        sqlite_url,
        "--study-name",
        "s2",
        "--direction",
        "maximize",
        "--max-trials",
        "7",
        "--sampler",
        '{"name": "TPESampler", "seed": 1}',
        "--pruner",
        "nop",
    ]
    assert main(argv) == 0
    study = hq.load_study(study_name="s2", storage=sqlite_url)
    assert [d.name for d in study.directions] == ["MAXIMIZE"]
    assert study.max_trials == 7
    assert type(study.sampler).__name__ == "TPESampler"
    assert type(study.pruner).__name__ == "NopPruner"


@pytest.mark.parametrize(
    "flags",
    [
        ["--directions", "minimize", "maximize"],
        ["--direction", "minimize", "--direction", "maximize"],
    ],
)
def test_create_multi_objective_study(sqlite_url: str, flags: list[str]) -> None:
    assert main(["create-study", "--storage", sqlite_url, "--study-name", "mo", *flags]) == 0
    study = hq.load_study(study_name="mo", storage=sqlite_url)
    assert [d.name for d in study.directions] == ["MINIMIZE", "MAXIMIZE"]


def test_duplicate_name_is_one_line_exit_1(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["create-study", "--storage", sqlite_url, "--study-name", "dup"])
    capsys.readouterr()
    assert main(["create-study", "--storage", sqlite_url, "--study-name", "dup"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("hpo-queue: error: ") and "dup" in err and "--skip-if-exists" in err
    assert "Traceback" not in err


def test_skip_if_exists_reuses_the_study(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["create-study", "--storage", sqlite_url, "--study-name", "again", "--skip-if-exists"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert (out, err.count("A new study created with name: again")) == ("again\n", 1)
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert (out, err.count("Using an existing study with name: again")) == ("again\n", 1)
    assert hq.get_all_study_names(sqlite_url) == ["again"]


@pytest.fixture
def two_studies(sqlite_url: str) -> str:
    study = hq.create_study(storage=sqlite_url, study_name="alpha", max_trials=10)
    for value in (3.0, 1.5, 2.0):
        trial = study.ask()
        trial.suggest_float("x", 0, 5)
        study.tell(trial, value)
    study.tell(study.ask(), state="FAIL")
    hq.create_study(storage=sqlite_url, study_name="beta", direction="maximize")
    return sqlite_url


def test_studies_table(two_studies: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["studies", "--storage", two_studies]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["name", "directions", "n_trials", "complete"]
    assert set(lines[1]) <= {"-", " "}
    alpha = lines[2].split()
    assert alpha[:6] == ["alpha", "minimize", "4", "3", "0", "1"]  # 3 complete, 0 pruned, 1 fail
    assert "1.5" in alpha and "10" in alpha
    assert lines[3].split()[:3] == ["beta", "maximize", "0"]


def test_studies_json(two_studies: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["studies", "--storage", two_studies, "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {row["name"]: row for row in data}
    assert by_name["alpha"]["directions"] == ["minimize"]
    assert by_name["alpha"]["n_trials"] == 4
    assert by_name["alpha"]["fail"] == 1
    assert by_name["alpha"]["best_value"] == 1.5
    assert by_name["alpha"]["best_trial"] == 1
    assert by_name["alpha"]["max_trials"] == 10
    assert by_name["beta"]["best_value"] is None
    assert by_name["beta"]["created"].startswith("20")


def test_studies_csv(two_studies: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["studies", "--storage", two_studies, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == ["alpha", "beta"]
    assert rows[0]["best_value"] == "1.5" and rows[0]["complete"] == "3"
    assert rows[1]["best_value"] == "" and rows[1]["directions"] == "maximize"


def test_studies_empty(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    hq.create_study(storage=sqlite_url, study_name="x")
    hq.delete_study(study_name="x", storage=sqlite_url)
    assert main(["studies", "--storage", sqlite_url]) == 0
    assert "No studies" in capsys.readouterr().out
    assert main(["studies", "--storage", sqlite_url, "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_delete_study(two_studies: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["delete-study", "--storage", two_studies, "--study-name", "alpha"]) == 0
    out = capsys.readouterr().out
    assert "alpha" in out and "4 trial" in out
    assert hq.get_all_study_names(two_studies) == ["beta"]
    assert main(["delete-study", "--storage", two_studies, "--study-name", "alpha"]) == 1
    assert "No study named 'alpha'" in capsys.readouterr().err


def test_storage_defaults_to_env(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HPO_CONFIG", raising=False)
    monkeypatch.setenv("HPO_STORAGE_URL", sqlite_url)
    assert main(["create-study", "--study-name", "from-env"]) == 0
    assert main(["studies", "-f", "json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.split("\n", 1)[1])[0]["name"] == "from-env"
