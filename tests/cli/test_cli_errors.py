"""User mistakes: one "hpo-queue: error: ..." line, exit 1 (2 for usage), never a traceback."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from hpo_queue.cli import main


@pytest.fixture(autouse=True)
def _no_storage_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HPO_STORAGE_URL", raising=False)
    monkeypatch.delenv("HPO_CONFIG", raising=False)
    monkeypatch.delenv("HPO_DEBUG", raising=False)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("hpo-queue: error: ")
    assert "Traceback" not in err
    return err


def test_unknown_study(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["create-study", "--storage", sqlite_url, "--study-name", "real"])
    capsys.readouterr()
    for command in ("trials", "best-trial", "delete-study"):
        assert main([command, "--storage", sqlite_url, "--study-name", "ghost"]) == 1
        assert "ghost" in _one_error_line(capsys)


def test_missing_sqlite_file_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/absent.db"
    assert main(["studies", "--storage", url]) == 1
    assert "absent.db" in _one_error_line(capsys)


def test_no_storage_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["studies"]) == 2
    err = _one_error_line(capsys)
    assert "--storage" in err and "HPO_STORAGE_URL" in err


def test_unreachable_database_fails_fast_and_masks_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Fast, counted rather than timed: one connection attempt, with a short connect timeout,
    # and no retry backoff (the storage's retries would ride out a restart for ~10 s).
    import pymysql

    connects: list[dict[str, object]] = []
    real_connect = pymysql.connect

    def counting_connect(*args: object, **kwargs: object) -> object:
        connects.append(kwargs)
        return real_connect(*args, **kwargs)

    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"the CLI waited {seconds} s to retry an unreachable database")

    monkeypatch.setattr(pymysql, "connect", counting_connect)
    monkeypatch.setattr(time, "sleep", no_sleep)
    url = "mysql://root:s3cret@127.0.0.1:1/x"
    for argv in (["studies", "--storage", url], ["create-study", "--storage", url]):
        connects.clear()
        assert main(argv) == 1
        assert len(connects) == 1
        timeout = connects[0]["connect_timeout"]
        assert isinstance(timeout, int | float) and 0 < timeout <= 5
        err = _one_error_line(capsys)
        assert "127.0.0.1:1" in err and "s3cret" not in err


def test_password_from_env_is_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HPO_STORAGE_URL", "mysql://root:s3cret@127.0.0.1:1/x")
    assert main(["trials", "--study-name", "s"]) == 1
    assert "s3cret" not in _one_error_line(capsys)


@pytest.mark.parametrize(
    ("url", "expected"),
    [("redis://localhost/0", "Unsupported database"), ("not a url", "Could not parse")],
)
def test_bad_url(url: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["studies", "--storage", url]) == 1
    assert expected in _one_error_line(capsys)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--sampler", '{"name": "TPESampler",'], "--sampler is not valid JSON"),
        (["--sampler", '{"seed": 1}'], '"name"'),
        (["--sampler", "annealing"], "Unknown sampler"),
        (["--sampler", '{"name": "TPESampler", "colour": 1}'], "Bad arguments"),
        (["--pruner", "{"], "--pruner is not valid JSON"),
    ],
)
def test_bad_sampler_or_pruner(
    sqlite_url: str, flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-study", "--storage", sqlite_url, "--study-name", "s", *flags]) == 1
    assert expected in _one_error_line(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["create-study", "--bogus"],
        ["create-study", "--direction", "sideways"],
        ["create-study", "--direction", "minimize", "--directions", "maximize"],
        ["create-study", "--max-trials", "0"],
        ["trials", "--storage", "sqlite://"],  # --study-name is required
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    _one_error_line(capsys)


def test_debug_shows_the_traceback(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "trials", "--storage", sqlite_url, "--study-name", "ghost"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().splitlines()[-1].startswith("hpo-queue: error:")


def test_unexpected_error_is_one_line_with_a_hint(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom with s3cret inside")

    monkeypatch.setattr(sys.modules["hpo_queue.cli._studies"], "get_all_study_summaries", broken)
    url = sqlite_url
    main(["create-study", "--storage", url, "--study-name", "s"])
    capsys.readouterr()
    assert main(["studies", "--storage", url]) == 1
    err = _one_error_line(capsys)
    assert "RuntimeError: boom" in err and "--debug" in err
    assert "s3cret" in err  # not a URL password: only passwords of the storage URLs are hidden


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("hpo-queue ")
    for command in (
        "create-study",
        "studies",
        "trials",
        "best-trial",
        "delete-study",
        "quickstart",
    ):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "examples:" in out and f"hpo-queue {command}" in out


@pytest.mark.parametrize(
    "url", ["mysql:/u:PASSWORD@h/db", "mysql://u:PASS@WORD@h/db", "mysql://u:PASSWORD@h:33a06/db"]
)
def test_a_malformed_url_never_prints_its_password(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["studies", "--storage", url]) == 1
    err = _one_error_line(capsys)
    assert "PASS" not in err and "WORD" not in err


def test_an_unknown_study_names_the_url_as_typed_and_the_closest_study(
    mysql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-study", "--storage", mysql_url, "--study-name", "mnist-large"]) == 0
    capsys.readouterr()
    assert main(["trials", "--storage", mysql_url, "--study-name", "mnist-lrage"]) == 1
    err = _one_error_line(capsys)
    assert f"in {mysql_url}." in err  # not mysql+pymysql://...?charset=utf8mb4
    assert "pymysql" not in err and "charset" not in err
    assert "Did you mean 'mnist-large'?" in err
    assert main(["status", "--storage", mysql_url, "--study-name", "MNIST-LARGE"]) == 1
    assert "Did you mean 'mnist-large'?" in _one_error_line(capsys)
    assert main(["trials", "--storage", mysql_url, "--study-name", "cifar"]) == 1
    assert "Did you mean" not in _one_error_line(capsys)


def test_storage_upgrade_names_the_url_as_typed(
    mysql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-study", "--storage", mysql_url, "--study-name", "s"]) == 0
    capsys.readouterr()
    assert main(["storage", "upgrade", "--storage", mysql_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{mysql_url} is at schema version")


@pytest.mark.parametrize(
    "argv",
    [
        ["trials", "--storage", "sqlite:///x.db", "--study-name", "s", "--stat", "fail"],
        ["trials", "--storage", "sqlite:///x.db", "--study-name", "s", "--form", "json"],
        ["storage", "upgrade", "--stor", "sqlite:///x.db"],
        ["--deb", "studies"],
    ],
)
def test_an_abbreviated_flag_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert "unrecognized arguments: --" in _one_error_line(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["studies", "--storag", "mysql://root:SeCrEtPw@127.0.0.1/db"],  # a typo in the flag
        ["--storage", "mysql://root:SeCrEtPw@127.0.0.1/x", "stor"],  # a bad command
        ["storage", "--storage", "mysql://root:SeCrEtPw@127.0.0.1/x"],  # no subcommand
        ["studies", "mysql://root:SeCrEtPw@127.0.0.1/db"],  # the URL without --storage
        ["studies", "--storag", "mysql:/root:SeCrEtPw@127.0.0.1/db"],  # malformed too
    ],
)
def test_usage_errors_that_quote_what_was_typed_hide_its_password(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = _one_error_line(capsys)
    assert "SeCrEtPw" not in err, err
    assert "127.0.0.1" not in err or "***@127.0.0.1" in err, err


def test_storage_may_come_before_the_command_as_in_optunas_cli(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--storage", sqlite_url, "create-study", "--study-name", "first"]) == 0
    assert main(["--storage", sqlite_url, "study-names", "-f", "value"]) == 0
    assert capsys.readouterr().out.split() == ["first", "first"]
    # After the command it wins over the one before it.
    assert (
        main(["--storage", "sqlite:///elsewhere.db", "study-names", "--storage", sqlite_url]) == 0
    )
    assert "first" in capsys.readouterr().out


def test_tell_without_a_result_or_with_too_many_values_leaves_the_trial_running(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import hpo_queue as hq

    study = hq.create_study(study_name="told", storage=sqlite_url)
    study.ask()
    base = ["tell", "--storage", sqlite_url, "--study-name", "told", "--trial-number", "0"]
    capsys.readouterr()
    assert main(base) == 2
    assert "--values" in _one_error_line(capsys)
    assert main([*base, "--values", "0.9", "0.1"]) == 2
    assert "1 objective(s) but --values gave 2" in _one_error_line(capsys)
    assert study.trials[0].state == hq.TrialState.RUNNING
    assert main([*base, "--values", "0.5"]) == 0
    assert capsys.readouterr().out == "Told trial 0: COMPLETE.\n"
    assert main([*base, "--values", "0.7", "--skip-if-finished"]) == 0
    assert capsys.readouterr().out == "Trial 0 is finished already (COMPLETE); skipped.\n"
    assert study.trials[0].values == [0.5]
