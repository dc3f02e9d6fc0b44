"""The status command: a study's progress while workers run it, read from the store."""

from __future__ import annotations

import argparse
import datetime
import json
from typing import Any

from hpo_queue._printable import printable
from hpo_queue.cli import _common
from hpo_queue.storages._validation import utcnow
from hpo_queue.study import Study, load_study
from hpo_queue.study._fail_reasons import group_fail_reasons
from hpo_queue.trial import FrozenTrial, TrialState

THROUGHPUT_WINDOW = datetime.timedelta(seconds=60)
# An overall rate is shown only over at least this span from the first start to the last
# finish: 60 trials in a third of a second is a burst, not a throughput to plan by.
MIN_RATE_SPAN = datetime.timedelta(seconds=10)


def register(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "status",
        summary="a study's progress: counts by state, cap, best trial, running trials, throughput",
        description=(
            "Show how far a study has got: trials by state against its max_trials cap, the\n"
            "best trial, the trials running now with the worker (host:pid) running each, and\n"
            "the throughput: trials finished in the last 60 s, and per second overall."
        ),
        examples="""\
  hpo-queue status --study-name demo
  watch -n 2 hpo-queue status --study-name demo
  hpo-queue status --study-name demo -f json | jq .counts
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    _common.add_format_option(parser, choices=("table", "json"), flatten=False)
    parser.set_defaults(handler=_status)


def study_status(study: Study, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Everything the status command shows, as JSON-friendly values."""
    now = now or utcnow()
    trials = study.get_trials(deepcopy=False)
    counts = {state.name: 0 for state in TrialState}
    for trial in trials:
        counts[trial.state.name] += 1
    completions = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    best: dict[str, Any] | None = None
    if len(study.directions) == 1:
        found = study.storage.get_best_trial(study.study_id, study.directions[0])
        if found is not None:
            best = {"number": found.number, "value": found.value, "params": dict(found.params)}
    return {
        "study": study.study_name,
        "directions": [d.name.lower() for d in study.directions],
        "max_trials": study.max_trials,
        "counts": counts,
        "best_trial": best,
        "running": [_running_row(t, now) for t in trials if t.state == TrialState.RUNNING],
        "fail_reasons": group_fail_reasons(trials),
        "throughput": throughput(starts, completions, now),
    }


def throughput(
    starts: list[datetime.datetime],
    completions: list[datetime.datetime],
    now: datetime.datetime,
) -> dict[str, Any]:
    """Finished trials over the last 60 s, and overall from the first start to the last finish.

    ``per_second_overall`` is None until that span is at least :data:`MIN_RATE_SPAN`.
    """
    recent = [c for c in completions if now - c <= THROUGHPUT_WINDOW]
    span = (max(completions) - min(starts)).total_seconds() if completions and starts else None
    overall = None
    if span is not None and span >= MIN_RATE_SPAN.total_seconds():
        overall = len(completions) / span
    return {
        "finished_last_60s": len(recent),
        "per_second_last_60s": len(recent) / THROUGHPUT_WINDOW.total_seconds(),
        "finished_overall": len(completions),
        "overall_span_seconds": span,
        "per_second_overall": overall,
    }


def _throughput_line(rate: dict[str, Any]) -> str:
    line = f"{rate['finished_last_60s']} finished in the last 60 s"
    span = rate["overall_span_seconds"]
    if rate["per_second_overall"] is not None:
        line += (
            f"; {rate['per_second_overall']:.2f} trials/s overall ({rate['finished_overall']} "
            f"in {_common.format_duration(datetime.timedelta(seconds=span))}, first start to "
            "last finish)"
        )
    elif span is not None:
        line += (
            f"; {rate['finished_overall']} in {span:.2f} s overall (too short a span for a rate)"
        )
    return line


def _running_row(trial: FrozenTrial, now: datetime.datetime) -> dict[str, Any]:
    running_for = now - trial.datetime_start if trial.datetime_start else None
    return {
        "number": trial.number,
        "worker": trial.worker,
        "running_for": running_for,
        "params": dict(trial.params),
    }


def _status(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    study = load_study(study_name=args.study_name, storage=url)
    status = study_status(study)
    if args.format == "json":
        _common.emit([], "json", json_value=status)
        return 0
    counts = status["counts"]
    cap = status["max_trials"]
    done = counts["COMPLETE"] + counts["PRUNED"]
    print(f"Study {status['study']!r} ({', '.join(status['directions'])})")
    print(
        f"  cap:        {cap if cap is not None else 'none'}"
        + (f"  ({done} of {cap} completed or pruned)" if cap else "")
    )
    print("  trials:     " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    best = status["best_trial"]
    if best is not None:
        print(
            f"  best trial: {best['number']}: value {best['value']!r}, "
            f"params {json.dumps(best['params'])}"
        )
    else:
        print("  best trial: none completed yet")
    print(f"  throughput: {_throughput_line(status['throughput'])}")
    for reason, numbers in status["fail_reasons"].items():
        shown = ", ".join(str(n) for n in numbers[:10]) + (" ..." if len(numbers) > 10 else "")
        print(f"  failed:     {len(numbers)} trial(s) ({shown}): {printable(reason)}")
    running = status["running"]
    print(f"  running:    {len(running)}")
    if running:
        print()
        _common.emit(running, "table")
    return 0
