"""A worker that cannot use its store exits at start, saying so in one line, password hidden."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.worker_processes import worker_command

pytestmark = [pytest.mark.worker, pytest.mark.mysql, pytest.mark.redis]


def test_a_worker_whose_store_refuses_it_exits_with_one_line(
    mysql_url: str, redis_url: str, tmp_path: Path
) -> None:
    bad = mysql_url.replace("mysql://root@", "mysql://root:SeCrEtPw@", 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
    env.update(HPO_STORAGE_URL=bad, HPO_BROKER_URL=redis_url, HPO_OBJECTIVE_MODULES="none")
    done = subprocess.run(
        worker_command(1, "hq-bad-store"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    lines = [line for line in output.splitlines() if "cannot use the store" in line]
    assert len(lines) == 1, output
    assert "SeCrEtPw" not in output and lines[0].count("root:***@") == 1, lines[0]
    assert "Traceback" not in output
