"""One round trip through the command line on a real MySQL/MariaDB database."""

from __future__ import annotations

import json

import pytest

import hpo_queue as hq
from hpo_queue.cli import main

pytestmark = pytest.mark.mysql


def test_create_study_and_list_trials_on_mysql(
    mysql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["create-study", "--storage", mysql_url, "--study-name", "m", "--sampler", "random"]
    assert main(argv) == 0
    assert capsys.readouterr().out == "m\n"

    study = hq.load_study(study_name="m", storage=mysql_url)
    for value in (0.3, 0.1):
        trial = study.ask()
        trial.suggest_int("layers", 1, 4)
        study.tell(trial, value)

    assert main(["trials", "--storage", mysql_url, "--study-name", "m", "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["value"] for t in data] == [0.3, 0.1]
    assert all(1 <= t["params"]["layers"] <= 4 for t in data)

    assert main(["studies", "--storage", mysql_url]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[:3] == ["m", "minimize", "2"]

    assert main(["create-study", "--storage", mysql_url, "--study-name", "m"]) == 1
    assert "already exists" in capsys.readouterr().err
