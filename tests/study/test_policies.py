"""Study-wide policies stored with the study: constraints and retries of failed trials."""

from __future__ import annotations

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.samplers import RandomSampler
from hpo_queue.trial import FrozenTrial, TrialState


def x_at_most_zero(trial: FrozenTrial) -> list[float]:
    return [trial.params["x"]]  # feasible when x <= 0


def objective(trial: hq.Trial) -> float:
    return trial.suggest_float("x", -5, 5) ** 2


def test_infeasible_trials_never_become_best(sqlite_url: str) -> None:
    study = hq.create_study(
        storage=sqlite_url, sampler=RandomSampler(seed=0), constraints_func=x_at_most_zero
    )
    study.enqueue_trial({"x": 0.1})  # the best value, but infeasible
    study.enqueue_trial({"x": -1.0})
    study.optimize(objective, n_trials=10)
    trials = study.trials
    assert trials[0].constraints == [0.1] and not trials[0].is_feasible()
    assert study.best_trial.params["x"] <= 0
    assert all(t.constraints is not None for t in trials)
    # Another process loading the study applies the same stored function.
    again = hq.load_study(study_name=study.study_name, storage=sqlite_url)
    again.optimize(objective, n_trials=2)
    assert all(t.constraints is not None for t in again.trials)


def test_constraints_func_must_be_module_level() -> None:
    with pytest.raises(InvalidInputError, match="module-level"):
        hq.create_study(constraints_func=lambda t: [0.0])


def test_failed_trials_are_retried_with_the_same_params(sqlite_url: str) -> None:
    study = hq.create_study(storage=sqlite_url, failed_trial_max_retries=2)
    attempts: list[float] = []

    def flaky(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        attempts.append(x)
        if len(attempts) <= 3:
            raise RuntimeError("flaky")
        return x

    study.optimize(flaky, n_trials=4, catch=(RuntimeError,))
    trials = study.trials
    assert [t.state for t in trials[:3]] == [TrialState.FAIL] * 3
    assert attempts[0] == attempts[1] == attempts[2]  # retried twice with the same x
    assert trials[1].system_attrs["retry_of"] == 0 and trials[2].system_attrs["retry_count"] == 2
    assert trials[3].state == TrialState.COMPLETE
    assert attempts[3] != attempts[0]  # the retry budget is spent: a fresh point


def test_no_retry_by_default() -> None:
    study = hq.create_study()
    study.optimize(lambda t: None, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]
    assert all("retry_of" not in t.system_attrs for t in study.trials)


def test_a_store_failure_inside_the_objective_is_not_the_objectives_fault() -> None:
    from hpo_queue.exceptions import StorageError
    from hpo_queue.study._lifecycle import was_lost

    study = hq.create_study()  # no retry policy: only lost work is re-run

    def objective(trial: hq.Trial) -> float:
        trial.suggest_float("x", -5, 5)
        raise StorageError("Could not read trials on mysql://...: server has gone away")

    with pytest.raises(StorageError):
        study.optimize(objective, n_trials=1)
    failed, retry = study.trials
    assert was_lost(failed) and failed.state == TrialState.FAIL
    assert retry.state == TrialState.WAITING
    assert retry.system_attrs["fixed_params"] == failed.params
    assert retry.system_attrs["retry_of"] == failed.number
