"""FrozenTrial: an immutable snapshot, shared by the storage's caches and every reader."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue.distributions import FloatDistribution
from hpo_queue.exceptions import FrozenTrialError, HpoQueueError, MultiObjectiveError
from hpo_queue.trial import FrozenTrial, TrialState

T0 = datetime.datetime(2024, 1, 1)


def make_trial() -> FrozenTrial:
    return FrozenTrial(
        number=3,
        state=TrialState.COMPLETE,
        values=[0.5],
        params={"x": 0.25},
        distributions={"x": FloatDistribution(0.0, 1.0)},
        user_attrs={"note": "a"},
        system_attrs={"retry_count": 1},
        intermediate_values={0: 1.0, 1: 0.75},
        datetime_start=T0,
        datetime_complete=T0 + datetime.timedelta(seconds=2),
        constraints=[-1.0],
    )


DICT_FIELDS = ["params", "distributions", "user_attrs", "system_attrs", "intermediate_values"]

DICT_CHANGES: list[Callable[[Any], Any]] = [
    lambda d: d.__setitem__("new", 1),
    lambda d: d.__delitem__(next(iter(d))),
    lambda d: d.update(new=1),
    lambda d: d.pop(next(iter(d))),
    lambda d: d.popitem(),
    lambda d: d.setdefault("new", 1),
    lambda d: d.clear(),
    lambda d: d.__ior__({"new": 1}),
]

LIST_CHANGES: list[Callable[[Any], Any]] = [
    lambda values: values.__setitem__(0, 9.0),
    lambda values: values.__delitem__(0),
    lambda values: values.append(9.0),
    lambda values: values.extend([9.0]),
    lambda values: values.insert(0, 9.0),
    lambda values: values.pop(),
    lambda values: values.remove(values[0]),
    lambda values: values.clear(),
    lambda values: values.sort(),
    lambda values: values.reverse(),
    lambda values: values.__iadd__([9.0]),
    lambda values: values.__imul__(2),
]


def test_fields_cannot_be_assigned() -> None:
    trial = make_trial()
    with pytest.raises(dataclasses.FrozenInstanceError):
        trial.state = TrialState.FAIL  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        trial.values = [1.0]  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        trial.params = {}  # type: ignore[misc]
    assert trial.state == TrialState.COMPLETE and trial.values == [0.5]


@pytest.mark.parametrize("field", DICT_FIELDS)
@pytest.mark.parametrize("change", DICT_CHANGES)
def test_dict_fields_refuse_changes(field: str, change: Callable[[Any], Any]) -> None:
    trial = make_trial()
    before = dict(getattr(trial, field))
    with pytest.raises(FrozenTrialError, match=r"dataclasses\.replace") as caught:
        change(getattr(trial, field))
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, HpoQueueError)
    assert getattr(trial, field) == before


@pytest.mark.parametrize("field", ["values", "constraints"])
@pytest.mark.parametrize("change", LIST_CHANGES)
def test_list_fields_refuse_changes(field: str, change: Callable[[Any], Any]) -> None:
    trial = make_trial()
    before = list(getattr(trial, field))
    with pytest.raises(FrozenTrialError):
        change(getattr(trial, field))
    assert getattr(trial, field) == before


def test_the_trial_does_not_share_the_dicts_it_was_built_from() -> None:
    params: dict[str, Any] = {"x": 1.0}
    values = [2.0]
    trial = FrozenTrial(number=0, state=TrialState.COMPLETE, values=values, params=params)
    params["y"] = 3.0
    values.append(4.0)
    assert trial.params == {"x": 1.0} and trial.values == [2.0]


def test_replace_makes_a_changed_copy_and_leaves_the_original() -> None:
    trial = make_trial()
    failed = dataclasses.replace(
        trial, state=TrialState.FAIL, system_attrs={**trial.system_attrs, "retried_as": 7}
    )
    assert failed.state == TrialState.FAIL and failed.system_attrs["retried_as"] == 7
    assert trial.state == TrialState.COMPLETE and "retried_as" not in trial.system_attrs
    with pytest.raises(FrozenTrialError):
        failed.system_attrs["retried_as"] = 8


def test_reads_as_an_optuna_frozen_trial() -> None:
    trial = make_trial()
    assert trial.value == 0.5
    assert trial.duration == datetime.timedelta(seconds=2)
    assert trial.last_step == 1
    assert trial.is_feasible()
    # Plain dict and list behaviour for reading code written against Optuna.
    assert isinstance(trial.params, dict) and isinstance(trial.values, list)
    assert trial.params == {"x": 0.25} and trial.values == [0.5]
    assert json.loads(json.dumps({"params": trial.params, "values": trial.values})) == {
        "params": {"x": 0.25},
        "values": [0.5],
    }
    # Copies are ordinary, changeable containers.
    copied = dict(trial.params) | {"y": 1}
    copied["z"] = 2
    assert type(trial.params.copy()) is dict and type(trial.params | {}) is dict
    assert type(trial.values.copy()) is list and [*trial.values, 1.0] == [0.5, 1.0]


@pytest.mark.parametrize(
    "roundtrip",
    [copy.deepcopy, copy.copy, lambda t: pickle.loads(pickle.dumps(t))],
    ids=["deepcopy", "copy", "pickle"],
)
def test_copies_and_pickles_stay_equal_and_frozen(roundtrip: Callable[[Any], Any]) -> None:
    trial = make_trial()
    restored = roundtrip(trial)
    assert restored == trial
    with pytest.raises(FrozenTrialError):
        restored.params["x"] = 0.0
    with pytest.raises(FrozenTrialError):
        restored.values.append(1.0)


def test_value_of_a_multi_objective_trial_names_values() -> None:
    trial = FrozenTrial(number=0, state=TrialState.COMPLETE, values=[1.0, 2.0])
    with pytest.raises(MultiObjectiveError, match=r"use trial\.values") as caught:
        _ = trial.value
    assert isinstance(caught.value, RuntimeError)  # what Optuna raises: except clauses hold


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest) -> Any:
    return None if request.param == "memory" else request.getfixturevalue("sqlite_url")


def test_trials_handed_out_by_the_storage_cannot_be_changed(storage: Any) -> None:
    study = hq.create_study(storage=storage, sampler=hq.samplers.RandomSampler(seed=0))

    def objective(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("note", "kept")
        trial.report(x, 0)
        return x

    study.optimize(objective, n_trials=3)
    expected = [
        (t.number, t.state, list(t.values or []), dict(t.params), dict(t.user_attrs))
        for t in study.get_trials(deepcopy=False)
    ]
    handed_out = [
        *study.get_trials(deepcopy=False),
        *study.trials,
        study.best_trial,
        study.storage.get_trial(study.study_id, 0),
    ]
    for trial in handed_out:
        with pytest.raises(dataclasses.FrozenInstanceError):
            trial.state = TrialState.FAIL  # type: ignore[misc]
        with pytest.raises(FrozenTrialError):
            trial.params["x"] = 99.0
        with pytest.raises(FrozenTrialError):
            trial.user_attrs.update(note="changed")
        with pytest.raises(FrozenTrialError):
            trial.intermediate_values.clear()
        assert trial.values is not None
        with pytest.raises(FrozenTrialError):
            trial.values[0] = 99.0
    # A copy a caller changes leaves the store's trials alone.
    mine = dict(study.best_trial.params)
    mine["x"] = 99.0
    again = [
        (t.number, t.state, list(t.values or []), dict(t.params), dict(t.user_attrs))
        for t in study.get_trials(deepcopy=False)
    ]
    assert again == expected
    assert all(t[4] == {"note": "kept"} for t in again) and len(again) == 3
