"""The installed ``hpo-queue`` script and ``python -m hpo_queue`` run the same command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _script() -> list[str]:
    # The console script next to this interpreter (the venv's), else on PATH.
    candidate = Path(sys.executable).with_name("hpo-queue")
    found = str(candidate) if candidate.exists() else shutil.which("hpo-queue")
    if found is None:
        pytest.fail("the hpo-queue console script is not installed (pip install -e .)")
    return [found]


def _run(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
    environment.update(env)
    return subprocess.run(
        argv, cwd=cwd, env=environment, capture_output=True, text=True, timeout=60
    )


def test_console_script_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    created = _run([*_script(), "create-study", "--storage", url, "--study-name", "e2e"], tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout == "e2e\n"
    # printed once, not logged again
    assert created.stderr.count("A new study created with name: e2e") == 1

    listed = _run([*_script(), "studies", "-f", "csv"], tmp_path, HPO_STORAGE_URL=url)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].startswith("e2e,minimize,0,")

    duplicate = _run(
        [*_script(), "create-study", "--storage", url, "--study-name", "e2e"], tmp_path
    )
    assert duplicate.returncode == 1
    assert duplicate.stderr.startswith("hpo-queue: error: ")
    assert duplicate.stderr.count("\n") == 1 and "Traceback" not in duplicate.stderr


def test_python_dash_m_and_quickstart_in_a_fresh_directory(tmp_path: Path) -> None:
    result = _run([sys.executable, "-m", "hpo_queue", "quickstart", "--n-trials", "3"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Best trial: #" in result.stdout
    assert "A new study created with name: quickstart" in result.stderr
    assert "Trial 2 finished with value" in result.stderr
    assert (tmp_path / "hpo-queue-quickstart.db").exists()


def test_unreachable_database_from_a_real_process(tmp_path: Path) -> None:
    result = _run(
        [*_script(), "trials", "--study-name", "s"],
        tmp_path,
        HPO_STORAGE_URL="mysql://root:s3cret@127.0.0.1:1/x",
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("hpo-queue: error: cannot connect to mysql://root:***@")
    assert result.stderr.count("\n") == 1 and "s3cret" not in result.stderr
