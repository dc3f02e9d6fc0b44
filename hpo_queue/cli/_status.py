"""The status command: a study's progress while workers run it, read from the store."""

from __future__ import annotations

import argparse
import datetime
import json
from typing import Any

from hpo_queue.cli import _common
from hpo_queue.storages._validation import utcnow
from hpo_queue.study import Study, load_study
from hpo_queue.study._fail_reasons import group_fail_reasons
from hpo_queue.trial import FrozenTrial, TrialState

THROUGHPUT_WINDOW = datetime.timedelta(seconds=60)


def register(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "status",
        summary="a study's progress: counts by state, cap, best trial, running trials, throughput",
        description=(
            "Show how far a study has got: trials by state against its max_trials cap, the\n"
            "best trial, the trials running now with the worker (host:pid) running each, and\n"
            "the recent throughput in completed trials per second."
        ),
        examples="""\
  hpo-queue status --study-name demo
  watch -n 2 hpo-queue status --study-name demo
  hpo-queue status --study-name demo -f json | jq .counts
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    _common.add_format_option(parser, choices=("table", "json"))
    parser.set_defaults(handler=_status)


def study_status(study: Study, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Everything the status command shows, as JSON-friendly values."""
    now = now or utcnow()
    trials = study.get_trials(deepcopy=False)
    counts = {state.name: 0 for state in TrialState}
    for trial in trials:
        counts[trial.state.name] += 1
    completions = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    recent = [c for c in completions if now - c <= THROUGHPUT_WINDOW]
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    overall = None
    if completions and starts:
        span = (max(completions) - min(starts)).total_seconds()
        overall = len(completions) / span if span > 0 else None
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
        "throughput": {
            "finished_last_60s": len(recent),
            "per_second_last_60s": len(recent) / THROUGHPUT_WINDOW.total_seconds(),
            "per_second_overall": overall,
        },
    }


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
    throughput = status["throughput"]
    overall = throughput["per_second_overall"]
    print(
        f"  throughput: {throughput['per_second_last_60s']:.2f} trials/s over the last 60 s"
        + (f", {overall:.2f} trials/s overall" if overall is not None else "")
    )
    for reason, numbers in status["fail_reasons"].items():
        shown = ", ".join(str(n) for n in numbers[:10]) + (" ..." if len(numbers) > 10 else "")
        print(f"  failed:     {len(numbers)} trial(s) ({shown}): {reason}")
    running = status["running"]
    print(f"  running:    {len(running)}")
    if running:
        print()
        _common.emit(running, "table")
    return 0
