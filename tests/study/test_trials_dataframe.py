"""trials_dataframe: the same columns, order and values as Optuna 5's for the same trials."""

from __future__ import annotations

from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import InvalidInputError
from tests.support.optional_modules import import_or_skip

optuna = import_or_skip("optuna")
pd = import_or_skip("pandas")


def _trials(module: Any, n_objectives: int) -> list[Any]:
    """The same finished trials, built with either library's create_trial."""
    made = []
    for number in range(4):
        made.append(
            module.trial.create_trial(
                params={"x": 0.5 * number, "kind": ["a", "b"][number % 2]},
                distributions={
                    "x": module.distributions.FloatDistribution(0.0, 5.0),
                    "kind": module.distributions.CategoricalDistribution(["a", "b"]),
                },
                values=[float(number), float(-number)][:n_objectives],
                user_attrs={"note": f"n{number}"} if number % 2 else {},
                state=module.trial.TrialState.COMPLETE,
            )
        )
    return made


def _studies(directions: list[str]) -> tuple[Any, Any]:
    """Ours and Optuna's study holding the same trials."""
    ours = hq.create_study(directions=directions)
    theirs = optuna.create_study(directions=directions)
    for module, study in ((hq, ours), (optuna, theirs)):
        for trial in _trials(module, len(directions)):
            study.add_trial(trial)
    return ours, theirs


_TIMES = ("datetime_start", "datetime_complete", "duration")


@pytest.mark.parametrize("directions", [["minimize"], ["minimize", "maximize"]])
@pytest.mark.parametrize("multi_index", [False, True])
def test_columns_and_values_match_optunas(directions: list[str], multi_index: bool) -> None:
    ours, theirs = _studies(directions)
    mine = ours.trials_dataframe(multi_index=multi_index)
    other = theirs.trials_dataframe(multi_index=multi_index)
    assert list(mine.columns) == list(other.columns)
    timeless = [c for c in mine.columns if (c[0] if multi_index else c) not in _TIMES]
    pd.testing.assert_frame_equal(mine[timeless], other[timeless], check_dtype=False)


def test_attrs_pick_the_columns_in_the_order_given() -> None:
    ours, theirs = _studies(["minimize"])
    attrs = ("state", "params", "number", "user_attrs")
    assert list(ours.trials_dataframe(attrs=attrs).columns) == list(
        theirs.trials_dataframe(attrs=attrs).columns
    )
    assert list(ours.trials_dataframe(attrs=attrs).columns) == [
        "state",
        "params_kind",
        "params_x",
        "number",
        "user_attrs_note",
    ]


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_metric_names_name_the_value_columns() -> None:
    ours, theirs = _studies(["minimize", "maximize"])
    for study in (ours, theirs):
        study.set_metric_names(["loss", "accuracy"])
    assert ours.metric_names == ["loss", "accuracy"]
    assert list(ours.trials_dataframe(attrs=("number", "value")).columns) == list(
        theirs.trials_dataframe(attrs=("number", "value")).columns
    )
    assert "values_loss" in ours.trials_dataframe().columns


def test_states_keep_only_those_trials() -> None:
    ours, _ = _studies(["minimize"])
    ours.add_trial(hq.trial.create_trial(state=hq.TrialState.FAIL))
    frame = ours.trials_dataframe(states=(hq.TrialState.FAIL,))
    assert list(frame["state"]) == ["FAIL"]


def test_an_empty_study_gives_an_empty_frame() -> None:
    assert hq.create_study().trials_dataframe().empty


@pytest.mark.parametrize("attrs", [("number", "nonsense"), "number"])
def test_unknown_attrs_are_a_named_error(attrs: Any) -> None:
    ours, _ = _studies(["minimize"])
    with pytest.raises(InvalidInputError, match="attrs"):
        ours.trials_dataframe(attrs=attrs)


@pytest.mark.parametrize("names", [["a", "b"], "ab", [""]])
def test_metric_names_must_be_one_non_empty_name_per_objective(names: Any) -> None:
    with pytest.raises(InvalidInputError, match="metric"):
        hq.create_study().set_metric_names(names)


def test_add_trials_keeps_each_trials_times_as_optunas() -> None:
    ours, theirs = _studies(["minimize"])
    copy = hq.create_study()
    copy.add_trials(ours.trials)
    assert [t.datetime_start for t in copy.trials] == [t.datetime_start for t in ours.trials]
    assert [t.datetime_complete for t in copy.trials] == [t.datetime_complete for t in ours.trials]
    their_copy = optuna.create_study()
    their_copy.add_trials(theirs.trials)
    assert [t.datetime_start for t in their_copy.trials] == [
        t.datetime_start for t in theirs.trials
    ]
