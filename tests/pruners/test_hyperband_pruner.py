"""HyperbandPruner: bracket assignment and per-bracket ASHA on hand-made histories."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners import HyperbandPruner, SuccessiveHalvingPruner
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

EMPTY = TrialHistory((StudyDirection.MINIMIZE,), [])


def make_trial(
    number: int, reports: dict[int, float], state: TrialState = TrialState.COMPLETE
) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=dict(reports))


def running(number: int, reports: dict[int, float]) -> FrozenTrial:
    return make_trial(number, reports, TrialState.RUNNING)


def numbers_in_bracket(pruner: HyperbandPruner, bracket: int, count: int) -> list[int]:
    found = [n for n in range(1000) if pruner.bracket_of(EMPTY, n) == bracket]
    return found[:count]


def test_bracket_assignment_is_deterministic_and_weighted_by_budget() -> None:
    first = HyperbandPruner(min_resource=1, max_resource=81, reduction_factor=3)
    second = HyperbandPruner(min_resource=1, max_resource=81, reduction_factor=3)
    brackets = [first.bracket_of(EMPTY, n) for n in range(1430)]
    assert brackets == [second.bracket_of(EMPTY, n) for n in range(1430)]
    counts = Counter(brackets)
    assert set(counts) == {0, 1, 2, 3, 4}  # floor(log3(81)) + 1 brackets
    # Budgets 81, 34, 15, 8, 5 out of 143: the most aggressive bracket gets most trials.
    assert counts[0] > counts[1] > counts[2] > counts[4]
    assert 0.5 < counts[0] / len(brackets) < 0.65


def test_bracket_does_not_depend_on_the_rest_of_the_history() -> None:
    pruner = HyperbandPruner(max_resource=27)
    busy = TrialHistory(EMPTY.directions, [make_trial(n, {0: 1.0}) for n in range(50)])
    assert [pruner.bracket_of(EMPTY, n) for n in range(100)] == [
        pruner.bracket_of(busy, n) for n in range(100)
    ]


def test_auto_max_resource_waits_for_a_completed_trial() -> None:
    pruner = HyperbandPruner()  # max_resource="auto"
    assert pruner.bracket_of(EMPTY, 0) is None
    assert not pruner.prune(EMPTY, running(0, {0: 1e9, 1: 1e9}))
    # Earliest completed trial's last step is 8: max_resource 9, three brackets.
    history = TrialHistory(EMPTY.directions, [make_trial(0, dict.fromkeys(range(9), 0.0))])
    assert {pruner.bracket_of(history, n) for n in range(200)} == {0, 1, 2}


def test_single_bracket_when_max_resource_is_small() -> None:
    pruner = HyperbandPruner(min_resource=2, max_resource=5, reduction_factor=3)
    assert {pruner.bracket_of(EMPTY, n) for n in range(100)} == {0}


def test_trial_competes_only_within_its_bracket() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    candidate, *peers = numbers_in_bracket(pruner, 0, 3)
    strangers = numbers_in_bracket(pruner, 1, 3) + numbers_in_bracket(pruner, 2, 3)
    trials = [make_trial(n, {0: 10.0, 1: 10.0}, TrialState.PRUNED) for n in peers]
    trials += [make_trial(n, dict.fromkeys(range(9), 0.0)) for n in strangers]
    history = TrialHistory(EMPTY.directions, trials)
    # Against its 2 peers (3 competitors, eta 3) the candidate must be the best: it is.
    assert not pruner.prune(history, running(candidate, {0: 5.0, 1: 5.0}))
    assert pruner.prune(history, running(candidate, {0: 11.0, 1: 11.0}))
    # A plain ASHA over the whole history would prune it: strangers are much better.
    asha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert asha.prune(history, running(candidate, {0: 5.0, 1: 5.0}))


def test_later_brackets_start_pruning_later() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    candidate, peer = numbers_in_bracket(pruner, 2, 2)  # bracket 2: first rung at 9
    history = TrialHistory(EMPTY.directions, [make_trial(peer, dict.fromkeys(range(10), 0.0))])
    bad = dict.fromkeys(range(9), 100.0)
    for last in range(1, 9):
        assert not pruner.prune(history, running(candidate, {s: bad[s] for s in range(last + 1)}))
    assert pruner.prune(history, running(candidate, {**bad, 9: 100.0}))


def test_matches_successive_halving_on_the_bracket_sub_history() -> None:
    rng = np.random.default_rng(3)
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    states = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING]
    trials = [
        make_trial(
            n, {s: float(rng.normal()) for s in range(int(rng.integers(1, 28)))}, states[n % 3]
        )
        for n in range(120)
    ]
    history = TrialHistory((StudyDirection.MAXIMIZE,), trials)
    for number in range(120, 200):
        bracket = pruner.bracket_of(history, number)
        assert bracket is not None
        same = [t for t in trials if pruner.bracket_of(history, t.number) == bracket]
        sub_history = TrialHistory(history.directions, same)
        asha = SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3, min_early_stopping_rate=bracket
        )
        last = int(rng.integers(0, 27))
        candidate = running(number, {0: 0.0, last: float(rng.normal())})
        assert pruner.prune(history, candidate) == asha.prune(sub_history, candidate)


def test_multi_objective_is_rejected() -> None:
    history = TrialHistory((StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE), [])
    with pytest.raises(InvalidInputError, match="multi-objective"):
        HyperbandPruner(max_resource=9).prune(history, running(0, {1: 1.0}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_resource": 0}, "min_resource"),
        ({"max_resource": "big"}, "max_resource"),
        ({"min_resource": 10, "max_resource": 5}, "max_resource"),
        ({"reduction_factor": 1}, "reduction_factor"),
        ({"bootstrap_count": -1}, "bootstrap_count"),
        ({"bootstrap_count": 2}, "max_resource"),  # needs an integer max_resource
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        HyperbandPruner(**kwargs)  # type: ignore[arg-type]
