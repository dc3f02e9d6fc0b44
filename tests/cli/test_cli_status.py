"""hpo-queue status: the throughput it shows is a rate only over a span long enough for one."""

from __future__ import annotations

import datetime
import json

import pytest

import hpo_queue as hq
from hpo_queue.cli import main
from hpo_queue.cli._status import MIN_RATE_SPAN, throughput

T0 = datetime.datetime(2026, 1, 1, 12, 0, 0)


def _at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def test_a_burst_shorter_than_the_minimum_span_gets_no_overall_rate() -> None:
    # 60 trials finished within 0.35 s: 171 trials/s "overall" would be a burst, not a rate.
    starts = [_at(i * 0.005) for i in range(60)]
    completions = [_at(0.05 + i * 0.005) for i in range(60)]
    rate = throughput(starts, completions, now=_at(3600))
    assert rate["per_second_overall"] is None
    assert rate["finished_overall"] == 60
    assert rate["overall_span_seconds"] == pytest.approx(0.345)
    assert rate["finished_last_60s"] == 0


def test_the_overall_rate_runs_from_the_first_start_to_the_last_finish() -> None:
    span = MIN_RATE_SPAN.total_seconds() * 3
    starts = [_at(0), _at(span / 2)]
    completions = [_at(span / 4), _at(span / 2 + 1), _at(span)]
    rate = throughput(starts, completions, now=_at(span + 30))
    assert rate["per_second_overall"] == pytest.approx(3 / span)
    assert rate["finished_last_60s"] == 3
    assert rate["per_second_last_60s"] == pytest.approx(3 / 60)


def test_no_finished_trial_has_no_rate() -> None:
    rate = throughput([_at(0)], [], now=_at(100))
    assert rate["per_second_overall"] is None
    assert rate["overall_span_seconds"] is None


def test_status_after_a_quick_run_shows_counts_not_a_rate(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    study = hq.create_study(study_name="s", storage=sqlite_url)
    for i in range(5):
        study.tell(study.ask(), float(i))
    capsys.readouterr()
    assert main(["status", "--storage", sqlite_url, "--study-name", "s"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "throughput:" in x)
    assert "5 finished in the last 60 s; 5 in " in line
    assert "trials/s" not in line
    assert main(["status", "--storage", sqlite_url, "--study-name", "s", "-f", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)["throughput"]
    assert shown["finished_overall"] == 5 and shown["per_second_overall"] is None
