"""SuccessiveHalvingPruner (ASHA) on hand-made histories and a small simulation."""

from __future__ import annotations

import dataclasses
import datetime
import math
import random

import numpy as np
import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners import SuccessiveHalvingPruner
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState


def make_trial(
    number: int, reports: dict[int, float], state: TrialState = TrialState.COMPLETE
) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=dict(reports))


def running(number: int, reports: dict[int, float]) -> FrozenTrial:
    return make_trial(number, reports, TrialState.RUNNING)


def make_history(trials: list[FrozenTrial], direction: str = "minimize") -> TrialHistory:
    return TrialHistory((StudyDirection.parse(direction),), trials)


def eight_finished_trials() -> list[FrozenTrial]:
    """Trials 0..7 reporting value ``i`` at steps 0..3: rung 0 (step 1) values are 0..7."""
    return [make_trial(i, dict.fromkeys(range(4), float(i))) for i in range(8)]


ASHA = SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)


def test_prunes_a_bad_trial_at_the_first_rung() -> None:
    history = make_history(eight_finished_trials())
    assert not ASHA.prune(history, running(8, {0: 100.0}))  # rung 0 ends at step 1
    assert ASHA.prune(history, running(8, {0: 100.0, 1: 100.0}))


def test_promotes_a_good_trial_at_the_first_rung() -> None:
    history = make_history(eight_finished_trials())
    assert not ASHA.prune(history, running(8, {0: 100.0, 1: -1.0}))
    # 9 competitors, eta 4: promoted iff within the 9 // 4 = 2 best (values 0 and 1).
    assert not ASHA.prune(history, running(8, {0: 0.0, 1: 1.0}))
    assert ASHA.prune(history, running(8, {0: 0.0, 1: 1.5}))


def test_direction_maximize() -> None:
    history = make_history(eight_finished_trials(), "maximize")
    assert not ASHA.prune(history, running(8, {0: 0.0, 1: 6.5}))
    assert ASHA.prune(history, running(8, {0: 0.0, 1: 5.5}))


def test_each_rung_is_decided_once() -> None:
    history = make_history(eight_finished_trials())
    # Rung 0 was crossed at step 1; steps 2 and 3 are inside rung 1, so no decision.
    assert not ASHA.prune(history, running(8, {0: 0.0, 1: -1.0, 2: 100.0}))
    assert not ASHA.prune(history, running(8, {0: 0.0, 1: -1.0, 2: 100.0, 3: 100.0}))


def test_second_rung_competition() -> None:
    # Rung 1 ends at step 4; only the trials that reached step 4 compete there.
    trials = eight_finished_trials()  # steps 0..3 only: did not reach rung 1
    trials += [make_trial(n, dict.fromkeys(range(6), 5.0)) for n in (8, 9, 10)]
    history = make_history(trials)
    promoted = {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0, 4: 4.0}
    assert not ASHA.prune(history, running(11, promoted))
    assert ASHA.prune(history, running(11, {**promoted, 4: 6.0}))  # 4 trials: must be best


def test_a_report_jumping_over_several_rungs_is_checked_at_each() -> None:
    trials = [make_trial(n, dict.fromkeys(range(20), 1.0)) for n in range(3)]
    trials += [make_trial(n, {0: 9.0, 1: 9.0}, TrialState.PRUNED) for n in range(3, 15)]
    history = make_history(trials)
    # Rungs end at steps 1, 4 and 16. Rung 0 has 16 competitors (promote the best 4),
    # rungs 1 and 2 have 4 (promote the best one); 0.5 wins all three.
    assert not ASHA.prune(history, running(15, {0: 0.5, 17: 0.5}))
    # 1.5 is 4th best at rung 0, but loses rung 1 to trials 0..2.
    assert ASHA.prune(history, running(15, {0: 0.5, 17: 1.5}))


def test_competitors_are_complete_pruned_and_running_trials_not_failed() -> None:
    trials = [
        make_trial(0, {1: 1.0}, TrialState.COMPLETE),
        make_trial(1, {1: 2.0}, TrialState.PRUNED),
        make_trial(2, {1: 3.0}, TrialState.RUNNING),
        make_trial(3, {1: -100.0}, TrialState.FAIL),
        make_trial(4, {}, TrialState.WAITING),
    ]
    history = make_history(trials)
    # 4 competitors (0, 1, 2 and itself): promoted iff best (4 // 4 = 1).
    assert not ASHA.prune(history, running(5, {1: 0.5}))
    assert ASHA.prune(history, running(5, {1: 1.5}))


def test_fewer_competitors_than_reduction_factor_needs_the_best_value() -> None:
    assert not ASHA.prune(make_history([]), running(0, {1: 100.0}))  # alone: promoted
    history = make_history([make_trial(0, {1: 1.0})])
    assert not ASHA.prune(history, running(1, {1: 1.0}))  # ties are promoted
    assert ASHA.prune(history, running(1, {1: 1.01}))


def test_trial_is_judged_on_its_own_reports_not_its_stale_copy() -> None:
    stale = running(1, {0: 0.0, 1: -100.0})
    history = make_history([make_trial(0, {1: 1.0}), stale])
    assert ASHA.prune(history, running(1, {0: 0.0, 1: 2.0}))


def test_competitor_rung_value_is_its_first_report_at_or_after_the_rung() -> None:
    # Trial 0 reports every 3 steps: its rung-0 (step 1) value is the one at step 3.
    history = make_history([make_trial(0, {0: 100.0, 3: 1.0, 6: 100.0})])
    assert not ASHA.prune(history, running(1, {0: 0.0, 1: 0.9}))
    assert ASHA.prune(history, running(1, {0: 0.0, 1: 1.1}))


def test_nan_values() -> None:
    history = make_history([make_trial(0, {1: math.nan})])
    assert ASHA.prune(history, running(1, {1: math.nan}))
    assert not ASHA.prune(history, running(1, {1: 1e300}))  # a NaN competitor ranks last


def test_min_early_stopping_rate_delays_the_first_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, min_early_stopping_rate=1)
    history = make_history([make_trial(0, dict.fromkeys(range(10), 0.0))])  # first rung: 6
    bad = dict.fromkeys(range(6), 100.0)
    assert not pruner.prune(history, running(1, bad))
    assert pruner.prune(history, running(1, {**bad, 6: 100.0}))


def test_bootstrap_count_prunes_while_the_rung_is_thin() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, bootstrap_count=2)
    assert pruner.prune(make_history([]), running(0, {1: 0.0}))
    assert pruner.prune(make_history([make_trial(0, {1: 5.0})]), running(1, {1: 0.0}))
    thick = make_history([make_trial(0, {1: 5.0}), make_trial(1, {1: 6.0})])
    assert not pruner.prune(thick, running(2, {1: 0.0}))


def test_auto_min_resource_waits_for_a_completed_trial() -> None:
    pruner = SuccessiveHalvingPruner()  # min_resource="auto"
    bad = dict.fromkeys(range(5), 100.0)
    no_completed = make_history([make_trial(0, dict.fromkeys(range(500), 0.0), TrialState.PRUNED)])
    assert not pruner.prune(no_completed, running(1, bad))
    # First completed trial ran 400 steps (last step 399): min_resource = 399 // 100 = 3.
    completed = make_history([make_trial(0, dict.fromkeys(range(400), 0.0))])
    assert not pruner.prune(completed, running(1, {0: 100.0, 1: 100.0, 2: 100.0}))
    assert pruner.prune(completed, running(1, {0: 100.0, 1: 100.0, 2: 100.0, 3: 100.0}))


def test_auto_min_resource_comes_from_the_earliest_completed_trial() -> None:
    t0 = datetime.datetime(2024, 1, 1)
    late_long = dataclasses.replace(
        make_trial(0, dict.fromkeys(range(1000), 0.0)),
        datetime_complete=t0 + datetime.timedelta(hours=1),
    )
    early_short = dataclasses.replace(  # min_resource 199 // 100 = 1
        make_trial(1, dict.fromkeys(range(200), 0.0)), datetime_complete=t0
    )
    history = make_history([late_long, early_short])
    assert SuccessiveHalvingPruner().prune(history, running(2, {0: 9.0, 1: 9.0}))


def test_decision_does_not_depend_on_history_order() -> None:
    trials = [
        make_trial(i, {1: float(v)}) for i, v in enumerate(random.Random(0).sample(range(50), 50))
    ]
    shuffled = trials[:]
    random.Random(1).shuffle(shuffled)
    for value in (5.5, 11.5, 12.5, 40.0):
        candidate = running(50, {1: value})
        assert ASHA.prune(make_history(trials), candidate) == ASHA.prune(
            make_history(shuffled), candidate
        )


def test_multi_objective_is_rejected() -> None:
    history = TrialHistory((StudyDirection.MINIMIZE, StudyDirection.MINIMIZE), [])
    with pytest.raises(InvalidInputError, match="multi-objective"):
        ASHA.prune(history, running(0, {1: 1.0}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_resource": 0}, "min_resource"),
        ({"min_resource": "fast"}, "min_resource"),
        ({"reduction_factor": 1}, "reduction_factor"),
        ({"min_early_stopping_rate": -1}, "min_early_stopping_rate"),
        ({"bootstrap_count": -1}, "bootstrap_count"),
        ({"bootstrap_count": 1}, "min_resource"),  # needs an integer min_resource
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        SuccessiveHalvingPruner(**kwargs)  # type: ignore[arg-type]


def simulate_learning_curves(
    seed: int, n_trials: int = 40, n_steps: int = 64
) -> tuple[list[FrozenTrial], np.ndarray]:
    """Run ``n_trials`` learning curves 4 at a time, one step each in turn.

    Trial ``i`` reports ``q_i + c_i / (t + 1)`` at step ``t`` (lower is better) and asks the
    pruner after every report, as workers sharing one store would. Returns the trials and the
    qualities ``q``.
    """
    rng = np.random.default_rng(seed)
    quality = rng.uniform(0.0, 1.0, n_trials)
    slope = rng.uniform(0.5, 2.0, n_trials)
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)
    trials: list[FrozenTrial] = []
    history = TrialHistory((StudyDirection.MINIMIZE,), trials)
    in_flight: list[int] = []  # numbers; trials[number] is replaced, as a store would
    while in_flight or len(trials) < n_trials:
        while len(in_flight) < 4 and len(trials) < n_trials:
            in_flight.append(len(trials))
            trials.append(running(len(trials), {}))
        for number in list(in_flight):
            trial = trials[number]
            step = len(trial.intermediate_values)
            value = float(quality[number] + slope[number] / (step + 1))
            trial = trials[number] = dataclasses.replace(
                trial, intermediate_values={**trial.intermediate_values, step: value}
            )
            if pruner.prune(history, trial):
                trials[number] = dataclasses.replace(trial, state=TrialState.PRUNED)
                in_flight.remove(number)
            elif step == n_steps - 1:
                trials[number] = dataclasses.replace(
                    trial, state=TrialState.COMPLETE, values=[value]
                )
                in_flight.remove(number)
    return trials, quality


@pytest.mark.parametrize("seed", [0, 7])
def test_simulation_prunes_most_trials_and_keeps_a_top_one(seed: int) -> None:
    trials, quality = simulate_learning_curves(seed)
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    n_pruned = sum(t.state == TrialState.PRUNED for t in trials)
    assert n_pruned > len(trials) / 2
    completed = [t for t in trials if t.state == TrialState.COMPLETE]
    best = min(completed, key=lambda t: t.values[0] if t.values else math.inf)
    rank_by_quality = int(np.sum(quality < quality[best.number]))
    assert rank_by_quality < 5
