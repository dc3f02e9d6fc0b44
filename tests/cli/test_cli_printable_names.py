"""Names written before the name limits (here, straight into the SQLite file) reach the
terminal as visible escapes, never raw: no ESC can set the terminal's title, and a lone
surrogate neither stops a listing nor the plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

import hpo_queue as hq
from hpo_queue.cli import main
from hpo_queue.storages import RDBStorage

# An OSC sequence that sets the terminal's title, then "clear screen".
ESC_NAME = "s\x1b]0;owned\x07\x1b[2J"
ESC_PARAM = "p\x1b[31m"
SURROGATE_PARAM = "q\ud800"


def _json_literal(text: str) -> str:
    """``text`` as it appears inside the store's JSON (ASCII, with \\u escapes)."""
    return json.dumps(text)


def _rename_param(url: str, old: str, new: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for column in ("params_json", "distributions_json"):
            conn.execute(
                sa.text(f"UPDATE hq_trials SET {column} = replace({column}, :old, :new)"),
                {"old": _json_literal(old), "new": _json_literal(new)},
            )
    engine.dispose()


def _rename_study(url: str, old: str, new: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE hq_studies SET study_name = :new WHERE study_name = :old"),
            {"old": old, "new": new},
        )
    engine.dispose()


@pytest.fixture
def old_store(sqlite_url: str) -> str:
    """A study named ESC_NAME with params ESC_PARAM and SURROGATE_PARAM, as an older
    release (or another client writing to the database) could have left it."""
    # A storage of its own: the CLI's (get_storage) then has no cache of the trials as made.
    study = hq.create_study(storage=RDBStorage(sqlite_url), study_name="s")
    for value in (2.0, 0.5, 1.25):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.suggest_float("y", 0, 1)
        trial.report(value, 0)
        study.tell(trial, value)
    study.optimize(_fails_with_esc, n_trials=1, catch=RuntimeError)
    _rename_param(sqlite_url, "x", ESC_PARAM)
    _rename_param(sqlite_url, "y", SURROGATE_PARAM)
    _rename_study(sqlite_url, "s", ESC_NAME)
    return sqlite_url


def _fails_with_esc(trial: hq.Trial) -> float:
    raise RuntimeError("bad\x1b[2J input")


def _no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text, text
    text.encode("utf-8")  # no lone surrogate either


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_a_study_name_with_esc_is_listed_as_an_escape(
    old_store: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["studies", "--storage", old_store, "-f", fmt]) == 0
    out = capsys.readouterr().out
    _no_raw_controls(out)
    assert "s\\x1b]0;owned\\x07\\x1b[2J" in out


def test_json_output_keeps_the_exact_name_as_json_escapes(
    old_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["studies", "--storage", old_store, "-f", "json"]) == 0
    out = capsys.readouterr().out
    _no_raw_controls(out)
    assert json.loads(out)[0]["name"] == ESC_NAME


@pytest.mark.parametrize(
    "argv",
    [
        ["trials"],
        ["trials", "-f", "csv"],
        ["best-trial"],
        ["best-trials"],
        ["status"],
        ["study-names"],
        ["study-names", "-f", "yaml"],
        ["delete-study"],
    ],
)
def test_every_command_prints_stored_names_escaped(
    old_store: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    name_args = [] if argv[0] == "study-names" else ["--study-name", ESC_NAME]
    assert main([*argv, "--storage", old_store, *name_args]) == 0
    captured = capsys.readouterr()
    _no_raw_controls(captured.out + captured.err)
    if argv[0] in ("trials", "best-trial", "best-trials"):
        assert "params_p\\x1b[31m" in captured.out and "params_q\\ud800" in captured.out
    if argv[0] == "status":  # a fail reason is text from the store too
        assert "RuntimeError: bad\\x1b[2J input" in captured.out


def test_plot_writes_every_file_of_a_study_with_a_lone_surrogate_in_a_param_name(
    old_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plots"
    argv = ["plot", "--storage", old_store, "--study-name", ESC_NAME, "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr()
    _no_raw_controls(printed.out + printed.err)
    written = sorted(p.name for p in out.iterdir())
    from hpo_queue.visualization.svg import plot_kinds_for

    assert written == sorted(["index.html", *(f"{kind}.svg" for kind in plot_kinds_for(1))])
    parallel = (out / "parallel.svg").read_text(encoding="utf-8")
    assert "q\ufffd" in parallel  # the surrogate shown as the replacement character


def test_an_error_naming_a_bad_name_is_one_escaped_line(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-study", "--storage", sqlite_url, "--study-name", ESC_NAME]) == 1
    err = capsys.readouterr().err
    _no_raw_controls(err)
    assert (
        err.startswith("hpo-queue: error: Study name 's\\x1b]0;owned\\x07") and err.count("\n") == 1
    )
    assert "holds a control character (U+001B) at index 1" in err
