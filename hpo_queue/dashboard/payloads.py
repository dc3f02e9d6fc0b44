"""What the dashboard's JSON API and /metrics return, built from the storage without a server.

Every function here is blocking (it reads the database); the handlers run them in a thread
pool. Trials come from the storage's incremental cache, so reading them on every refresh is
cheap: only new and unfinished trials are read again.
"""

from __future__ import annotations

import datetime
import json
import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from hpo_queue.samplers import SAMPLER_METHOD_KEY
from hpo_queue.storages import RDBStorage, StudySummary
from hpo_queue.study._fail_reasons import fail_reason_line, group_fail_reasons
from hpo_queue.study._pareto import pareto_front
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization._pareto import METRIC_NAMES_KEY, objective_names
from hpo_queue.visualization.svg import render_plot

STATES = ("RUNNING", "WAITING", "COMPLETE", "PRUNED", "FAIL")
# Recent throughput is counted over this window.
THROUGHPUT_WINDOW = datetime.timedelta(minutes=5)
DEFAULT_TRIALS_LIMIT = 500
# The most trials one /trials request returns: a bigger ask is a 400, not a huge response.
MAX_TRIALS_LIMIT = 10_000


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO strings and NaN/inf as strings, for strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, datetime.datetime):
        # Stored naive UTC: say so, so that browsers show local time correctly.
        return (value if value.tzinfo else value.replace(tzinfo=datetime.UTC)).isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def display(value: Any) -> str:
    """A value as the trial page shows it: 6 significant digits, UTC times, JSON for the rest."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, datetime.datetime):
        return _utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(jsonable(value), sort_keys=True)
    return str(value)


def trial_row(trial: FrozenTrial) -> dict[str, Any]:
    """One line of the trials table."""
    duration = trial.duration
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": trial.values,
        "params": trial.params,
        "worker": trial.worker,
        "method": trial.system_attrs.get(SAMPLER_METHOD_KEY),
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
        "duration_seconds": duration.total_seconds() if duration is not None else None,
        "last_step": trial.last_step,
        "fail_reason": trial.fail_reason,
        "user_attrs": trial.user_attrs,
    }


def _best_row(trial: FrozenTrial) -> dict[str, Any]:
    return {"number": trial.number, "values": trial.values, "params": trial.params}


def study_objective_names(storage: RDBStorage, study_id: int, n_objectives: int) -> list[str]:
    """The objectives' names: the study's metric names when set, else "objective i"."""
    names = storage.get_study_attrs(study_id, "system").get(METRIC_NAMES_KEY)
    return objective_names(n_objectives, names if isinstance(names, list) else None)


def fail_reason_groups(trials: Iterable[FrozenTrial]) -> list[dict[str, Any]]:
    """Failed trials grouped by the line of their reason, the largest group first."""
    groups = group_fail_reasons(trials)
    return [
        {"reason": reason, "count": len(numbers), "trials": numbers}
        for reason, numbers in sorted(groups.items(), key=lambda item: -len(item[1]))
    ]


def summary_row(summary: StudySummary) -> dict[str, Any]:
    """One study of the studies list."""
    best = summary.best_trial
    return {
        "name": summary.study_name,
        "study_id": summary.study_id,
        "directions": [d.name.lower() for d in summary.directions],
        "n_trials": summary.n_trials,
        "max_trials": summary.max_trials,
        "counts": {state: summary.counts.get(state, 0) for state in STATES},
        "best_trial": _best_row(best) if best is not None else None,
        "datetime_created": summary.datetime_created,
    }


def studies_payload(storage: RDBStorage) -> list[dict[str, Any]]:
    """/api/studies: every study with its counts by state and best trial."""
    return [summary_row(s) for s in storage.list_study_summaries()]


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def study_payload(
    storage: RDBStorage, study_name: str, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """/api/studies/<name>: definition, live counts by state and worker, best, throughput.

    Raises:
        StudyNotFoundError: no study of that name.
    """
    record = storage.get_study(study_name)
    trials = storage.get_trials(record.study_id)
    now = _utc(now or datetime.datetime.now(datetime.UTC))
    counts = Counter(t.state.name for t in trials)
    running = Counter(t.worker or "unknown" for t in trials if t.state == TrialState.RUNNING)
    by_worker: dict[str, Counter[str]] = {}
    for trial in trials:
        if trial.worker is not None:
            by_worker.setdefault(trial.worker, Counter())[trial.state.name] += 1
    since = now - THROUGHPUT_WINDOW
    finished_times = [
        _utc(t.datetime_complete)
        for t in trials
        if t.state.is_finished() and t.datetime_complete is not None
    ]
    recent = sum(1 for moment in finished_times if moment >= since)
    best: dict[str, Any] | None = None
    best_trials: list[dict[str, Any]] = []
    if len(record.directions) == 1:
        found = storage.get_best_trial(record.study_id, record.directions[0])
        best = _best_row(found) if found is not None else None
    else:
        completed = [
            t
            for t in trials
            if t.state == TrialState.COMPLETE and t.values is not None and t.is_feasible()
        ]
        best_trials = [_best_row(t) for t in pareto_front(completed, record.directions)]
    return {
        "name": record.study_name,
        "study_id": record.study_id,
        "directions": [d.name.lower() for d in record.directions],
        "max_trials": record.max_trials,
        "datetime_created": record.datetime_created,
        "n_trials": len(trials),
        "counts": {state: counts.get(state, 0) for state in STATES},
        "running_by_worker": dict(sorted(running.items())),
        "workers": [
            {"worker": worker, "counts": {s: c.get(s, 0) for s in STATES}, "total": c.total()}
            for worker, c in sorted(by_worker.items())
        ],
        "objective_names": study_objective_names(storage, record.study_id, len(record.directions)),
        "best_trial": best,
        "best_trials": best_trials,
        "fail_reasons": fail_reason_groups(trials),
        "throughput": {
            "window_seconds": THROUGHPUT_WINDOW.total_seconds(),
            "finished_in_window": recent,
            "per_minute": recent / (THROUGHPUT_WINDOW.total_seconds() / 60.0),
            "last_finished": max(finished_times) if finished_times else None,
        },
        "now": now,
    }


def trials_payload(
    storage: RDBStorage,
    study_name: str,
    *,
    states: Iterable[str] = (),
    limit: int = DEFAULT_TRIALS_LIMIT,
    newest_first: bool = True,
) -> dict[str, Any]:
    """/api/studies/<name>/trials: the trials table, newest first, at most ``limit`` (0: all).

    Raises:
        StudyNotFoundError: no study of that name.
        InvalidInputError: an unknown state name.
    """
    record = storage.get_study(study_name)
    wanted = {TrialState.parse(s) for s in states}
    trials: Sequence[FrozenTrial] = storage.get_trials(record.study_id)
    if wanted:
        trials = [t for t in trials if t.state in wanted]
    total = len(trials)
    ordered = list(reversed(trials)) if newest_first else list(trials)
    if limit > 0:
        ordered = ordered[:limit]
    return {
        "name": record.study_name,
        "total": total,
        "returned": len(ordered),
        "param_names": sorted({name for t in ordered for name in t.params}),
        "trials": [trial_row(t) for t in ordered],
    }


def trial_payload(storage: RDBStorage, study_name: str, number: int) -> dict[str, Any]:
    """/api/studies/<name>/trials/<number>: everything known about one trial.

    Raises:
        StudyNotFoundError: no study of that name.
        TrialNotFoundError: the study has no trial of that number.
    """
    record = storage.get_study(study_name)
    trial = storage.get_trial(record.study_id, number)
    row = trial_row(trial)
    names = study_objective_names(storage, record.study_id, len(record.directions))
    row.update(
        {
            "study": record.study_name,
            "directions": [d.name.lower() for d in record.directions],
            "objective_names": names,
            "fail_reason_line": (
                fail_reason_line(trial.fail_reason) if trial.state == TrialState.FAIL else None
            ),
            "distributions": {name: repr(d) for name, d in trial.distributions.items()},
            "intermediate_values": [
                [step, value] for step, value in sorted(trial.intermediate_values.items())
            ],
            "constraints": trial.constraints,
            "job_id": trial.job_id,
            "lease_expires_at": trial.lease_expires_at,
            "retried_as": trial.system_attrs.get("retried_as"),
            "system_attrs": trial.system_attrs,
        }
    )
    return row


class PlotCache:
    """Rendered SVGs, reused while a study's trials are unchanged."""

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: dict[tuple[int, str, int, str], tuple[tuple[Any, ...], str]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def plot(
        self,
        storage: RDBStorage,
        study_name: str,
        kind: str,
        objective_index: int = 0,
        scale: str = "linear",
    ) -> str:
        """The SVG of plot ``kind`` for the study.

        Raises:
            StudyNotFoundError: no study of that name.
            ValueError: an unknown kind, scale or objective index.
        """
        record = storage.get_study(study_name)
        trials = storage.get_trials(record.study_id)
        # Finished trials never change; new trials and new reports change these numbers.
        fingerprint: tuple[Any, ...] = (
            len(trials),
            sum(1 for t in trials if t.state.is_finished()),
            sum(len(t.intermediate_values) for t in trials),
            trials[-1].number if trials else -1,
        )
        now = None
        if kind == "timeline":
            # Running trials grow and leases expire as time passes: "now" is part of the plot.
            now = storage.db_now()
            if any(t.state == TrialState.RUNNING for t in trials):
                fingerprint += (now.replace(microsecond=0),)
        names = study_objective_names(storage, record.study_id, len(record.directions))
        fingerprint += tuple(names)
        key = (record.study_id, kind, objective_index, scale)
        with self._lock:
            cached = self._entries.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        svg = render_plot(
            kind,
            trials,
            record.directions,
            objective_index=objective_index,
            study_name=record.study_name,
            scale=scale,
            now=now,
            metric_names=names,
        )
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (fingerprint, svg)
        return svg


def _label(value: str) -> str:
    """A Prometheus label value: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_text(summaries: Sequence[StudySummary], requests: dict[tuple[str, int], int]) -> str:
    """/metrics in the Prometheus text format (0.0.4), from the study summaries."""
    lines = [
        "# HELP hpo_queue_studies Studies in the storage.",
        "# TYPE hpo_queue_studies gauge",
        f"hpo_queue_studies {len(summaries)}",
        "# HELP hpo_queue_trials Trials by study and state.",
        "# TYPE hpo_queue_trials gauge",
    ]
    for summary in summaries:
        study = _label(summary.study_name)
        for state in STATES:
            count = summary.counts.get(state, 0)
            lines.append(f'hpo_queue_trials{{study="{study}",state="{state}"}} {count}')
    lines += [
        "# HELP hpo_queue_best_value Best objective value of each single-objective study.",
        "# TYPE hpo_queue_best_value gauge",
    ]
    for summary in summaries:
        best = summary.best_trial
        if best is not None and best.values and len(best.values) == 1:
            value = best.values[0]
            text = repr(float(value)) if math.isfinite(value) else ("+Inf" if value > 0 else "-Inf")
            lines.append(f'hpo_queue_best_value{{study="{_label(summary.study_name)}"}} {text}')
    lines += [
        "# HELP hpo_queue_dashboard_requests_total Requests served by this dashboard.",
        "# TYPE hpo_queue_dashboard_requests_total counter",
    ]
    for (handler, status), count in sorted(requests.items()):
        lines.append(
            f'hpo_queue_dashboard_requests_total{{handler="{_label(handler)}",'
            f'code="{status}"}} {count}'
        )
    return "\n".join(lines) + "\n"
