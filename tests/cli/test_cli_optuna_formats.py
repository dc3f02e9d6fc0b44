"""Optuna's ``-f value|json|table|yaml`` and ``--flatten``, typed as Optuna's docs type them.

Which commands take them comes from Optuna's own CLI (``optuna.cli._COMMANDS``), so a format
Optuna adds to a command and hpo-queue lacks fails here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import hpo_queue as hq
from hpo_queue.cli import build_parser, main
from tests.support.optional_modules import import_or_skip

ROOT = Path(__file__).resolve().parents[2]
SPACE = json.dumps({"x": {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0}}})


def _format_options(parser: argparse.ArgumentParser) -> tuple[set[str], bool]:
    """The choices of a parser's -f option, and whether it has --flatten."""
    choices: set[str] = set()
    flatten = False
    for action in parser._actions:
        if "-f" in action.option_strings:
            choices = set(action.choices or ())
        flatten = flatten or "--flatten" in action.option_strings
    return choices, flatten


def _optuna_commands_with_formats() -> dict[str, tuple[set[str], bool]]:
    optuna_cli = import_or_skip("optuna.cli")
    found = {}
    for name, command in optuna_cli._COMMANDS.items():
        parser = argparse.ArgumentParser()
        command().add_arguments(parser)
        choices, flatten = _format_options(parser)
        if choices:
            found[name] = (choices, flatten)
    return found


def _our_commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("hpo-queue has no subcommands")


def test_every_optuna_format_option_is_accepted() -> None:
    optuna_commands = _optuna_commands_with_formats()
    assert {"ask", "trials", "best-trial", "best-trials", "studies", "study-names"} <= set(
        optuna_commands
    )
    ours = _our_commands()
    for name, (choices, flatten) in optuna_commands.items():
        our_choices, our_flatten = _format_options(ours[name])
        assert choices <= our_choices, f"{name} -f lacks {sorted(choices - our_choices)}"
        assert our_flatten or not flatten, f"{name} lacks --flatten"


@pytest.fixture
def demo_url(sqlite_url: str) -> str:
    study = hq.create_study(storage=sqlite_url, study_name="demo")
    for value in (0.5, 0.25):
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_categorical("kind", ["a", "b"])
        study.tell(trial, value)
    return sqlite_url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


COMMANDS = {
    "trials": ("trials", "--study-name", "demo"),
    "best-trial": ("best-trial", "--study-name", "demo"),
    "best-trials": ("best-trials", "--study-name", "demo"),
    "studies": ("studies",),
    "study-names": ("study-names",),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_json_yaml_value_and_table_agree(
    demo_url: str, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv = (*COMMANDS[command], "--storage", demo_url)
    as_json = json.loads(_run(capsys, *argv, "-f", "json"))
    as_yaml = yaml.safe_load(_run(capsys, *argv, "-f", "yaml"))
    assert as_yaml == as_json
    rows: list[dict[str, Any]] = as_json if isinstance(as_json, list) else [as_json]
    values = _run(capsys, *argv, "-f", "value").splitlines()
    assert len(values) == len(rows)
    first = rows[0]
    # A value line holds the row's fields in order, with no header.
    assert values[0].split(" ")[0] == str(first.get("number", first.get("name")))
    table = _run(capsys, *argv, "-f", "table").splitlines()
    assert table[0].split()[0] in first
    assert len(table) == len(rows) + 2  # header and rule


def test_trials_yaml_carries_the_params(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    trials = yaml.safe_load(
        _run(capsys, "trials", "--storage", demo_url, "--study-name", "demo", "--format", "yaml")
    )
    study = hq.load_study(study_name="demo", storage=demo_url)
    assert [t["params"] for t in trials] == [t.params for t in study.trials]
    assert [t["value"] for t in trials] == [t.value for t in study.trials]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_flatten_spreads_params_into_keys(
    demo_url: str, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    argv = ("best-trial", "--storage", demo_url, "--study-name", "demo", "-f", fmt)
    nested = yaml.safe_load(_run(capsys, *argv))
    flat = yaml.safe_load(_run(capsys, *argv, "--flatten"))
    assert "params" in nested and "params" not in flat
    assert flat["params_x"] == nested["params"]["x"]
    assert flat["params_kind"] == nested["params"]["kind"]


def test_ask_prints_json_by_default_and_every_optuna_format(
    demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("ask", "--storage", demo_url, "--study-name", "demo", "--search-space", SPACE)
    asked = json.loads(_run(capsys, *argv))
    assert set(asked) == {"number", "params"} and 0.0 <= asked["params"]["x"] <= 1.0
    table = _run(capsys, *argv, "-f", "table").splitlines()
    assert table[0].split() == ["number", "params_x"]
    number, x = table[2].split()
    assert int(number) == asked["number"] + 1 and 0.0 <= float(x) <= 1.0
    as_yaml = yaml.safe_load(_run(capsys, *argv, "-f", "yaml"))
    assert as_yaml["number"] == asked["number"] + 2
    number, x = _run(capsys, *argv, "-f", "value").split()
    assert int(number) == asked["number"] + 3
    flat = json.loads(_run(capsys, *argv, "-f", "json", "--flatten"))
    assert set(flat) == {"number", "params_x"}


def _cli(*args: str, preamble: str = "") -> subprocess.CompletedProcess[str]:
    """``hpo-queue ARGS`` in a fresh process (``preamble`` runs first)."""
    code = f"{preamble}\nimport sys\nfrom hpo_queue.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_asked_params_are_stored_before_ask_exits(demo_url: str) -> None:
    asked = _cli("ask", "--storage", demo_url, "--study-name", "demo", "--search-space", SPACE)
    assert asked.returncode == 0, asked.stderr
    row = json.loads(asked.stdout)
    told = _cli(
        "tell", "--storage", demo_url, "--study-name", "demo", "--trial-number",
        str(row["number"]), "--values", "0.125",
    )  # fmt: skip
    assert told.returncode == 0, told.stderr
    trial = hq.load_study(study_name="demo", storage=demo_url).trials[row["number"]]
    assert trial.params == row["params"]
    assert trial.value == 0.125


def test_yaml_without_pyyaml_is_one_line_naming_the_extra(demo_url: str) -> None:
    done = _cli(
        "trials", "--storage", demo_url, "--study-name", "demo", "-f", "yaml",
        preamble="import sys; sys.modules['yaml'] = None  # as if PyYAML were not installed",
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "pip install 'hpo-queue[yaml]'" in lines[0]
    assert done.stdout == ""
