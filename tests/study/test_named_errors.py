"""User mistakes in studies and trials raise named HpoQueueErrors that say what to do.

Each one also derives from the builtin Optuna raises in the same place, so an
``except RuntimeError`` (or NotImplementedError, ImportError) written for Optuna still holds.
"""

from __future__ import annotations

import sys

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import (
    HpoQueueError,
    MissingDependencyError,
    MultiObjectiveError,
    MultiObjectiveReportError,
)


def two_objective_study() -> hq.Study:
    study = hq.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    return study


def test_direction_of_a_multi_objective_study_names_directions() -> None:
    study = two_objective_study()
    with pytest.raises(MultiObjectiveError, match=r"use study\.directions") as caught:
        _ = study.direction
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, HpoQueueError)
    assert len(study.directions) == 2  # the plural accessor the message points to works


def test_best_trial_of_a_multi_objective_study_names_best_trials() -> None:
    study = two_objective_study()
    with pytest.raises(MultiObjectiveError, match=r"use study\.best_trials") as caught:
        _ = study.best_trial
    assert isinstance(caught.value, RuntimeError)
    with pytest.raises(RuntimeError):  # how Optuna code catches it
        _ = study.best_value
    assert study.best_trials


def test_report_in_a_multi_objective_study_says_what_to_do_instead() -> None:
    study = hq.create_study(directions=["minimize", "minimize"])
    trial = study.ask()
    with pytest.raises(MultiObjectiveReportError, match="set_user_attr") as caught:
        trial.report(1.0, 0)
    assert isinstance(caught.value, NotImplementedError)  # what Optuna raises
    assert isinstance(caught.value, MultiObjectiveError)
    assert trial.intermediate_values == {}


def test_trials_dataframe_without_pandas_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    study = hq.create_study()
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(MissingDependencyError, match="pip install pandas") as caught:
        study.trials_dataframe()
    assert isinstance(caught.value, ImportError) and isinstance(caught.value, HpoQueueError)
    assert "trial_records" in str(caught.value)
