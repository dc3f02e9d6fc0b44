"""CmaEsSampler, QMCSampler, NSGAIISampler and AutoSampler on hand-made histories."""

from __future__ import annotations

import datetime
import math
from dataclasses import replace

import numpy as np
import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.exceptions import InvalidInputError, MultiObjectiveError
from hpo_queue.samplers import (
    AutoSampler,
    BaseSampler,
    CmaEsSampler,
    NSGAIISampler,
    QMCSampler,
    sampler_from_config,
)
from hpo_queue.samplers._nsga2 import rank_and_crowding
from hpo_queue.samplers._qmc import qmc_point
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.trial._history import TrialHistory

MIN = (StudyDirection.MINIMIZE,)
TWO = (StudyDirection.MINIMIZE, StudyDirection.MINIMIZE)
FLOATS: dict[str, BaseDistribution] = {f"x{i}": FloatDistribution(-3.0, 3.0) for i in range(3)}
EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _trials(
    space: dict[str, BaseDistribution], n: int, directions: tuple[StudyDirection, ...] = MIN
) -> list[FrozenTrial]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        params = {}
        for name, dist in space.items():
            if isinstance(dist, CategoricalDistribution):
                params[name] = dist.choices[int(rng.integers(len(dist.choices)))]
            elif isinstance(dist, IntDistribution):
                params[name] = int(rng.integers(dist.low, dist.high + 1))
            else:
                params[name] = float(rng.uniform(dist.low, dist.high))
        numeric = [float(v) for v in params.values() if isinstance(v, (int, float))]
        value = sum(v * v for v in numeric)
        values = [value] if len(directions) == 1 else [value, sum((v - 1) ** 2 for v in numeric)]
        out.append(
            FrozenTrial(
                number=i,
                state=TrialState.COMPLETE,
                params=params,
                distributions=dict(space),
                values=values,
                datetime_complete=EPOCH + datetime.timedelta(seconds=i),
            )
        )
    return out


def _suggest(
    sampler: BaseSampler, trials: list[FrozenTrial], directions: tuple[StudyDirection, ...] = MIN
) -> dict[str, object]:
    history = TrialHistory(directions, trials)
    trial = FrozenTrial(number=len(trials), state=TrialState.RUNNING)
    space = sampler.infer_relative_search_space(history, trial)
    params = sampler.sample_relative(history, trial, space) if space else {}
    for name, dist in (trials[0].distributions if trials else {}).items():
        if name not in params:
            params[name] = sampler.sample_independent(history, trial, name, dist)
    return params


SAMPLERS = [
    lambda: CmaEsSampler(seed=3, x0={"x0": 1.0}, sigma0=0.2, restart_strategy="ipop"),
    lambda: QMCSampler(seed=3, qmc_type="halton", scramble=True),
    lambda: NSGAIISampler(seed=3, population_size=10, crossover="sbx", mutation_prob=0.2),
    lambda: AutoSampler(seed=3, n_startup_trials=5),
]


@pytest.mark.parametrize("make", SAMPLERS)
def test_config_round_trip_and_reproducible_suggestions(make: object) -> None:
    sampler = make()  # type: ignore[operator]
    rebuilt = sampler_from_config(sampler.to_config())
    assert type(rebuilt) is type(sampler)
    assert rebuilt.to_config() == sampler.to_config()
    trials = _trials(FLOATS, 30)
    first = _suggest(sampler, trials)
    assert first == _suggest(rebuilt, trials)
    assert set(first) == set(FLOATS)
    for name, dist in FLOATS.items():
        dist.validate_value(first[name])


def test_cmaes_uses_every_finished_trial_and_late_results() -> None:
    trials = _trials(FLOATS, 24)
    sampler = CmaEsSampler(seed=0, popsize=6)
    base = _suggest(sampler, trials)
    # An old trial finishing late (it completes last) changes the replayed distribution.
    late = replace(trials[2], datetime_complete=EPOCH + datetime.timedelta(days=1))
    moved = _suggest(sampler, [*trials[:2], late, *trials[3:]])
    assert moved != base
    # One more finished trial, short of a full generation, still counts once its generation fills.
    assert _suggest(sampler, trials[:23]) != base or _suggest(sampler, trials[:18]) != base


def test_cmaes_converges_on_a_sphere() -> None:
    trials: list[FrozenTrial] = []
    sampler = CmaEsSampler(seed=1)
    for i in range(150):
        params = _suggest(sampler, trials) if trials else {n: 2.5 for n in FLOATS}
        value = sum(float(v) ** 2 for v in params.values())  # type: ignore[arg-type]
        trials.append(
            FrozenTrial(
                number=i,
                state=TrialState.COMPLETE,
                params=params,
                distributions=dict(FLOATS),
                values=[value],
                datetime_complete=EPOCH + datetime.timedelta(seconds=i),
            )
        )
    assert min(t.values[0] for t in trials if t.values) < 0.05


def test_cmaes_warm_start_from_source_trials_keeps_them_in_the_config() -> None:
    source = _trials(FLOATS, 20)
    sampler = CmaEsSampler(seed=0, source_trials=source)
    config = sampler.to_config()
    assert len(config["source_trials"]) == 20
    assert sampler_from_config(config).to_config() == config
    assert _suggest(sampler, _trials(FLOATS, 5)) != _suggest(
        CmaEsSampler(seed=0), _trials(FLOATS, 5)
    )


def test_qmc_points_are_the_sequence_indexed_by_trial_number() -> None:
    space = {"a": FloatDistribution(0.0, 1.0), "b": FloatDistribution(0.0, 1.0)}
    sampler = QMCSampler(qmc_type="sobol", scramble=False)
    first = FrozenTrial(0, TrialState.COMPLETE, params={"a": 0.3, "b": 0.4}, distributions=space)
    history = TrialHistory(MIN, [first])
    points = [
        sampler.sample_relative(history, FrozenTrial(n, TrialState.RUNNING), space)
        for n in range(1, 5)
    ]
    assert points[0] == {"a": 0.5, "b": 0.5}  # the unscrambled Sobol sequence's 2nd point
    assert len({(p["a"], p["b"]) for p in points}) == 4


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_qmc_points_from_kept_blocks_equal_a_fresh_engine(qmc_type: str) -> None:
    from scipy.stats import qmc

    for index in (0, 7, 255, 256, 700):  # within and across the blocks of 256
        engine = (qmc.Sobol if qmc_type == "sobol" else qmc.Halton)(3, scramble=True, rng=11)
        if index:
            engine.fast_forward(index)
        expected = engine.random(1)[0]
        point = qmc_point(qmc_type, 3, index, scramble=True, seed=11)
        np.testing.assert_array_equal(point, expected)
        point[0] = -1.0  # the caller's copy: the kept block is untouched
        assert qmc_point(qmc_type, 3, index, scramble=True, seed=11)[0] == expected[0]


def test_qmc_without_a_seed_draws_one_that_workers_share() -> None:
    sampler = QMCSampler(scramble=True)
    assert isinstance(sampler.seed, int)
    assert sampler_from_config(sampler.to_config()).seed == sampler.seed


def test_nsga2_rank_and_crowding() -> None:
    losses = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0], [0.2, 0.2]])
    violations = np.array([0.0, 0.0, 0.0, 0.0, 2.0])
    rank, crowding = rank_and_crowding(losses, violations)
    assert rank.tolist() == [0, 0, 0, 1, 2]  # the infeasible point ranks last
    assert math.isinf(crowding[0]) and math.isinf(crowding[1]) and math.isfinite(crowding[2])


def test_nsga2_children_come_from_the_shared_history_for_two_objectives() -> None:
    trials = _trials(FLOATS, 30, TWO)
    sampler = NSGAIISampler(seed=0, population_size=10)
    child = _suggest(sampler, trials, TWO)
    assert child == _suggest(NSGAIISampler(seed=0, population_size=10), trials, TWO)
    history = TrialHistory(TWO, trials)
    # Trials with no generation (another sampler's) are generation 0's parents.
    assert sampler.trial_system_attrs(history, FrozenTrial(30, TrialState.RUNNING)) == {
        "sampler_method": "nsga2",
        "NSGAIISampler:generation": 0,
    }


def test_auto_sampler_picks_the_method_for_the_study() -> None:
    auto = AutoSampler(seed=0)
    trial = FrozenTrial(number=998, state=TrialState.RUNNING)  # 999 would be a TPE turn

    def method(trials: list[FrozenTrial], directions: tuple[StudyDirection, ...] = MIN) -> str:
        return auto.select_method(TrialHistory(directions, trials), trial)

    assert method(_trials(FLOATS, 3)) == "qmc"
    assert method(_trials(FLOATS, 30)) == "gp"
    assert method(_trials(FLOATS, 450)) == "tpe"  # a long history
    wide = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(20)}
    assert method(_trials(wide, 30)) == "tpe"  # high-dimensional
    cats = {f"c{i}": CategoricalDistribution(["a", "b"]) for i in range(3)} | {
        "x": FloatDistribution(0, 1)
    }
    assert method(_trials(cats, 30)) == "tpe"  # categorical-heavy
    conditional = _trials(FLOATS, 30)
    conditional[5] = replace(
        conditional[5],
        params={"x0": 0.0, "y": 1.0},
        distributions={"x0": FLOATS["x0"], "y": FloatDistribution(0.0, 2.0)},
    )
    assert method(conditional) == "tpe"
    fixed = _trials(FLOATS, 30)  # a parameter with a single value is not a conditional one
    fixed[5] = replace(
        fixed[5],
        params={**fixed[5].params, "k": 1.0},
        distributions={**fixed[5].distributions, "k": FloatDistribution(1.0, 1.0)},
    )
    assert method(fixed) == "gp"
    assert method(_trials(FLOATS, 30, TWO), TWO) == "tpe"
    assert method(_trials(FLOATS, 600, TWO), TWO) == "nsga2"
    history = TrialHistory(MIN, _trials(FLOATS, 30))
    attrs = auto.trial_system_attrs(history, trial)
    assert attrs["sampler_method"] == "gp"
    assert attrs["GPSampler:hyperparameters"]["n"] == 30

    def turns_of(sampler: AutoSampler) -> list[str]:
        numbers = range(32, 40)
        return [sampler.select_method(history, FrozenTrial(n, TrialState.RUNNING)) for n in numbers]

    # In the GP phase every other trial by number goes to TPE (tpe_interval=2)...
    assert turns_of(auto) == ["gp", "tpe"] * 4
    # ... or every 4th with tpe_interval=4, and none with 0.

    assert turns_of(AutoSampler(tpe_interval=4)) == ["gp", "gp", "gp", "tpe"] * 2
    assert turns_of(AutoSampler(tpe_interval=0)) == ["gp"] * 8


def test_the_gp_share_halves_at_each_doubling_past_the_thinning_threshold() -> None:
    def turns_at(n_complete: int, **kwargs: int) -> str:
        sampler = AutoSampler(seed=0, gp_thinning_trials=40, **kwargs)
        history = TrialHistory(MIN, _trials(FLOATS, n_complete))
        numbers = range(n_complete, n_complete + 16)
        return "".join(
            sampler.select_method(history, FrozenTrial(n, TrialState.RUNNING))[0] for n in numbers
        )

    # By trial number, so every worker gives a trial the same method. Before the threshold
    # every other trial is a GP turn (odd numbers are TPE's); from it one in four, from twice
    # it one in eight.
    assert turns_at(38) == "gt" * 8
    assert turns_at(40) == "gttt" * 4 and turns_at(76) == "gttt" * 4
    assert turns_at(80) == "gttttttt" * 2
    # Without the interval the thinning counts every trial; with 3 it keeps TPE's places.
    assert turns_at(40, tpe_interval=0) == "gtgt" * 4
    assert turns_at(39, tpe_interval=3) == "ggtggtggtggtggtg"
    assert turns_at(42, tpe_interval=3) == "ggtttt" * 2 + "ggtt"  # whole blocks of three
    assert (
        AutoSampler(gp_thinning_trials=0).select_method(
            TrialHistory(MIN, _trials(FLOATS, 80)), FrozenTrial(82, TrialState.RUNNING)
        )
        == "gp"
    )
    assert AutoSampler(gp_thinning_trials=7).to_config()["gp_thinning_trials"] == 7


def test_single_objective_samplers_refuse_several_objectives_by_name() -> None:
    history = TrialHistory(TWO, [])
    with pytest.raises(MultiObjectiveError, match="NSGAIISampler"):
        CmaEsSampler().infer_relative_search_space(history, FrozenTrial(0, TrialState.RUNNING))


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (CmaEsSampler, {"sigma0": 0}),
        (CmaEsSampler, {"restart_strategy": "bipop"}),
        (CmaEsSampler, {"x0": [1.0]}),
        (CmaEsSampler, {"popsize": 1}),
        (CmaEsSampler, {"source_trials": [1.0]}),
        (QMCSampler, {"qmc_type": "lattice"}),
        (QMCSampler, {"scramble": 1}),
        (NSGAIISampler, {"population_size": 1}),
        (NSGAIISampler, {"mutation_prob": 1.5}),
        (NSGAIISampler, {"crossover": "spx"}),
        (NSGAIISampler, {"crossover_prob": -0.1}),
        (NSGAIISampler, {"constraints_func": lambda t: [0.0]}),
        (AutoSampler, {"seed": "x"}),
        (AutoSampler, {"n_startup_trials": 1}),
        (AutoSampler, {"gp_thinning_trials": -1}),
    ],
)
def test_bad_arguments_are_named_errors(cls: type, kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        cls(**kwargs)


def test_the_nsga2_alias_resolves() -> None:
    assert isinstance(sampler_from_config({"name": "nsga2"}), NSGAIISampler)
    assert isinstance(sampler_from_config({"name": "auto", "seed": 1}), AutoSampler)
