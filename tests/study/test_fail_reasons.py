"""Fail reasons: the telling line of each, and failed trials grouped by it."""

from __future__ import annotations

from hpo_queue.study._fail_reasons import NO_REASON, fail_reason_line, group_fail_reasons
from hpo_queue.trial import FrozenTrial, TrialState

TRACEBACK = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad lr\n'


def failed(number: int, reason: str | None, **system_attrs: object) -> FrozenTrial:
    return FrozenTrial(
        number=number, state=TrialState.FAIL, fail_reason=reason, system_attrs=system_attrs
    )


def test_the_line_of_a_reason_is_its_last() -> None:
    assert fail_reason_line(TRACEBACK) == "ValueError: bad lr"
    assert fail_reason_line(None) == NO_REASON
    assert fail_reason_line("  \n ") == NO_REASON


def test_failed_trials_grouped_by_reason_without_retried_ones() -> None:
    trials = [
        failed(0, TRACEBACK),
        FrozenTrial(number=1, state=TrialState.COMPLETE, values=[1.0]),
        failed(2, "MemoryError"),
        failed(3, TRACEBACK),
        failed(4, "Lease expired", retried_as=5),
        failed(6, None),
    ]
    assert group_fail_reasons(trials) == {
        "ValueError: bad lr": [0, 3],
        "MemoryError": [2],
        NO_REASON: [6],
    }
