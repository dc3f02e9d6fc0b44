"""ThresholdPruner and NopPruner on hand-made trials."""

from __future__ import annotations

import math

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners import NopPruner, ThresholdPruner
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

EMPTY = TrialHistory((StudyDirection.MINIMIZE,), [])
MULTI = TrialHistory((StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE), [])


def running(reports: dict[int, float]) -> FrozenTrial:
    return FrozenTrial(number=0, state=TrialState.RUNNING, intermediate_values=dict(reports))


def test_upper_bound() -> None:
    pruner = ThresholdPruner(upper=1.0)
    assert pruner.prune(EMPTY, running({0: 1.5}))
    assert not pruner.prune(EMPTY, running({0: 1.0}))
    assert not pruner.prune(EMPTY, running({0: -1e9}))


def test_lower_bound() -> None:
    pruner = ThresholdPruner(lower=0.0)
    assert pruner.prune(EMPTY, running({0: -0.1}))
    assert not pruner.prune(EMPTY, running({0: 0.0}))
    assert not pruner.prune(EMPTY, running({0: 1e9}))


def test_both_bounds_and_latest_value_only() -> None:
    pruner = ThresholdPruner(lower=0.0, upper=1.0)
    assert not pruner.prune(EMPTY, running({0: 5.0, 1: 0.5}))  # an earlier excursion is past
    assert pruner.prune(EMPTY, running({0: 0.5, 1: 5.0}))
    assert pruner.prune(EMPTY, running({0: 0.5, 1: -5.0}))


def test_nan_is_pruned() -> None:
    assert ThresholdPruner(upper=1.0).prune(EMPTY, running({0: math.nan}))


def test_no_reports() -> None:
    assert not ThresholdPruner(upper=1.0).prune(EMPTY, running({}))


def test_warmup_and_interval() -> None:
    pruner = ThresholdPruner(upper=1.0, n_warmup_steps=2, interval_steps=2)  # checks 2, 4, ..
    reports: dict[int, float] = {}
    decisions = []
    for step in range(6):
        reports[step] = 10.0
        decisions.append(pruner.prune(EMPTY, running(reports)))
    assert decisions == [False, False, True, False, True, False]


def test_works_for_multi_objective_studies() -> None:
    assert ThresholdPruner(upper=1.0).prune(MULTI, running({0: 2.0}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "lower bound, an upper bound"),
        ({"lower": 2.0, "upper": 1.0}, "lower must not exceed upper"),
        ({"upper": math.nan}, "upper"),
        ({"lower": -math.inf}, "lower"),
        ({"upper": "1"}, "upper"),
        ({"upper": 1.0, "n_warmup_steps": -1}, "n_warmup_steps"),
        ({"upper": 1.0, "interval_steps": 0}, "interval_steps"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ThresholdPruner(**kwargs)  # type: ignore[arg-type]


def test_nop_never_prunes() -> None:
    pruner = NopPruner()
    assert not pruner.prune(EMPTY, running({}))
    assert not pruner.prune(EMPTY, running({0: math.nan}))
    assert not pruner.prune(MULTI, running({0: 1e300}))
