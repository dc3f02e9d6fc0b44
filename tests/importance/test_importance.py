"""Parameter importances: fANOVA, mean decrease impurity and the correlation ratio."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import hpo_queue as hq
from hpo_queue.exceptions import InvalidInputError, UnsupportedArgumentError
from hpo_queue.importance import (
    BaseImportanceEvaluator,
    CorrelationRatioImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)
from hpo_queue.importance._fanova import main_effect_shares
from hpo_queue.importance._forest import TreePartition, fit_tree

EVALUATORS: list[Callable[[], BaseImportanceEvaluator]] = [
    lambda: FanovaImportanceEvaluator(seed=0),
    lambda: MeanDecreaseImpurityImportanceEvaluator(seed=0),
    lambda: CorrelationRatioImportanceEvaluator(),
]


def dominated_study(seed: int, n_trials: int = 60) -> hq.Study:
    """x explains most of the variance; y a little; lr and c almost nothing."""

    def objective(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", -1, 1)
        y = trial.suggest_float("y", -1, 1)
        lr = trial.suggest_float("lr", 1e-4, 1, log=True)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return 10 * x**2 + 0.5 * y + 0.01 * math.log10(lr) + (0.01 if c == "a" else 0.0)

    study = hq.create_study(sampler=hq.samplers.RandomSampler(seed=seed))
    hq.logging.set_verbosity(hq.logging.WARNING)
    try:
        study.optimize(objective, n_trials=n_trials)
    finally:
        hq.logging.set_verbosity(hq.logging.INFO)
    return study


@pytest.mark.parametrize("make_evaluator", EVALUATORS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_dominant_parameter_has_the_largest_share(
    make_evaluator: Callable[[], BaseImportanceEvaluator], seed: int
) -> None:
    importances = get_param_importances(dominated_study(seed), evaluator=make_evaluator())
    assert set(importances) == {"x", "y", "lr", "c"}
    assert math.isclose(sum(importances.values()), 1.0)
    assert all(v >= 0 for v in importances.values())
    assert next(iter(importances)) == "x"
    assert importances["x"] > 0.6
    assert list(importances.values()) == sorted(importances.values(), reverse=True)


def test_fanova_is_the_default_and_recovers_additive_shares() -> None:
    # f = x + 3 y on the unit square: main effects only, variance shares 1/10 and 9/10.
    study = hq.create_study(sampler=hq.samplers.RandomSampler(seed=3))
    hq.logging.set_verbosity(hq.logging.WARNING)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + 3 * t.suggest_float("y", 0, 1), 200)
    hq.logging.set_verbosity(hq.logging.INFO)
    raw = get_param_importances(study, normalize=False)
    assert raw.keys() == {"x", "y"}
    assert 0.9 < sum(raw.values()) <= 1.0 + 1e-9  # no interaction: main effects explain nearly all
    shares = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=1))
    assert 0.8 < shares["y"] < 0.97
    assert math.isclose(shares["x"] + shares["y"], 1.0)


def test_a_tree_split_on_one_feature_gives_it_all_the_variance() -> None:
    tree = TreePartition(
        lows=np.array([[0.0, 0.0], [0.5, 0.0]]),
        highs=np.array([[0.5, 1.0], [1.0, 1.0]]),
        values=np.array([0.0, 1.0]),
        gains=np.zeros(2),
    )
    bounds = np.array([[0.0, 1.0], [0.0, 1.0]])
    assert main_effect_shares(tree, bounds).tolist() == [1.0, 0.0]


def test_an_interaction_is_no_main_effect() -> None:
    # XOR on the unit square: each marginal is flat, so neither parameter has a main effect.
    lows = np.array([[0, 0], [0.5, 0], [0, 0.5], [0.5, 0.5]], dtype=float)
    tree = TreePartition(lows, lows + 0.5, np.array([0.0, 1.0, 1.0, 0.0]), np.zeros(2))
    shares = main_effect_shares(tree, np.array([[0.0, 1.0], [0.0, 1.0]]))
    assert np.allclose(shares, 0.0)


def test_a_grown_tree_partitions_the_whole_box() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(40, 3))
    y = x[:, 0] * 2 + rng.normal(0, 0.1, 40)
    bounds = np.array([[0.0, 1.0]] * 3)
    tree = fit_tree(x, y, bounds, max_depth=64, rng=rng)
    assert math.isclose(float((tree.highs - tree.lows).prod(axis=1).sum()), 1.0)
    assert tree.gains[0] == tree.gains.max()


def test_params_and_target_choose_what_is_scored() -> None:
    study = hq.create_study(directions=["minimize", "minimize"])
    hq.logging.set_verbosity(hq.logging.WARNING)
    study.optimize(
        lambda t: (t.suggest_float("a", 0, 1), 5 * t.suggest_float("b", 0, 1)), n_trials=30
    )
    hq.logging.set_verbosity(hq.logging.INFO)
    with pytest.raises(InvalidInputError, match="target="):
        get_param_importances(study)
    first = get_param_importances(study, target=lambda t: t.values[0])
    second = get_param_importances(study, target=lambda t: t.values[1])
    assert next(iter(first)) == "a" and next(iter(second)) == "b"
    assert list(get_param_importances(study, params=["b"], target=lambda t: t.values[1])) == ["b"]
    with pytest.raises(InvalidInputError, match="nope"):
        get_param_importances(study, params=["nope"], target=lambda t: t.values[0])


def test_unsupported_evaluators_and_bad_arguments_are_named_errors() -> None:
    with pytest.raises(UnsupportedArgumentError, match="PedAnovaImportanceEvaluator"):
        PedAnovaImportanceEvaluator()
    with pytest.raises(InvalidInputError, match="n_trees"):
        FanovaImportanceEvaluator(n_trees=0)
    with pytest.raises(InvalidInputError, match="evaluator"):
        get_param_importances(hq.create_study(), evaluator="fanova")  # type: ignore[arg-type]


def test_a_study_without_completed_trials_has_no_importances() -> None:
    assert get_param_importances(hq.create_study()) == {}
