"""README's two set-up commands: CI runs the same test command, and the CLI has quickstart."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = next(b.strip() for b in _bash_blocks() if "pytest" in b and "venv" in b)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_quickstart_command_names_an_existing_cli_command() -> None:
    from hpo_queue.cli import main

    install = next(b.strip() for b in _bash_blocks() if "quickstart" in b)
    assert install.endswith("hpo-queue quickstart")
    try:
        main(["quickstart", "--help"])
    except SystemExit as exc:
        assert exc.code == 0
