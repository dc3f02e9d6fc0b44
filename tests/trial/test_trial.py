"""Trial: suggestions, define-by-run spaces, reports, pruning and attributes."""

from __future__ import annotations

import logging
import re
import time

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import InvalidInputError, ParameterConflictError
from hpo_queue.pruners import MedianPruner
from hpo_queue.samplers import RandomSampler
from hpo_queue.trial import TrialState


def test_suggestions_respect_their_distributions() -> None:
    study = hq.create_study(sampler=RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        f = trial.suggest_float("f", -1.0, 1.0)
        lf = trial.suggest_float("lf", 1e-4, 1.0, log=True)
        sf = trial.suggest_float("sf", 0.0, 1.0, step=0.25)
        i = trial.suggest_int("i", 2, 8, step=2)
        li = trial.suggest_int("li", 1, 1000, log=True)
        c = trial.suggest_categorical("c", ["a", None, 3])
        assert -1.0 <= f <= 1.0
        assert 1e-4 <= lf <= 1.0
        assert sf in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert i in (2, 4, 6, 8) and isinstance(i, int)
        assert 1 <= li <= 1000 and isinstance(li, int)
        assert c in ("a", None, 3)
        study.tell(trial, f)


def test_same_name_twice_returns_the_same_value() -> None:
    study = hq.create_study()
    trial = study.ask()
    assert trial.suggest_float("x", 0, 1) == trial.suggest_float("x", 0, 1)


def test_incompatible_redefinition_in_a_trial_is_an_error() -> None:
    study = hq.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    with pytest.raises(ParameterConflictError, match="'x'"):
        trial.suggest_int("x", 0, 1)


def test_incompatible_redefinition_across_trials_is_an_error() -> None:
    study = hq.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(ParameterConflictError, match="'x'"):
        study.optimize(lambda t: float(t.suggest_categorical("x", [1, 2])), n_trials=1)


def test_define_by_run_conditional_space() -> None:
    def objective(trial: hq.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["linear", "tree"])
        if kind == "linear":
            return trial.suggest_float("alpha", 1e-3, 1.0, log=True)
        return float(trial.suggest_int("depth", 1, 8))

    study = hq.create_study(sampler=hq.samplers.TPESampler(seed=0, n_startup_trials=5))
    study.optimize(objective, n_trials=30)
    for trial in study.trials:
        assert trial.state == TrialState.COMPLETE
        expected = {"kind", "alpha"} if trial.params["kind"] == "linear" else {"kind", "depth"}
        assert set(trial.params) == expected


def test_params_reach_the_store_while_the_trial_runs(sqlite_url: str) -> None:
    study = hq.create_study(storage=sqlite_url)
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_int("y", 0, 9)
    other_view = hq.load_study(study_name=study.study_name, storage=sqlite_url)
    deadline = time.monotonic() + 5
    while not other_view.trials[0].params and time.monotonic() < deadline:
        time.sleep(0.01)
    (running,) = other_view.trials
    assert running.state == TrialState.RUNNING
    assert running.params == {"x": x, "y": y}  # both in one delayed write


def test_report_validation() -> None:
    study = hq.create_study()
    trial = study.ask()
    with pytest.raises(InvalidInputError, match="step"):
        trial.report(1.0, -1)
    with pytest.raises(InvalidInputError, match="number"):
        trial.report("high", 1)  # type: ignore[arg-type]
    trial.report(1.0, 1)
    trial.report(5.0, 1)  # ignored, as in Optuna
    assert trial.intermediate_values == {1: 1.0}


def test_median_pruner_prunes_a_clearly_worse_trial() -> None:
    study = hq.create_study(pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=0))
    for _ in range(3):
        good = study.ask()
        for step in range(3):
            good.report(1.0 / (step + 1), step)
        study.tell(good, 0.3)
    bad = study.ask()
    bad.report(10.0, 0)
    assert bad.should_prune()
    ok = study.ask()
    ok.report(0.5, 0)
    assert not ok.should_prune()


def test_user_attrs_are_stored() -> None:
    study = hq.create_study()
    study.optimize(lambda t: (t.set_user_attr("note", {"a": [1, 2]}), 1.0)[1], n_trials=1)
    assert study.trials[0].user_attrs == {"note": {"a": [1, 2]}}


def test_log_line_matches_optuna_format(caplog: pytest.LogCaptureFixture) -> None:
    hq.logging.disable_default_handler()
    try:
        with caplog.at_level(logging.INFO, logger="hpo_queue"):
            study = hq.create_study()
            study.enqueue_trial({"x": 1.83})
            study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=1)
    finally:
        hq.logging.enable_default_handler()
    line = next(r.getMessage() for r in caplog.records if "finished" in r.getMessage())
    assert re.fullmatch(
        r"Trial 0 finished with value: 0\.028\d* and parameters: \{'x': 1\.83\}\. "
        r"Best is trial 0 with value: 0\.028\d*\.",
        line,
    ), line
