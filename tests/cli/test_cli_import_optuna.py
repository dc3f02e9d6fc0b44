"""hpo-queue import-optuna: one line on success, one error line (passwords hidden) otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.cli import main
from tests.support.optuna_studies import N_OPTIMIZED, write_optuna_studies


@pytest.fixture(autouse=True)
def _no_storage_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HPO_STORAGE_URL", raising=False)
    monkeypatch.delenv("HPO_CONFIG", raising=False)
    monkeypatch.delenv("HPO_DEBUG", raising=False)


@pytest.fixture(scope="module")
def optuna_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('optuna') / 'optuna.db'}"
    write_optuna_studies(url)
    return url


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("hpo-queue: error: "), err
    return err


def test_import_prints_what_it_copied(
    optuna_sqlite: str, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["import-optuna", "--from-storage", optuna_sqlite, "--study-name", "single"]
    assert main([*argv, "--storage", sqlite_url]) == 0
    out = capsys.readouterr().out
    n = N_OPTIMIZED + 2
    assert out.startswith(f"Imported study 'single' from {optuna_sqlite} into {sqlite_url}")
    assert f": {n} trial(s) (" in out and f"new trials start at number {n}." in out
    assert len(hq.load_study(study_name="single", storage=sqlite_url).trials) == n


def test_import_errors_are_one_line(
    optuna_sqlite: str, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["import-optuna", "--from-storage", optuna_sqlite, "--storage", sqlite_url]
    assert main([*argv, "--study-name", "multi"]) == 0
    capsys.readouterr()
    assert main([*argv, "--study-name", "multi"]) == 1
    assert "A study named 'multi' already exists in the target" in _one_error_line(capsys)
    assert main([*argv, "--study-name", "mult"]) == 1
    assert "Did you mean 'multi'?" in _one_error_line(capsys)
    assert main([*argv, "--study-name", "multi", "--max-trials", "0"]) == 1
    assert "max_trials must be a positive integer, got 0." in _one_error_line(capsys)
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert main([*argv[:1], "--from-storage", missing, "--study-name", "s"]) == 2  # no --storage
    capsys.readouterr()


def test_the_source_password_is_never_printed(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for source in ("mysql://u:SECRETPW@127.0.0.1:1/db", "mysql:/u:SECRETPW@h/db"):
        argv = ["import-optuna", "--from-storage", source, "--study-name", "s"]
        assert main([*argv, "--storage", sqlite_url]) == 1
        err = _one_error_line(capsys)
        assert "SECRETPW" not in err and "u:***@" in err


def test_a_failed_import_leaves_no_new_database_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite:///{tmp_path / 'not-optuna.db'}"
    hq.create_study(study_name="mine", storage=source)  # an hpo-queue store, not Optuna's
    capsys.readouterr()
    target = tmp_path / "target.db"
    argv = ["import-optuna", "--from-storage", source, "--study-name", "mine"]
    assert main([*argv, "--storage", f"sqlite:///{target}"]) == 1
    _one_error_line(capsys)
    assert not target.exists()
