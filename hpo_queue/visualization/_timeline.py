"""Trial timeline: each worker's trials over time, with idle gaps, stragglers and dead workers."""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from hpo_queue.study._lifecycle import was_lost
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

# The lane of trials whose worker was not recorded (ask()/tell() without a worker id).
UNKNOWN_WORKER = "(unknown)"
# A trial is a straggler when it ran (or has been running) this many times the median duration.
DEFAULT_STRAGGLER_FACTOR = 3.0
# Fewer finished trials than this give no meaningful median: nobody is called a straggler.
MIN_TRIALS_FOR_MEDIAN = 3
# Nor is a trial that ran less than this much over the median: 60 ms against a 20 ms median
# is noise, not a stuck worker.
MIN_STRAGGLER_EXCESS_SECONDS = 1.0


@dataclass(frozen=True)
class TimelineBar:
    """One trial on its worker's lane.

    ``end`` is None while the trial runs. ``expired`` is a RUNNING trial whose lease ran out
    (its worker is dead or cut off); ``lost`` a trial the reaper or a stopped worker failed;
    ``straggler`` one that ran (or runs) over ``straggler_factor`` times the median duration
    (and at least MIN_STRAGGLER_EXCESS_SECONDS over it).
    """

    number: int
    state: str
    start: datetime.datetime
    end: datetime.datetime | None
    seconds: float
    expired: bool
    lost: bool
    straggler: bool


@dataclass(frozen=True)
class IdleGap:
    """A stretch between two trials of one worker when it ran nothing."""

    start: datetime.datetime
    end: datetime.datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class WorkerLane:
    """One worker's trials in start order, its idle gaps and whether it looks dead.

    ``dead``: its latest trial is RUNNING with an expired lease, or was failed as lost.
    """

    worker: str
    bars: list[TimelineBar]
    idle_gaps: list[IdleGap]
    busy_seconds: float
    dead: bool


@dataclass(frozen=True)
class Timeline:
    """Every started trial, one lane per worker (sorted by name, unknown last).

    ``start``/``end``: the span to draw (None when no trial started); ``median_seconds``: the
    median duration of COMPLETE and PRUNED trials (None with fewer than
    ``MIN_TRIALS_FOR_MEDIAN``); ``waiting``: trials not started yet.
    """

    now: datetime.datetime
    start: datetime.datetime | None
    end: datetime.datetime | None
    lanes: list[WorkerLane]
    median_seconds: float | None
    straggler_factor: float
    stragglers: list[int]
    expired: list[int]
    waiting: int


def _naive_utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def trial_timeline(
    trials: Sequence[FrozenTrial],
    now: datetime.datetime | None = None,
    *,
    straggler_factor: float = DEFAULT_STRAGGLER_FACTOR,
    min_gap_seconds: float = 0.0,
) -> Timeline:
    """The timeline of ``trials`` as of ``now`` (naive UTC, the store's clock; default: utcnow).

    Args:
        trials: a study's trials, in any order.
        now: the moment running trials are drawn up to and leases are checked against.
        straggler_factor: how many median durations make a trial a straggler.
        min_gap_seconds: idle stretches this short or shorter are not reported.
    """
    now = _naive_utc(now or datetime.datetime.now(datetime.UTC))
    started = sorted(
        (t for t in trials if t.datetime_start is not None),
        key=lambda t: (t.datetime_start, t.number),
    )
    waiting = sum(1 for t in trials if t.datetime_start is None)
    durations = [
        (t.datetime_complete - t.datetime_start).total_seconds()  # type: ignore[operator]
        for t in started
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED) and t.datetime_complete is not None
    ]
    median = statistics.median(durations) if len(durations) >= MIN_TRIALS_FOR_MEDIAN else None
    by_worker: dict[str, list[TimelineBar]] = {}
    for trial in started:
        start = _naive_utc(trial.datetime_start)  # type: ignore[arg-type]
        end = None if trial.datetime_complete is None else _naive_utc(trial.datetime_complete)
        running = trial.state == TrialState.RUNNING
        seconds = max(((now if running or end is None else end) - start).total_seconds(), 0.0)
        lease = trial.lease_expires_at
        bar = TimelineBar(
            number=trial.number,
            state=trial.state.name,
            start=start,
            end=None if running else end,
            seconds=seconds,
            expired=running and lease is not None and _naive_utc(lease) < now,
            lost=was_lost(trial),
            straggler=median is not None
            and seconds > straggler_factor * median
            and seconds - median >= MIN_STRAGGLER_EXCESS_SECONDS,
        )
        by_worker.setdefault(trial.worker or UNKNOWN_WORKER, []).append(bar)
    lanes = [
        _lane(worker, bars, now, min_gap_seconds)
        for worker, bars in sorted(
            by_worker.items(), key=lambda item: (item[0] == UNKNOWN_WORKER, item[0])
        )
    ]
    bars = [bar for lane in lanes for bar in lane.bars]
    return Timeline(
        now=now,
        start=min((b.start for b in bars), default=None),
        end=max((b.end or now for b in bars), default=None),
        lanes=lanes,
        median_seconds=median,
        straggler_factor=straggler_factor,
        stragglers=sorted(b.number for b in bars if b.straggler),
        expired=sorted(b.number for b in bars if b.expired),
        waiting=waiting,
    )


def _lane(
    worker: str, bars: list[TimelineBar], now: datetime.datetime, min_gap_seconds: float
) -> WorkerLane:
    gaps: list[IdleGap] = []
    busy_until: datetime.datetime | None = None
    busy = 0.0
    for bar in bars:
        end = bar.end or now
        if busy_until is not None and (bar.start - busy_until).total_seconds() > min_gap_seconds:
            gaps.append(IdleGap(busy_until, bar.start))
        # Overlapping trials (a worker running several threads) count their union as busy.
        if busy_until is None or bar.start >= busy_until:
            busy += (end - bar.start).total_seconds()
        elif end > busy_until:
            busy += (end - busy_until).total_seconds()
        busy_until = end if busy_until is None else max(busy_until, end)
    last = bars[-1]
    dead = (worker != UNKNOWN_WORKER) and (last.expired or last.lost)
    return WorkerLane(worker, bars, gaps, max(busy, 0.0), dead)
