"""PercentilePruner and MedianPruner on hand-made histories."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners import MedianPruner, PercentilePruner
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState


def make_trial(
    number: int, reports: dict[int, float], state: TrialState = TrialState.COMPLETE
) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=dict(reports))


def make_history(trials: list[FrozenTrial], direction: str = "minimize") -> TrialHistory:
    return TrialHistory((StudyDirection.parse(direction),), trials)


def completed_with_constant_curves(values: Sequence[float], n_steps: int = 5) -> list[FrozenTrial]:
    """Completed trials numbered 0.., each reporting the same value at every step."""
    return [make_trial(i, dict.fromkeys(range(n_steps), v)) for i, v in enumerate(values)]


def running(number: int, reports: dict[int, float]) -> FrozenTrial:
    return make_trial(number, reports, TrialState.RUNNING)


def test_median_prunes_worse_than_median_when_minimizing() -> None:
    history = make_history(completed_with_constant_curves([1, 2, 3, 4, 5]))
    pruner = MedianPruner()
    assert pruner.prune(history, running(5, {0: 3.5}))
    assert not pruner.prune(history, running(5, {0: 2.5}))
    assert not pruner.prune(history, running(5, {0: 3.0}))  # equal to the median is kept


def test_median_prunes_worse_than_median_when_maximizing() -> None:
    history = make_history(completed_with_constant_curves([1, 2, 3, 4, 5]), "maximize")
    pruner = MedianPruner()
    assert pruner.prune(history, running(5, {0: 2.5}))
    assert not pruner.prune(history, running(5, {0: 3.5}))


def test_median_compares_best_value_so_far_at_the_last_step() -> None:
    trials = [make_trial(i, {0: 10.0, 1: float(i)}) for i in range(5)]  # median at step 1: 2
    history = make_history(trials)
    pruner = MedianPruner()
    assert not pruner.prune(history, running(5, {0: 1.0, 1: 9.0}))  # best so far is 1.0
    assert pruner.prune(history, running(5, {0: 9.0, 1: 3.0}))


def test_no_pruning_before_n_startup_trials_complete() -> None:
    trials = completed_with_constant_curves([1, 2, 3, 4])
    trials += [make_trial(4, {0: 0.0}, TrialState.PRUNED), running(5, {0: 0.0})]
    history = make_history(trials)
    assert not MedianPruner(n_startup_trials=5).prune(history, running(6, {0: 100.0}))
    assert MedianPruner(n_startup_trials=4).prune(history, running(6, {0: 100.0}))


def test_no_pruning_without_completed_trials_even_with_zero_startup() -> None:
    history = make_history([running(0, {0: 1.0})])
    assert not MedianPruner(n_startup_trials=0).prune(history, running(1, {0: 100.0}))


def test_reference_uses_only_completed_trials() -> None:
    trials = completed_with_constant_curves([1, 2, 3, 4, 5])
    # Many excellent running/pruned trials must not move the median (Optuna's rule).
    trials += [running(n, {0: -100.0}) for n in range(5, 15)]
    trials += [make_trial(n, {0: -100.0}, TrialState.PRUNED) for n in range(15, 25)]
    history = make_history(trials)
    assert not MedianPruner().prune(history, running(25, {0: 2.5}))


def test_warmup_steps() -> None:
    history = make_history(completed_with_constant_curves([1, 2, 3, 4, 5]))
    pruner = MedianPruner(n_warmup_steps=2)
    assert not pruner.prune(history, running(5, {0: 100.0}))
    assert not pruner.prune(history, running(5, {0: 100.0, 1: 100.0}))
    assert pruner.prune(history, running(5, {0: 100.0, 1: 100.0, 2: 100.0}))


def test_interval_steps_checks_once_per_interval() -> None:
    history = make_history(completed_with_constant_curves([1, 2, 3, 4, 5], n_steps=10))
    pruner = MedianPruner(n_warmup_steps=1, interval_steps=3)  # checks at steps 1, 4, 7
    bad: dict[int, float] = {}
    decisions = []
    for step in range(8):
        bad[step] = 100.0
        decisions.append(pruner.prune(history, running(5, bad)))
    assert decisions == [False, True, False, False, True, False, False, True]


def test_interval_check_postponed_to_next_report() -> None:
    history = make_history(completed_with_constant_curves([1, 2, 3, 4, 5], n_steps=10))
    pruner = MedianPruner(interval_steps=3)  # checks at 0, 3, 6
    assert pruner.prune(history, running(5, {0: 100.0, 1: 100.0, 4: 100.0}))  # 3 was skipped
    assert not pruner.prune(history, running(5, {0: 100.0, 3: 100.0, 4: 100.0}))


def test_n_min_trials_at_the_step() -> None:
    trials = completed_with_constant_curves([1, 2, 3], n_steps=3)
    trials += [make_trial(n, {0: 1.0}) for n in range(3, 6)]  # stopped reporting after step 0
    history = make_history(trials)
    report = {0: 0.0, 1: 0.0, 2: 100.0}
    assert not MedianPruner(n_min_trials=4).prune(history, running(6, {0: 100.0, 2: 100.0}))
    assert MedianPruner(n_min_trials=3).prune(history, running(6, {0: 100.0, 2: 100.0}))
    assert not MedianPruner(n_min_trials=3).prune(history, running(6, report))


def test_nan_handling() -> None:
    values = [1.0, 2.0, math.nan, math.nan, 3.0]
    history = make_history(completed_with_constant_curves(values))
    pruner = MedianPruner()
    assert pruner.prune(history, running(5, {0: math.nan}))  # nothing but NaN
    assert not pruner.prune(history, running(5, {0: 1.9}))  # median of 1, 2, 3 ignores NaN
    assert pruner.prune(history, running(5, {0: 2.1}))
    all_nan = make_history(completed_with_constant_curves([math.nan] * 5))
    assert not pruner.prune(all_nan, running(5, {0: 100.0}))


def test_trial_without_reports_is_not_pruned() -> None:
    history = make_history(completed_with_constant_curves([1, 2, 3, 4, 5]))
    assert not MedianPruner().prune(history, running(5, {}))


def test_percentile_minimize_and_maximize() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8]  # 25th percentile 2.75, 75th percentile 6.25
    pruner = PercentilePruner(25.0)
    minimize = make_history(completed_with_constant_curves(values))
    assert pruner.prune(minimize, running(8, {0: 3.0}))
    assert not pruner.prune(minimize, running(8, {0: 2.5}))
    maximize = make_history(completed_with_constant_curves(values), "maximize")
    assert pruner.prune(maximize, running(8, {0: 6.0}))
    assert not pruner.prune(maximize, running(8, {0: 6.5}))


def test_percentile_extremes() -> None:
    history = make_history(completed_with_constant_curves([1, 2, 3, 4, 5]))
    assert not PercentilePruner(100.0).prune(history, running(5, {0: 5.0}))
    assert PercentilePruner(0.0).prune(history, running(5, {0: 1.5}))
    assert not PercentilePruner(0.0).prune(history, running(5, {0: 1.0}))


def test_multi_objective_is_rejected() -> None:
    history = TrialHistory((StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE), [])
    with pytest.raises(InvalidInputError, match="multi-objective"):
        MedianPruner().prune(history, running(0, {0: 1.0}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"percentile": -1.0}, "percentile"),
        ({"percentile": 100.5}, "percentile"),
        ({"percentile": math.nan}, "percentile"),
        ({"percentile": "50"}, "percentile"),
        ({"percentile": 50.0, "n_startup_trials": -1}, "n_startup_trials"),
        ({"percentile": 50.0, "n_warmup_steps": -1}, "n_warmup_steps"),
        ({"percentile": 50.0, "interval_steps": 0}, "interval_steps"),
        ({"percentile": 50.0, "n_min_trials": 0}, "n_min_trials"),
        ({"percentile": 50.0, "n_warmup_steps": 1.5}, "n_warmup_steps"),
        ({"percentile": 50.0, "interval_steps": True}, "interval_steps"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        PercentilePruner(**kwargs)  # type: ignore[arg-type]


def test_median_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="n_warmup_steps"):
        MedianPruner(n_warmup_steps=-2)
