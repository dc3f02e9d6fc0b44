"""Why trials failed, in one line each and grouped, for the CLI and the dashboard."""

from __future__ import annotations

from collections.abc import Iterable

from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

NO_REASON = "no reason recorded"


def fail_reason_line(reason: str | None) -> str:
    """The line of a fail reason that says what happened: its last (the exception's)."""
    lines = (reason or NO_REASON).strip().splitlines()
    return lines[-1] if lines else NO_REASON


def group_fail_reasons(trials: Iterable[FrozenTrial]) -> dict[str, list[int]]:
    """Failed trials' numbers grouped by :func:`fail_reason_line`, retried ones left out.

    A trial re-run as another (``retried_as``) is not a failure the user must act on. Groups
    keep the order of their first trial; numbers keep the order of ``trials``.
    """
    grouped: dict[str, list[int]] = {}
    for trial in trials:
        if trial.state != TrialState.FAIL or "retried_as" in trial.system_attrs:
            continue
        grouped.setdefault(fail_reason_line(trial.fail_reason), []).append(trial.number)
    return grouped
