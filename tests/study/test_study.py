"""Study API: creation, loading, ask/tell, optimize, failures, caps and attributes."""

from __future__ import annotations

import math

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import (
    DuplicatedStudyError,
    InvalidInputError,
    NoCompletedTrialsError,
    StudyNotFoundError,
    TrialCapReached,
    TrialStateError,
)
from hpo_queue.samplers import RandomSampler
from hpo_queue.trial import TrialState


def quadratic(trial: hq.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def test_optimize_records_trials_and_best() -> None:
    study = hq.create_study(sampler=RandomSampler(seed=1))
    study.optimize(quadratic, n_trials=20)
    trials = study.trials
    assert [t.number for t in trials] == list(range(20))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    best = min(trials, key=lambda t: t.value)  # type: ignore[arg-type,return-value]
    assert study.best_trial.number == best.number
    assert study.best_value == best.value
    assert study.best_params == best.params


def test_maximize_direction_picks_largest() -> None:
    study = hq.create_study(direction="maximize", sampler=RandomSampler(seed=2))
    study.optimize(quadratic, n_trials=10)
    assert study.best_value == max(t.value for t in study.trials)  # type: ignore[type-var]


def test_duplicate_name_needs_load_if_exists(sqlite_url: str) -> None:
    hq.create_study(study_name="s", storage=sqlite_url)
    with pytest.raises(DuplicatedStudyError, match="load_if_exists"):
        hq.create_study(study_name="s", storage=sqlite_url)
    again = hq.create_study(study_name="s", storage=sqlite_url, load_if_exists=True)
    assert again.study_name == "s"


def test_sampler_config_is_stored_with_the_study(sqlite_url: str) -> None:
    hq.create_study(study_name="s", storage=sqlite_url, sampler=RandomSampler(seed=7))
    loaded = hq.load_study(study_name="s", storage=sqlite_url)
    assert isinstance(loaded.sampler, RandomSampler)
    assert loaded.sampler.to_config() == RandomSampler(seed=7).to_config()
    override = hq.load_study(study_name="s", storage=sqlite_url, sampler=hq.samplers.TPESampler())
    assert isinstance(override.sampler, hq.samplers.TPESampler)


def test_load_unknown_study_names_it(sqlite_url: str) -> None:
    with pytest.raises(StudyNotFoundError, match="nope"):
        hq.load_study(study_name="nope", storage=sqlite_url)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": "up"}, "Bad direction"),
        ({"direction": "minimize", "directions": ["minimize"]}, "not both"),
        ({"directions": []}, "non-empty list"),
        ({"max_trials": 0}, "positive integer"),
        ({"max_trials": 2.5}, "positive integer"),
        ({"study_name": ""}, "must not be empty"),
        ({"study_name": "x" * 600}, "at most 512"),
        ({"sampler": "tpe"}, "hpo_queue sampler"),
    ],
)
def test_bad_study_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        hq.create_study(**kwargs)  # type: ignore[arg-type]


def test_odd_characters_in_names_and_attrs_are_stored_verbatim(sqlite_url: str) -> None:
    name = 'robert\'); DROP TABLE hq_studies;-- ✓ "q" \\ %'
    study = hq.create_study(study_name=name, storage=sqlite_url)
    study.set_user_attr("k'ey; --", {"v": "x'); DELETE FROM hq_trials;--"})
    loaded = hq.load_study(study_name=name, storage=sqlite_url)
    assert loaded.study_name == name
    assert loaded.user_attrs == {"k'ey; --": {"v": "x'); DELETE FROM hq_trials;--"}}
    assert name in hq.get_all_study_names(sqlite_url)


def test_ask_tell_round_trip() -> None:
    study = hq.create_study()
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    frozen = study.tell(trial, x * 2)
    assert frozen.state == TrialState.COMPLETE
    assert frozen.values == [x * 2]
    with pytest.raises(TrialStateError, match="already finished"):
        study.tell(trial.number, 1.0)
    second = study.ask()
    assert study.tell(second.number, state="fail").state == TrialState.FAIL


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (None, "not a number"),
        (float("nan"), "NaN"),
        ("1.5", "not a number"),
        ([1.0, 2.0], "2 values"),
    ],
)
def test_bad_objective_results_fail_the_trial(returned: object, message: str) -> None:
    study = hq.create_study()
    study.optimize(lambda t: returned, n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert trial.fail_reason is not None and message in trial.fail_reason


def test_objective_exception_marks_fail_and_reraises() -> None:
    study = hq.create_study()

    def broken(trial: hq.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        study.optimize(broken, n_trials=3)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "ZeroDivisionError: boom" in (trial.fail_reason or "")


def test_caught_exceptions_continue_the_loop() -> None:
    study = hq.create_study()

    def broken(trial: hq.Trial) -> float:
        raise ValueError("nope")

    study.optimize(broken, n_trials=3, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 3
    with pytest.raises(NoCompletedTrialsError):
        _ = study.best_trial


def test_keyboard_interrupt_leaves_no_trial_running() -> None:
    study = hq.create_study()

    def interrupted(trial: hq.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(interrupted, n_trials=5)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "Interrupted" in (trial.fail_reason or "")


def test_pruned_trial_keeps_last_reported_value() -> None:
    study = hq.create_study()

    def pruned(trial: hq.Trial) -> float:
        trial.report(3.0, 0)
        trial.report(2.0, 1)
        raise hq.TrialPruned()

    study.optimize(pruned, n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.PRUNED
    assert trial.values == [2.0]
    assert trial.intermediate_values == {0: 3.0, 1: 2.0}


def test_max_trials_stops_optimize_and_failed_trials_free_their_slot() -> None:
    study = hq.create_study(max_trials=5)
    calls = []

    def sometimes_fails(trial: hq.Trial) -> float:
        calls.append(trial.number)
        if trial.number == 1:
            raise RuntimeError("transient")
        return 1.0

    study.optimize(sometimes_fails, n_trials=100, catch=(RuntimeError,))
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) == 5
    assert states.count(TrialState.FAIL) == 1
    with pytest.raises(TrialCapReached, match="max_trials=5"):
        study.ask()


def test_enqueued_trials_run_first_with_their_params() -> None:
    study = hq.create_study(sampler=RandomSampler(seed=0))
    study.enqueue_trial({"x": 2.0})
    study.enqueue_trial({"x": -3.0}, user_attrs={"source": "manual"})
    study.optimize(quadratic, n_trials=4)
    trials = study.trials
    assert trials[0].params == {"x": 2.0} and trials[0].value == 0.0
    assert trials[1].params == {"x": -3.0} and trials[1].user_attrs == {"source": "manual"}
    assert len(trials) == 4
    assert study.enqueue_trial({"x": 2.0}, skip_if_exists=True) is None


def test_enqueued_value_outside_range_is_a_clear_error() -> None:
    study = hq.create_study()
    study.enqueue_trial({"x": 50.0})
    with pytest.raises(InvalidInputError, match="'x'"):
        study.optimize(quadratic, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


def test_multi_objective_best_trials_is_the_pareto_front() -> None:
    study = hq.create_study(directions=["minimize", "maximize"])
    points = [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (0.5, 0.5), (2.0, 3.0)]
    for a, b in points:
        trial = study.ask()
        study.tell(trial, (a, b))
    front = {tuple(t.values) for t in study.best_trials}  # type: ignore[arg-type]
    assert front == {(1.0, 1.0), (2.0, 3.0), (0.5, 0.5)}
    with pytest.raises(RuntimeError):
        _ = study.best_trial


def test_callbacks_see_each_finished_trial() -> None:
    seen: list[tuple[int, TrialState]] = []
    study = hq.create_study()
    study.optimize(quadratic, n_trials=3, callbacks=[lambda s, t: seen.append((t.number, t.state))])
    assert seen == [(0, TrialState.COMPLETE), (1, TrialState.COMPLETE), (2, TrialState.COMPLETE)]


def test_n_jobs_threads_share_the_budget(sqlite_url: str) -> None:
    study = hq.create_study(storage=sqlite_url, sampler=RandomSampler(seed=3))
    study.optimize(quadratic, n_trials=12, n_jobs=3)
    assert sorted(t.number for t in study.trials) == list(range(12))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_trials": -1}, "n_trials"),
        ({"timeout": 0}, "timeout"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"catch": ["x"]}, "catch"),
    ],
)
def test_bad_optimize_arguments(kwargs: dict[str, object], message: str) -> None:
    study = hq.create_study()
    with pytest.raises(InvalidInputError, match=message):
        study.optimize(quadratic, **kwargs)  # type: ignore[arg-type]


def test_timeout_stops_the_loop() -> None:
    import time

    study = hq.create_study()

    def slow(trial: hq.Trial) -> float:
        time.sleep(0.05)
        return 1.0

    # Each trial takes at least 0.05 s on any machine, and no trial starts after 0.3 s: at
    # most 6 trials, however fast or slow the machine (n_trials is only a backstop).
    study.optimize(slow, n_trials=50, timeout=0.3)
    assert 1 <= len(study.trials) <= 6


def test_delete_and_summaries(sqlite_url: str) -> None:
    study = hq.create_study(study_name="a", storage=sqlite_url, max_trials=3)
    study.optimize(quadratic, n_trials=3)
    hq.create_study(study_name="b", storage=sqlite_url)
    summaries = {s.study_name: s for s in hq.get_all_study_summaries(sqlite_url)}
    assert summaries["a"].n_trials == 3
    assert summaries["a"].counts == {"COMPLETE": 3}
    assert summaries["a"].max_trials == 3
    assert summaries["a"].best_trial is not None
    assert math.isclose(summaries["a"].best_trial.value or 0, study.best_value)
    assert summaries["b"].n_trials == 0 and summaries["b"].best_trial is None
    hq.delete_study(study_name="a", storage=sqlite_url)
    assert hq.get_all_study_names(sqlite_url) == ["b"]
