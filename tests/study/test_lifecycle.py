"""One lifecycle: optimize() and ask/tell end a trial alike (constraints, retries, pruning)."""

from __future__ import annotations

import itertools
import logging
import math
import random
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue.study import Study
from hpo_queue.trial import FrozenTrial, Trial, TrialState


def broken_constraints(trial: FrozenTrial) -> list[float]:
    raise ZeroDivisionError("bad constraint")


def _study(storage: str | None, **kwargs: Any) -> Study:
    return hq.create_study(storage=storage, sampler=hq.samplers.RandomSampler(seed=0), **kwargs)


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, sqlite_url: str) -> str | None:
    return None if request.param == "memory" else sqlite_url


def _through_optimize(study: Study, objective: Callable[[Trial], Any]) -> FrozenTrial:
    study.optimize(objective, n_trials=1, catch=(Exception,))
    return study.trials[0]


def _through_tell(study: Study, objective: Callable[[Trial], Any], **tell: Any) -> FrozenTrial:
    trial = study.ask()
    try:
        value = objective(trial)
    except hq.TrialPruned:
        return study.tell(trial, state=TrialState.PRUNED)
    return study.tell(trial, value, **tell)


def _suggest_x(trial: Trial) -> float:
    return trial.suggest_float("x", 0, 1)


@pytest.mark.parametrize("path", ["optimize", "tell"])
def test_a_constraints_function_that_raises_fails_the_trial(storage: str | None, path: str) -> None:
    study = _study(storage, constraints_func=broken_constraints)
    if path == "optimize":
        frozen = _through_optimize(study, _suggest_x)
    else:
        frozen = _through_tell(study, _suggest_x)
    assert frozen.state == TrialState.FAIL
    assert "constraints_func failed" in (frozen.fail_reason or "")
    assert "ZeroDivisionError" in (frozen.fail_reason or "")
    assert study.storage.count_trials_by_state(study.study_id) == {TrialState.FAIL: 1}


def test_tell_fail_follows_the_retry_policy_as_optimize_does(storage: str | None) -> None:
    told = _study(storage, failed_trial_max_retries=2)
    trial = told.ask()
    trial.suggest_float("x", 0, 1)
    told.tell(trial, state=TrialState.FAIL)
    retry = told.trials[1]
    assert retry.state == TrialState.WAITING
    assert retry.system_attrs["retry_of"] == 0
    again = told.ask()  # the retry, with the same parameters
    assert again.number == 1
    assert again.suggest_float("x", 0, 1) == trial.params["x"]

    optimized = _study(storage, failed_trial_max_retries=2)

    def fails(trial: Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("boom")

    optimized.optimize(fails, n_trials=1, catch=(RuntimeError,))
    assert [t.state for t in optimized.trials] == [TrialState.FAIL, TrialState.WAITING]


@pytest.mark.parametrize("path", ["optimize", "tell"])
def test_a_pruned_trial_whose_last_report_is_nan_stores_no_value(
    storage: str | None, path: str
) -> None:
    study = _study(storage)

    def reports_nan(trial: Trial) -> float:
        trial.report(0.5, 0)
        trial.report(math.nan, 1)
        raise hq.TrialPruned()

    frozen = _through_optimize(study, reports_nan) if path == "optimize" else None
    if path == "tell":
        frozen = _through_tell(study, reports_nan)
    assert frozen is not None
    stored = study.trials[0]
    assert stored.state == TrialState.PRUNED
    assert stored.values is None


@pytest.mark.parametrize("path", ["optimize", "tell"])
def test_a_pruned_trial_takes_its_last_report_as_value(storage: str | None, path: str) -> None:
    study = _study(storage)

    def reports(trial: Trial) -> float:
        trial.report(0.5, 0)
        trial.report(0.25, 3)
        raise hq.TrialPruned()

    if path == "optimize":
        _through_optimize(study, reports)
    else:
        _through_tell(study, reports)
    assert study.trials[0].values == [0.25]


@pytest.mark.parametrize("catch", [(Exception,), ()])
def test_a_result_too_large_for_a_float_fails_the_trial_and_leaves_nothing_running(
    storage: str | None, catch: tuple[type[Exception], ...]
) -> None:
    study = _study(storage)
    study.optimize(lambda trial: 10**400, n_trials=2, catch=catch)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL, TrialState.FAIL]
    assert "too large for a float" in (study.trials[0].fail_reason or "")


def test_tell_of_a_value_too_large_for_a_float_fails_the_trial(storage: str | None) -> None:
    study = _study(storage)
    frozen = study.tell(study.ask(), 10**400)
    assert frozen.state == TrialState.FAIL
    assert "too large" in (frozen.fail_reason or "")


def test_best_named_in_the_log_never_gets_worse_with_threads(
    storage: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    study = _study(storage)

    def uneven(trial: Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        # Uneven durations: the threads finish their trials out of order.
        time.sleep(random.Random(trial.number).uniform(0, 0.03))
        return x * x

    with caplog.at_level(logging.INFO, logger="hpo_queue.study"):
        study.optimize(uneven, n_trials=120, n_jobs=3)
    named = [
        float(match.group(1))
        for record in caplog.records
        if (match := re.search(r"Best is trial \d+ with value: (\S+)\.$", record.getMessage()))
    ]
    assert len(named) == 120
    assert all(later <= earlier for earlier, later in itertools.pairwise(named))
    assert named[-1] == study.best_value
