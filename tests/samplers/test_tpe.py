"""Tests for TPESampler on hand-built histories: bounds, seeding, quality, constant liar."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.exceptions import ConfigError, InvalidInputError
from hpo_queue.samplers import BaseSampler, RandomSampler, TPESampler, sampler_from_config
from hpo_queue.samplers._tpe import _columns, _sampler
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

MIN = (StudyDirection.MINIMIZE,)
X = FloatDistribution(-10.0, 10.0)


def _complete(
    number: int, params: dict[str, Any], dists: dict[str, BaseDistribution], value: float
) -> FrozenTrial:
    return FrozenTrial(
        number=number,
        state=TrialState.COMPLETE,
        values=[value],
        params=dict(params),
        distributions=dict(dists),
    )


def _suggest(
    sampler: BaseSampler,
    trials: list[FrozenTrial],
    space: dict[str, BaseDistribution],
    directions: tuple[StudyDirection, ...] = MIN,
) -> dict[str, Any]:
    """Ask like the study does: relative params first, then the rest one by one."""
    trial = FrozenTrial(number=len(trials), state=TrialState.RUNNING)
    history = TrialHistory(directions, [*trials, trial])
    relative_space = sampler.infer_relative_search_space(history, trial)
    params = sampler.sample_relative(
        history, trial, {k: v for k, v in relative_space.items() if k in space}
    )
    for name, dist in space.items():
        if name not in params:
            params[name] = sampler.sample_independent(history, trial, name, dist)
    return params


def _optimize(
    sampler: BaseSampler, func: Any, space: dict[str, BaseDistribution], n: int
) -> list[FrozenTrial]:
    trials: list[FrozenTrial] = []
    for _ in range(n):
        params = _suggest(sampler, trials, space)
        trials.append(_complete(len(trials), params, space, func(params)))
    return trials


def _quadratic(p: dict[str, Any]) -> float:
    return float((p["x"] - 3.0) ** 2 + (p["y"] + 1.0) ** 2)


QUAD_SPACE: dict[str, BaseDistribution] = {"x": X, "y": X}


def test_beats_random_on_quadratic() -> None:
    tpe_best, random_best = [], []
    for seed in range(5):
        tpe = _optimize(TPESampler(seed=seed), _quadratic, QUAD_SPACE, 60)
        rnd = _optimize(RandomSampler(seed=seed), _quadratic, QUAD_SPACE, 60)
        tpe_best.append(min(t.values[0] for t in tpe if t.values))
        random_best.append(min(t.values[0] for t in rnd if t.values))
    assert np.median(tpe_best) < 0.5 * np.median(random_best)
    assert sum(a < b for a, b in zip(tpe_best, random_best, strict=True)) >= 4


MIXED_SPACE: dict[str, BaseDistribution] = {
    "f": FloatDistribution(-1.0, 2.0),
    "lf": FloatDistribution(1e-3, 10.0, log=True),
    "sf": FloatDistribution(0.0, 1.0, step=0.25),
    "i": IntDistribution(-5, 5),
    "li": IntDistribution(1, 512, log=True),
    "si": IntDistribution(0, 30, step=3),
    "c": CategoricalDistribution(["a", "b", 3, None]),
}


def _mixed_loss(p: dict[str, Any]) -> float:
    return (
        p["f"] ** 2
        + np.log10(p["lf"]) ** 2
        + p["sf"]
        + abs(p["i"])
        + np.log2(p["li"])
        + p["si"] / 10
        + (0.0 if p["c"] == "b" else 1.0)
    )


def test_values_inside_every_kind_of_distribution() -> None:
    trials = _optimize(TPESampler(seed=0, n_startup_trials=5), _mixed_loss, MIXED_SPACE, 40)
    for trial in trials:
        for name, dist in MIXED_SPACE.items():
            value = trial.params[name]
            if isinstance(dist, CategoricalDistribution):
                assert value in dist.choices
                continue
            assert type(value) is (int if isinstance(dist, IntDistribution) else float)
            assert dist.contains(float(value)), (name, value)


def test_categorical_exploitation() -> None:
    space: dict[str, BaseDistribution] = {
        "c": CategoricalDistribution(["a", "b", 3, None]),
        "x": FloatDistribution(0.0, 1.0),
    }

    def loss(p: dict[str, Any]) -> float:
        return (0.0 if p["c"] == "b" else 1.0) + p["x"]

    late = []
    for seed in range(3):
        trials = _optimize(TPESampler(seed=seed, n_startup_trials=5), loss, space, 40)
        late += [t.params["c"] for t in trials[20:]]
    assert late.count("b") > len(late) / 2


def test_same_seed_and_trial_number_reproduce() -> None:
    history = _optimize(TPESampler(seed=1), _quadratic, QUAD_SPACE, 15)
    a = _suggest(TPESampler(seed=4), history, QUAD_SPACE)
    b = _suggest(TPESampler(seed=4), history, QUAD_SPACE)
    assert a == b
    # A different trial number gets a different stream.
    shifted = [*history, FrozenTrial(number=15, state=TrialState.FAIL)]
    assert _suggest(TPESampler(seed=4), shifted, QUAD_SPACE) != a


def test_maximize_direction() -> None:
    space: dict[str, BaseDistribution] = {"x": X}
    rng = np.random.default_rng(0)
    trials = [
        _complete(i, {"x": float(x)}, space, float(x))
        for i, x in enumerate(rng.uniform(-10, 10, 30))
    ]
    max_dirs = (StudyDirection.MAXIMIZE,)
    up = [_suggest(TPESampler(seed=s), trials, space, max_dirs)["x"] for s in range(20)]
    down = [_suggest(TPESampler(seed=s), trials, space, MIN)["x"] for s in range(20)]
    assert np.median(up) > 5.0
    assert np.median(down) < -5.0


def test_constant_liar_moves_away_from_running_point() -> None:
    space: dict[str, BaseDistribution] = {"x": X}
    xs = np.linspace(-10, 10, 21)
    # A sharp optimum at x = 2: the good group sits there.
    trials = [_complete(i, {"x": float(x)}, space, abs(float(x) - 2.0)) for i, x in enumerate(xs)]
    running = [
        FrozenTrial(
            number=len(trials) + k,
            state=TrialState.RUNNING,
            params={"x": 2.0 + 0.01 * k},
            distributions=dict(space),
        )
        for k in range(8)
    ]

    def distance(with_running: bool, liar: bool) -> float:
        history = trials + (running if with_running else [])
        out = [
            abs(_suggest(TPESampler(seed=s, constant_liar=liar), history, space)["x"] - 2.0)
            for s in range(20)
        ]
        return float(np.median(out))

    assert distance(True, True) > 2 * distance(False, True)
    # Without the liar the running trials are ignored.
    assert distance(True, False) == pytest.approx(distance(False, False), rel=0.5)


def test_conditional_space() -> None:
    """Define-by-run: params present in only some trials are sampled independently."""
    kind = CategoricalDistribution(["linear", "tree"])
    alpha = FloatDistribution(1e-4, 1.0, log=True)
    depth = IntDistribution(1, 12)
    sampler = TPESampler(seed=0, n_startup_trials=5)
    trials: list[FrozenTrial] = []
    for _ in range(40):
        params = _suggest(sampler, trials, {"kind": kind})
        space: dict[str, BaseDistribution] = {"kind": kind}
        if params["kind"] == "linear":
            space["alpha"] = alpha
        else:
            space["depth"] = depth
        params = {
            **params,
            **_suggest(sampler, trials, {k: v for k, v in space.items() if k != "kind"}),
        }
        loss = abs(np.log10(params["alpha"]) + 2) if "alpha" in params else params["depth"] / 3
        trials.append(_complete(len(trials), params, space, float(loss)))
    history = TrialHistory(MIN, trials)
    assert set(
        sampler.infer_relative_search_space(history, FrozenTrial(99, TrialState.RUNNING))
    ) == {"kind"}
    for t in trials:
        assert ("alpha" in t.params) != ("depth" in t.params)
        if "alpha" in t.params:
            assert alpha.contains(t.params["alpha"])
        else:
            assert depth.contains(float(t.params["depth"]))


def test_pruned_failed_and_running_trials_in_the_split() -> None:
    space: dict[str, BaseDistribution] = {"x": X}
    trials: list[FrozenTrial] = []
    for i in range(30):
        x = float(i) / 3 - 5
        if i % 3 == 0:
            trials.append(_complete(i, {"x": x}, space, 100.0 + i))
            continue
        pruned = i % 3 == 1
        trials.append(
            FrozenTrial(
                number=i,
                state=TrialState.PRUNED if pruned else TrialState.FAIL,
                params={"x": x},
                distributions=dict(space),
                # Trials 19, 22, 25, 28 reached step 3; earlier ones were stopped at step 1.
                intermediate_values={s: float(-i) for s in range(4 if i > 18 else 2)},
            )
        )
    trials.append(FrozenTrial(number=30, state=TrialState.RUNNING, params={"x": 0.0}))
    current = FrozenTrial(number=31, state=TrialState.RUNNING)
    history = TrialHistory(MIN, [*trials, current])
    sampler = TPESampler(seed=0, gamma=0.3)
    below, above = sampler._split_trials(history, current)
    # 20 finished (10 complete + 10 pruned) -> 6 good. COMPLETE trials rank before PRUNED
    # ones, even with bad values.
    assert len(below) == 6
    assert {t.number for t in below} == {0, 3, 6, 9, 12, 15}
    assert all(t.state != TrialState.FAIL for t in below + above)
    assert trials[-1] in above and current not in above
    # With fewer complete trials, the pruned ones that got furthest fill the good group.
    no_complete = [t for t in trials if t.state != TrialState.COMPLETE]
    history = TrialHistory(MIN, [*no_complete, current])
    below, _ = sampler._split_trials(history, current)
    assert {t.number for t in below} == {28, 25, 22}


def test_multi_objective_fallback() -> None:
    space: dict[str, BaseDistribution] = {"x": FloatDistribution(0.0, 1.0)}
    dirs = (StudyDirection.MINIMIZE, StudyDirection.MINIMIZE)
    rng = np.random.default_rng(0)
    trials = []
    for i, x in enumerate(rng.uniform(0, 1, 30)):
        trial = _complete(i, {"x": float(x)}, space, 0.0)
        trials.append(dataclasses.replace(trial, values=[float(x), float((x - 0.5) ** 2)]))
    sampler = TPESampler(seed=0)
    assert sampler.infer_relative_search_space(TrialHistory(dirs, trials), trials[0]) == {}
    picks = [_suggest(TPESampler(seed=s), trials, space, dirs)["x"] for s in range(20)]
    # The Pareto front is x in [0, 0.5].
    assert np.mean(np.array(picks) <= 0.55) > 0.7


def test_large_history_is_read_once_and_g_is_fitted_to_a_capped_subset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why a suggestion stays cheap at 5,000 trials, counted rather than timed.

    benchmarks/tpe_speed.py times it (BENCHMARKS.md, "TPE speed"); here: each parameter of a
    finished trial is converted once, a later suggestion converts only the trials finished
    since, and g(x) is fitted to at most ``max_bad_trials`` bad trials.
    """
    space: dict[str, BaseDistribution] = {
        "a": FloatDistribution(0.0, 1.0),
        "b": FloatDistribution(1e-3, 1.0, log=True),
        "c": IntDistribution(0, 100),
        "d": FloatDistribution(0.0, 1.0, step=0.01),
        "e": CategoricalDistribution(["x", "y", "z"]),
    }
    rng = np.random.default_rng(0)
    trials = []
    for i in range(5000):
        params = {
            "a": float(rng.random()),
            "b": float(10 ** rng.uniform(-3, 0)),
            "c": int(rng.integers(101)),
            "d": round(float(rng.integers(101)) / 100, 2),
            "e": ["x", "y", "z"][int(rng.integers(3))],
        }
        trials.append(_complete(i, params, space, float(rng.random())))
    converted: list[int] = []  # trials per parameter-column conversion
    real_param_column = _columns._param_column

    def counting_param_column(
        rows: list[FrozenTrial], name: str, distribution: BaseDistribution
    ) -> list[float]:
        converted.append(len(rows))
        return real_param_column(rows, name, distribution)

    fitted: list[int] = []  # observations per Parzen estimator (g's are the large ones)
    real_estimator = _sampler.ParzenPair

    def counting_estimator(*args: Any) -> Any:
        fitted.extend((len(args[3]), len(args[4])))  # the weights: one per observation
        return real_estimator(*args)

    monkeypatch.setattr(_columns, "_param_column", counting_param_column)
    monkeypatch.setattr(_sampler, "ParzenPair", counting_estimator)
    sampler = TPESampler(seed=0)
    assert sampler.max_bad_trials == 500
    params = _suggest(sampler, trials, space)
    assert set(params) == set(space)
    assert sum(converted) == len(space) * len(trials)
    assert fitted and max(fitted) <= 500
    for _ in range(3):
        converted.clear()
        fitted.clear()
        trials.append(_complete(len(trials), params, space, 0.5))
        params = _suggest(sampler, trials, space)
        assert set(params) == set(space)
        assert sum(converted) <= len(space)  # the one new trial, not the 5,000 before it
        assert fitted and max(fitted) <= 500


def test_config_round_trip() -> None:
    sampler = TPESampler(
        seed=3,
        n_startup_trials=4,
        gamma=0.2,
        constant_liar=False,
        running_weight=0.5,
        n_local_candidates=2,
    )
    config = sampler.to_config()
    assert config["running_weight"] == 0.5 and config["n_local_candidates"] == 2
    assert config["name"] == "TPESampler"
    rebuilt = sampler_from_config(config)
    assert isinstance(rebuilt, TPESampler)
    assert rebuilt.to_config() == config
    history = _optimize(TPESampler(seed=1), _quadratic, QUAD_SPACE, 12)
    assert _suggest(rebuilt, history, QUAD_SPACE) == _suggest(sampler, history, QUAD_SPACE)
    assert isinstance(sampler_from_config({"name": "tpe"}), TPESampler)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seed": -1},
        {"seed": 2.0},
        {"n_startup_trials": -1},
        {"n_ei_candidates": 0},
        {"prior_weight": 0.0},
        {"gamma": 1.5},
        {"multivariate": "yes"},
        {"running_weight": 0.0},
        {"running_weight": 1.5},
        {"n_local_candidates": -1},
    ],
)
def test_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        TPESampler(**kwargs)


def test_unknown_config() -> None:
    with pytest.raises(ConfigError):
        sampler_from_config({"name": "TPESampler", "bogus": 1})


def _async_history(seed: int, n: int) -> list[FrozenTrial]:
    """Trials finishing out of order, with pruned, failed, infeasible and conditional ones."""
    rng = np.random.default_rng(seed)
    trials: list[FrozenTrial] = []
    for i in range(n):
        params: dict[str, Any] = {"x": float(rng.uniform(-10, 10)), "k": int(rng.integers(1, 9))}
        dists: dict[str, BaseDistribution] = {"x": X, "k": IntDistribution(1, 8)}
        if rng.random() < 0.5:
            params["c"] = ["a", "b"][int(rng.integers(2))]
            dists["c"] = CategoricalDistribution(["a", "b"])
        roll = rng.random()
        state = (
            TrialState.PRUNED if roll < 0.1 else TrialState.FAIL if roll < 0.15 else None
        ) or TrialState.COMPLETE
        trial = FrozenTrial(number=i, state=state, params=params, distributions=dists)
        if state == TrialState.COMPLETE:
            trial = dataclasses.replace(
                trial,
                values=[params["x"] ** 2 + params["k"]],
                constraints=[float(params["x"] - 5.0)],
            )
        elif state == TrialState.PRUNED:
            trial = dataclasses.replace(
                trial, intermediate_values={0: float(rng.random()), 1: float(rng.random())}
            )
        trials.append(trial)
    return trials


def test_caches_give_the_results_of_a_fresh_sampler() -> None:
    # One long-lived sampler (caches warm, updated incrementally, two studies interleaved)
    # must suggest exactly what a fresh sampler suggests from scratch on the same history.
    space: dict[str, BaseDistribution] = {"x": X, "k": IntDistribution(1, 8)}
    studies = [_async_history(1, 60), _async_history(2, 45)]
    warm = TPESampler(seed=3)
    rng = np.random.default_rng(0)
    for step in range(40):
        for study in studies:
            # Reveal trials in a shuffled order, so they finish out of number order.
            visible = [t for t in study if t.number < 20 + step]
            hidden = rng.choice(len(visible), size=min(6, len(visible)), replace=False)
            shown = [
                t
                if i not in hidden
                else FrozenTrial(number=t.number, state=TrialState.RUNNING, params=t.params)
                for i, t in enumerate(visible)
            ]
            expected = _suggest(TPESampler(seed=3), shown, space)
            assert _suggest(warm, shown, space) == expected
            # The same sampler on a different copy of the history (new objects) agrees too.
            copies = [copy.deepcopy(t) for t in shown]
            assert _suggest(warm, copies, space) == expected


def test_concurrent_suggestions_match_sequential_ones() -> None:
    space: dict[str, BaseDistribution] = {"x": X, "k": IntDistribution(1, 8)}
    histories = [_async_history(seed, 80 + seed) for seed in range(8)]
    expected = [_suggest(TPESampler(seed=5), h, space) for h in histories]
    shared = TPESampler(seed=5)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda h: _suggest(shared, h, space), histories * 3))
    assert results == expected * 3


def test_sampler_pickles_without_its_caches() -> None:
    sampler = TPESampler(seed=1)
    trials = _async_history(0, 30)
    space: dict[str, BaseDistribution] = {"x": X, "k": IntDistribution(1, 8)}
    before = _suggest(sampler, trials, space)
    restored = pickle.loads(pickle.dumps(sampler))
    assert _suggest(restored, trials, space) == before


def test_infeasible_trials_rank_below_feasible_ones() -> None:
    space: dict[str, BaseDistribution] = {"x": X}
    trials = []
    for i in range(40):
        trial = _complete(i, {"x": i / 4 - 5}, space, float(i))
        # The ten best values (trials 0-9) violate a constraint.
        constraints = [1.0 + i] if i < 10 else [-1.0, 0.0]
        trials.append(dataclasses.replace(trial, constraints=constraints))
    current = FrozenTrial(number=40, state=TrialState.RUNNING)
    sampler = TPESampler(seed=0, gamma=0.1)
    below, above = sampler._split_trials(TrialHistory(MIN, [*trials, current]), current)
    assert [t.number for t in below] == [10, 11, 12, 13]
    assert {t.number for t in above} == set(range(40)) - {10, 11, 12, 13}
    # Too few feasible trials: the least violating infeasible ones fill the good group.
    few = trials[:12]
    below, _ = TPESampler(seed=0, gamma=0.5)._split_trials(TrialHistory(MIN, few), current)
    assert [t.number for t in below] == [0, 1, 2, 3, 10, 11]


def test_steers_away_from_infeasible_region() -> None:
    # The unconstrained optimum x = 3 is infeasible (x must be <= 0): with the constraint
    # known, far more late suggestions should land in the feasible half than without it.
    space: dict[str, BaseDistribution] = {"x": X}

    def late_feasible(constrained: bool) -> int:
        sampler = TPESampler(seed=0)
        trials: list[FrozenTrial] = []
        for i in range(60):
            x = _suggest(sampler, trials, space)["x"]
            trial = _complete(i, {"x": x}, space, (x - 3.0) ** 2)
            trials.append(dataclasses.replace(trial, constraints=[x] if constrained else None))
        return sum(t.params["x"] <= 0.0 for t in trials[30:])

    assert late_feasible(True) >= 15
    assert late_feasible(False) <= 6


def test_local_candidates_refine_the_incumbent() -> None:
    # A narrow optimum: local steps around the best trial find it faster than l(x) alone,
    # and with both hpo-queue defaults off the sampler still works (Optuna's behaviour).
    space = {"x": FloatDistribution(-10, 10), "y": FloatDistribution(-10, 10)}

    def loss(p: dict[str, Any]) -> float:
        return (p["x"] - 1.234) ** 2 + (p["y"] + 2.5) ** 2

    def best(**kwargs: Any) -> float:
        values = []
        for seed in range(6):
            trials = _optimize(TPESampler(seed=seed, n_startup_trials=5, **kwargs), loss, space, 40)
            values.append(min(t.values[0] for t in trials if t.values))
        return float(np.median(values))

    assert best() < best(n_local_candidates=0, running_weight=1.0) * 2
    assert best() < 0.5


def test_finished_log_gives_the_results_of_a_full_scan() -> None:
    # A store's append-only log (trials in the order they finished, FAIL ones included)
    # lets the sampler read only what is new; it must change nothing.
    space: dict[str, BaseDistribution] = {"x": X, "k": IntDistribution(1, 8)}
    study = _async_history(5, 80)
    order = np.random.default_rng(1).permutation(len(study))
    log: list[FrozenTrial] = []
    warm = TPESampler(seed=4)
    for count in range(25, len(study), 5):
        finished = [study[i] for i in order[:count]]
        log.extend(t for t in finished if t not in log)
        running = [
            FrozenTrial(number=t.number, state=TrialState.RUNNING, params=t.params)
            for t in study
            if t not in finished
        ][:6]
        trials = sorted([*finished, *running], key=lambda t: t.number)
        asking = FrozenTrial(number=len(study) + count, state=TrialState.RUNNING)
        plain = TrialHistory(MIN, [*trials, asking])
        logged = TrialHistory(MIN, [*trials, asking], finished_log=log, unfinished=running)
        for sampler_history in (plain, logged):
            relative = warm.infer_relative_search_space(sampler_history, asking)
            assert relative == TPESampler().infer_relative_search_space(plain, asking)
        fresh = TPESampler(seed=4).sample_relative(plain, asking, space)
        assert warm.sample_relative(logged, asking, space) == fresh


def test_bad_trial_cap_changes_nothing_below_it_and_bounds_the_fit_above() -> None:
    space: dict[str, BaseDistribution] = {"x": X, "k": IntDistribution(1, 8)}
    small = [t for t in _async_history(7, 120) if t.state != TrialState.FAIL]
    uncapped = _suggest(TPESampler(seed=2, max_bad_trials=None), small, space)
    assert _suggest(TPESampler(seed=2, max_bad_trials=500), small, space) == uncapped

    large = _async_history(8, 400)
    capped = TPESampler(seed=2, max_bad_trials=40)
    first = _suggest(capped, large, space)
    assert first == _suggest(TPESampler(seed=2, max_bad_trials=40), large, space)  # seeded
    assert -10 <= first["x"] <= 10 and 1 <= first["k"] <= 8
    assert sampler_from_config(capped.to_config()).to_config()["max_bad_trials"] == 40
    with pytest.raises(InvalidInputError, match="max_bad_trials"):
        TPESampler(max_bad_trials=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_ei_candidates": 10**9},
        {"n_local_candidates": 10**9},
        {"n_startup_trials": 10**12},
        {"max_bad_trials": 10**12},
    ],
)
def test_size_arguments_are_bounded(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidInputError, match="must be an integer from"):
        TPESampler(**kwargs)
