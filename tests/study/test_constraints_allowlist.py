"""A stored constraints function passes the objective allowlist before any process calls it."""

from __future__ import annotations

import logging

import pytest

import hpo_queue as hq
from hpo_queue.settings import Settings
from hpo_queue.study._constraints import forget_passed_constraints, resolve_constraints
from hpo_queue.trial import FrozenTrial


def feasible(trial: FrozenTrial) -> list[float]:
    return [0.0]


def objective(trial: hq.Trial) -> float:
    return trial.suggest_float("x", 0, 1)


@pytest.fixture(autouse=True)
def _fresh_process() -> None:
    forget_passed_constraints()


@pytest.mark.parametrize("ref", ["builtins:print", "os:system", "sys:exit", "posix:system"])
def test_a_stored_ref_outside_the_allowlist_is_never_called(
    ref: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="hpo_queue.study"):
        assert resolve_constraints(ref, ()) is None
    assert "not in this worker's allowed objective modules" in caplog.text


def test_a_study_created_with_print_does_not_make_other_processes_call_print(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hq.create_study(study_name="p", storage=sqlite_url, constraints_func=print)
    forget_passed_constraints()  # another process: it did not pass print itself
    study = hq.load_study(study_name="p", storage=sqlite_url, settings=Settings())
    study.optimize(objective, n_trials=1)
    assert capsys.readouterr().out == ""
    assert study.trials[0].constraints is None


def test_the_creating_process_and_allowed_modules_apply_the_stored_function(
    sqlite_url: str,
) -> None:
    hq.create_study(study_name="c", storage=sqlite_url, constraints_func=feasible)
    same_process = hq.load_study(study_name="c", storage=sqlite_url, settings=Settings())
    same_process.optimize(objective, n_trials=1)
    assert same_process.trials[0].constraints == [0.0]
    forget_passed_constraints()
    allowed = Settings(objective_modules=(__name__,))
    other = hq.load_study(study_name="c", storage=sqlite_url, settings=allowed)
    other.optimize(objective, n_trials=1)
    assert other.trials[1].constraints == [0.0]
