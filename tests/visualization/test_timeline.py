"""The timeline data: worker lanes, idle gaps, stragglers and dead workers."""

from __future__ import annotations

import datetime

from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization._timeline import UNKNOWN_WORKER, trial_timeline

T0 = datetime.datetime(2026, 1, 1, 12, 0, 0)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def ran(
    number: int,
    worker: str | None,
    start: float,
    end: float | None,
    state: TrialState = TrialState.COMPLETE,
    lease_end: float | None = None,
    fail_reason: str | None = None,
) -> FrozenTrial:
    return FrozenTrial(
        number=number,
        state=state,
        values=[1.0] if state == TrialState.COMPLETE else None,
        datetime_start=at(start),
        datetime_complete=None if end is None else at(end),
        worker=worker,
        lease_expires_at=None if lease_end is None else at(lease_end),
        fail_reason=fail_reason,
    )


# -----------------------------------------------------------------------------------


def test_timeline_lanes_per_worker_with_idle_gaps() -> None:
    trials = [
        ran(0, "b:2", 0, 10),
        ran(1, "a:1", 0, 10),
        ran(2, "a:1", 30, 40),
        ran(3, None, 5, 6),
        FrozenTrial(number=4, state=TrialState.WAITING),
    ]
    timeline = trial_timeline(trials, now=at(50))
    assert [lane.worker for lane in timeline.lanes] == ["a:1", "b:2", UNKNOWN_WORKER]
    lane_a = timeline.lanes[0]
    assert [bar.number for bar in lane_a.bars] == [1, 2]
    assert [(g.start, g.end) for g in lane_a.idle_gaps] == [(at(10), at(30))]
    assert lane_a.idle_gaps[0].seconds == 20.0
    assert lane_a.busy_seconds == 20.0
    assert timeline.lanes[1].idle_gaps == []
    assert timeline.waiting == 1
    assert (timeline.start, timeline.end) == (at(0), at(40))
    assert trial_timeline(trials, now=at(50), min_gap_seconds=20).lanes[0].idle_gaps == []


def test_timeline_overlapping_trials_of_one_worker_are_busy_once() -> None:
    lane = trial_timeline([ran(0, "w", 0, 10), ran(1, "w", 5, 20)], now=at(30)).lanes[0]
    assert lane.busy_seconds == 20.0
    assert lane.idle_gaps == []


def test_timeline_running_trial_with_an_expired_lease_marks_a_dead_worker() -> None:
    trials = [
        ran(0, "alive", 0, 10),
        ran(1, "alive", 10, None, TrialState.RUNNING, lease_end=200),
        ran(2, "dead", 0, None, TrialState.RUNNING, lease_end=60),
    ]
    timeline = trial_timeline(trials, now=at(100))
    lanes = {lane.worker: lane for lane in timeline.lanes}
    assert not lanes["alive"].dead
    assert lanes["dead"].dead
    assert timeline.expired == [2]
    running = lanes["alive"].bars[1]
    assert running.end is None
    assert running.seconds == 90.0
    assert timeline.end == at(100)


def test_timeline_reaped_trial_marks_its_worker_dead() -> None:
    reaped = ran(1, "w", 10, 90, TrialState.FAIL, fail_reason="Lease expired: worker gone")
    timeline = trial_timeline([ran(0, "w", 0, 10), reaped], now=at(100))
    assert timeline.lanes[0].bars[1].lost
    assert timeline.lanes[0].dead
    # A later trial on the same worker shows it came back.
    back = trial_timeline([ran(0, "w", 0, 10), reaped, ran(2, "w", 90, 95)], now=at(100))
    assert not back.lanes[0].dead


def test_timeline_stragglers_run_far_longer_than_the_median() -> None:
    trials = [ran(i, "w", 10 * i, 10 * i + 10) for i in range(4)]
    trials.append(ran(4, "w", 40, 100))  # 60 s against a 10 s median
    trials.append(ran(5, "v", 40, None, TrialState.RUNNING, lease_end=1000))  # 60 s so far
    trials.append(ran(6, "v", 0, 25))  # 25 s: under 3 x 10 s
    timeline = trial_timeline(trials, now=at(100))
    assert timeline.median_seconds == 10.0
    assert timeline.stragglers == [4, 5]
    assert trial_timeline(trials, now=at(100), straggler_factor=10).stragglers == []


def test_timeline_names_no_straggler_without_enough_finished_trials() -> None:
    trials = [ran(0, "w", 0, 1), ran(1, "w", 1, None, TrialState.RUNNING, lease_end=10**6)]
    timeline = trial_timeline(trials, now=at(10**5))
    assert timeline.median_seconds is None
    assert timeline.stragglers == []


def test_timeline_of_no_trials() -> None:
    timeline = trial_timeline([], now=T0)
    assert (timeline.lanes, timeline.start, timeline.end) == ([], None, None)


def test_timeline_accepts_an_aware_now() -> None:
    aware = at(100).replace(tzinfo=datetime.UTC)
    bar = trial_timeline([ran(0, "w", 0, None, TrialState.RUNNING)], now=aware).lanes[0].bars[0]
    assert bar.seconds == 100.0


def test_timeline_names_no_straggler_for_a_few_milliseconds_over() -> None:
    trials = [ran(i, "w", i * 0.1, i * 0.1 + 0.01) for i in range(4)]
    trials.append(ran(4, "w", 1.0, 1.05))  # 5x the median, but 40 ms over it
    assert trial_timeline(trials, now=at(10)).stragglers == []
