"""HPO_LOG_FORMAT=json: one JSON object per line, per trial event, with study/trial/worker."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import ConfigError
from hpo_queue.logging import (
    ROOT_LOGGER_NAME,
    configure_from_settings,
    json_format_enabled,
    set_verbosity,
    use_json_format,
)
from hpo_queue.settings import Settings
from hpo_queue.study import _lifecycle as lifecycle
from hpo_queue.study._lifecycle import reap_expired_leases
from hpo_queue.trial import Trial


@pytest.fixture(autouse=True)
def text_logs_afterwards() -> Iterator[None]:
    """The log format and level are process-wide: put the defaults back after each test."""
    yield
    use_json_format(False)
    set_verbosity(logging.INFO)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Each non-empty line of ``text`` parsed as JSON (fails the test on the first that isn't)."""
    records = []
    for line in text.splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError:
                pytest.fail(f"not a JSON line: {line!r}")
    return records


def objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    if trial.number == 1:
        trial.report(x, step=0)
        raise hq.TrialPruned()
    if trial.number == 2:
        raise ValueError("boom")
    return x * x


def test_optimize_logs_one_json_line_per_trial(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings.load(env={"HPO_LOG_FORMAT": "json", "HPO_LOG_LEVEL": "INFO"})
    study = hq.create_study(study_name="json-logs", storage=sqlite_url, settings=settings)
    study.optimize(objective, n_trials=4, catch=(ValueError,))

    # Only this study's lines: a thread left by an earlier test may log meanwhile.
    records = [r for r in json_lines(capsys.readouterr().err) if r.get("study") == "json-logs"]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert records[0]["event"] == "study_created"
    finished = [r for r in records if r.get("event") == "trial_finished"]
    assert [r["trial"] for r in finished] == [0, 1, 2, 3]
    assert [r["state"] for r in finished] == ["COMPLETE", "PRUNED", "FAIL", "COMPLETE"]
    trials = study.trials
    for record in finished:
        assert record["study"] == "json-logs"
        assert record["worker"] == trials[record["trial"]].worker
    assert finished[0]["value"] == trials[0].values
    assert finished[2]["level"] == "WARNING" and "boom" in finished[2]["message"]


def test_a_reaped_trial_is_a_json_line_too(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        log_format="json", max_retries=1, heartbeat_interval=0.01, heartbeat_grace=0.05
    )
    study = hq.create_study(study_name="reaped", storage=sqlite_url, settings=settings)
    claim = lifecycle.claim(study)
    assert claim.trial is not None
    time.sleep(0.1)  # past the study's 0.05 s lease
    capsys.readouterr()

    (result,) = reap_expired_leases(study.storage, max_retries=1)
    reaped = result.trial

    (record,) = json_lines(capsys.readouterr().err)
    assert record["event"] == "trial_reaped"
    assert record["study"] == "reaped"
    assert record["trial"] == reaped.number == claim.trial.number
    assert record["state"] == "FAIL"
    assert record["worker"] == claim.trial.worker


def test_default_settings_leave_an_applications_choice_alone() -> None:
    use_json_format(True)
    set_verbosity(logging.WARNING)
    configure_from_settings(Settings())
    assert json_format_enabled()
    assert logging.getLogger(ROOT_LOGGER_NAME).level == logging.WARNING

    configure_from_settings(Settings.load(env={"HPO_LOG_FORMAT": "text", "HPO_LOG_LEVEL": "debug"}))
    assert not json_format_enabled()
    assert logging.getLogger(ROOT_LOGGER_NAME).level == logging.DEBUG


def test_an_unknown_log_level_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="log_level"):
        configure_from_settings(Settings(log_level="chatty"))
