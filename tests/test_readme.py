"""README's two set-up commands: CI runs both as written, and each does what README says."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

from hpo_queue.cli import main

ROOT = Path(__file__).resolve().parent.parent

# The lint, format and type checks CI runs before the tests (`make lint mypy` runs the same).
CI_CHECKS = [
    ".venv/bin/pip install -q -e '.[dev]'",
    ".venv/bin/ruff check .",
    ".venv/bin/ruff format --check .",
    ".venv/bin/mypy",
]


def _readme_commands() -> tuple[str, str]:
    """README's two set-up commands: install and run the demo, and run the tests."""
    text = (ROOT / "README.md").read_text()
    blocks = [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]
    install = [b for b in blocks if "venv" in b and "quickstart" in b]
    tests = [b for b in blocks if "venv" in b and "pytest" in b]
    assert len(install) == 1 and len(tests) == 1, (install, tests)
    return install[0], tests[0]


def _ci_commands() -> list[str]:
    """The lines of .ci/run that are not blank or comments, stripped."""
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_ci_stops_at_the_first_failed_command() -> None:
    ci = _ci_commands()
    assert ci[0] == "set -euo pipefail"
    assert "export CI=true" in " ".join(ci)  # README: "CI runs them all" (no skips)


def test_ci_runs_both_readme_commands_as_written() -> None:
    install, tests = _readme_commands()
    ci = _ci_commands()
    assert install in ci
    assert ci[-1] == tests  # the last step, so CI's exit status is the test run's


def test_ci_lints_formats_and_type_checks_before_the_tests() -> None:
    _, tests = _readme_commands()
    ci = _ci_commands()
    positions = [ci.index(check) for check in CI_CHECKS]
    assert positions == sorted(positions)
    assert positions[-1] < ci.index(tests)
    dev = _pyproject()["project"]["optional-dependencies"]["dev"]
    for tool in ("ruff", "mypy"):
        assert any(re.match(rf"{tool}\b", requirement) for requirement in dev), dev


def test_readme_test_command_installs_pytest_and_shows_why_tests_are_skipped() -> None:
    _, tests = _readme_commands()
    assert ".venv/bin/pip install -q -e '.[test]'" in tests.split(" && ")
    project = _pyproject()
    assert any(r.startswith("pytest") for r in project["project"]["optional-dependencies"]["test"])
    # README: tests that need a missing server "are skipped, with the reason".
    assert "-rs" in shlex.split(project["tool"]["pytest"]["ini_options"]["addopts"])


def test_readme_install_command_runs_the_quickstart_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install, _ = _readme_commands()
    *setup, run = install.split(" && ")
    assert setup == ["python3 -m venv .venv", ".venv/bin/pip install -e ."]
    script, *argv = shlex.split(run)
    assert script == ".venv/bin/hpo-queue"
    assert _pyproject()["project"]["scripts"]["hpo-queue"] == "hpo_queue.cli:main"
    monkeypatch.chdir(tmp_path)  # the demo's SQLite file goes to the current directory
    assert main(argv) == 0
    assert "Best trial: #" in capsys.readouterr().out
    assert (tmp_path / "hpo-queue-quickstart.db").exists()
