"""Bad inputs raise a named HpoQueueError that says what to do, never a builtin or SQL error."""

from __future__ import annotations

import kombu.exceptions
import pytest

import hpo_queue as hq
from hpo_queue.broker.wakeups import broker_error_reason
from hpo_queue.cli import main
from hpo_queue.exceptions import InvalidDistributionError, InvalidInputError, StorageURLError
from hpo_queue.storages import normalize_url


@pytest.mark.parametrize(
    ("suggest", "message"),
    [
        (lambda t: t.suggest_float("a", -1.7e308, 1.7e308), "overflows a float"),
        (lambda t: t.suggest_float("b", 0, 1, step=1e-300), "more than 2\\*\\*53 steps"),
        (lambda t: t.suggest_int("c", 0, 10**30), "between -2\\*\\*53 and 2\\*\\*53"),
    ],
)
def test_unsampleable_ranges_are_named_errors(suggest: object, message: str) -> None:
    trial = hq.create_study().ask()
    with pytest.raises(InvalidDistributionError, match=message):
        suggest(trial)  # type: ignore[operator]


def test_a_report_step_beyond_32_bits_is_a_named_error() -> None:
    trial = hq.create_study().ask()
    with pytest.raises(InvalidInputError, match="from 0 to 2147483647"):
        trial.report(1.0, 2**31)


def test_a_report_step_of_2_31_minus_1_is_stored_on_mysql(mysql_url: str) -> None:
    study = hq.create_study(storage=mysql_url)
    trial = study.ask()
    trial.report(1.0, 2**31 - 1)
    assert study.trials[0].intermediate_values == {2**31 - 1: 1.0}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h:33a06/db", "Could not parse"),
        ("sqlite://hpo.db", "names a host"),
    ],
)
def test_bad_storage_urls_are_named_errors(url: str, message: str) -> None:
    with pytest.raises(StorageURLError, match=message):
        normalize_url(url)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hpo-queue: error: "), err
    assert "Traceback" not in err and "Error:" not in err.split("error: ", 1)[1][:20]
    return err


@pytest.mark.parametrize(
    ("argv", "message", "status"),
    [
        (["studies", "--storage", "sqlite:////etc/passwd"], "cannot be opened as a database", 1),
        (["studies", "--storage", "sqlite://hpo.db"], "names a host", 1),
        (["studies", "--storage", "mysql://u@h:33a06/db"], "Could not parse", 1),
        (["create-study", "--sampler", '{"name": ["x"]}'], "'name' must be a string", 1),
        (["create-study", "--max-trials", "1e20"], "expected an integer >= 1, got '1e20'", 2),
        (["submit", "--objective", "a:b", "--wait", "--timeout", "-5"], "seconds > 0", 2),
        (["submit", "--objective", "a:b", "--retries", "-1"], "integer >= 0", 2),
    ],
)
def test_bad_command_lines_print_one_named_line(
    argv: list[str],
    message: str,
    status: int,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("HPO_CONFIG", raising=False)
    monkeypatch.setenv("HPO_STORAGE_URL", sqlite_url)
    main(["create-study", "--study-name", "s"])
    capsys.readouterr()
    if argv[0] != "studies":
        argv = [argv[0], "--study-name", "s", *argv[1:]]
    assert main(argv) == status
    assert message in _one_error_line(capsys)


def test_a_broker_error_without_a_message_shows_the_one_it_wraps() -> None:
    try:
        try:
            raise ConnectionError("invalid username-password pair")
        except ConnectionError as inner:
            raise kombu.exceptions.OperationalError() from inner
    except kombu.exceptions.OperationalError as exc:
        reason = broker_error_reason(exc)
    assert reason == "ConnectionError: invalid username-password pair"
