"""NSGAIISampler's generations: assigned from the shared history, parents a pure function of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import hpo_queue as hq
from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import FloatDistribution
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.samplers import AutoSampler, NSGAIISampler, sampler_from_config
from hpo_queue.samplers._nsga2 import GENERATION_KEY, trial_generation
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.trial._history import TrialHistory

ROOT = Path(__file__).resolve().parents[2]
TWO = (StudyDirection.MINIMIZE, StudyDirection.MINIMIZE)
SPACE = {"x": FloatDistribution(0.0, 1.0), "y": FloatDistribution(0.0, 1.0)}


def _trial(number: int, generation: int | None, state: TrialState = TrialState.COMPLETE):
    rng = np.random.default_rng(number)
    x, y = float(rng.random()), float(rng.random())
    return FrozenTrial(
        number=number,
        state=state,
        params={"x": x, "y": y},
        distributions=dict(SPACE),
        values=[x, 1.0 - x + y] if state is TrialState.COMPLETE else None,
        system_attrs={} if generation is None else {GENERATION_KEY: generation},
    )


def _generation(trials: list[FrozenTrial], population_size: int = 4) -> int:
    sampler = NSGAIISampler(population_size=population_size, seed=0)
    asking = FrozenTrial(number=len(trials), state=TrialState.RUNNING)
    return sampler.generation(TrialHistory(TWO, trials), asking)


def test_a_trial_joins_the_top_generation_until_it_has_population_size_trials() -> None:
    assert _generation([]) == 0
    assert _generation([_trial(i, 0) for i in range(3)]) == 0
    assert _generation([_trial(i, 0) for i in range(4)]) == 1
    full_then_one = [*(_trial(i, 0) for i in range(4)), _trial(4, 1)]
    assert _generation(full_then_one) == 1
    # A failed trial leaves its place to be filled again; a RUNNING one that has not asked
    # the sampler yet takes none.
    failed = [*(_trial(i, 0) for i in range(3)), _trial(3, 0, TrialState.FAIL)]
    assert _generation([*failed, _trial(4, None, TrialState.RUNNING)]) == 0
    # A finished trial that never asked the sampler (enqueued) joins the generation being
    # filled; a retry of the failed trial takes its generation and its place.
    assert _generation([*failed, _trial(4, None)]) == 1
    retry = FrozenTrial(number=4, state=TrialState.WAITING, system_attrs={"retry_of": 3})
    assert _generation([*failed, retry]) == 1
    sampler = NSGAIISampler(population_size=4)
    history = TrialHistory(TWO, [*failed, _trial(4, 1)])
    assert (
        sampler.generation(
            history, FrozenTrial(5, TrialState.RUNNING, system_attrs={"retry_of": 3})
        )
        == 0
    )
    # A stored generation is kept.
    sampler = NSGAIISampler(population_size=4)
    stored = FrozenTrial(number=9, state=TrialState.RUNNING, system_attrs={GENERATION_KEY: 0})
    assert sampler.generation(TrialHistory(TWO, [_trial(i, 2) for i in range(4)]), stored) == 0


def test_running_trials_take_their_place_so_racing_workers_fill_a_generation() -> None:
    # Three finished and one RUNNING trial of generation 0: generation 0 is full (Optuna,
    # which counts COMPLETE trials only, would put this trial in generation 0 too).
    racing = [*(_trial(i, 0) for i in range(3)), _trial(3, 0, TrialState.RUNNING)]
    assert _generation(racing) == 1
    # Workers that start one after another, each seeing the others RUNNING, fill generation
    # 1 with exactly population_size trials, then open generation 2.
    trials = [_trial(i, 0) for i in range(4)]
    sampler = NSGAIISampler(population_size=4, seed=0)
    for number in range(4, 13):
        asking = FrozenTrial(number=number, state=TrialState.RUNNING)
        attrs = sampler.trial_system_attrs(TrialHistory(TWO, trials), asking)
        trials.append(_trial(number, attrs[GENERATION_KEY], TrialState.RUNNING))
    counts = Counter(trial_generation(t) for t in trials)
    assert counts == {0: 4, 1: 4, 2: 4, 3: 1}
    # Two that read the history at the same moment both take the last place: the overfill
    # is the number of simultaneous starts minus one.
    history = TrialHistory(TWO, trials[:-2])  # generation 2 has 3 trials
    both = [
        sampler.trial_system_attrs(history, FrozenTrial(number=n, state=TrialState.RUNNING))
        for n in (20, 21)
    ]
    assert [a[GENERATION_KEY] for a in both] == [2, 2]


def _dominates(a: FrozenTrial, b: FrozenTrial) -> bool:
    pairs = list(zip(a.values or (), b.values or (), strict=True))
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


def test_parents_are_the_elite_of_the_previous_generation_and_its_parents() -> None:
    sampler = NSGAIISampler(population_size=4, seed=0)
    gen0 = [_trial(i, 0) for i in range(4)]
    gen1 = [_trial(i, 1) for i in range(4, 8)]
    history = TrialHistory(TWO, [*gen0, *gen1])
    asking = FrozenTrial(number=8, state=TrialState.RUNNING, system_attrs={GENERATION_KEY: 2})
    parents = sampler.parent_population(history, asking)
    assert len(parents) == 4 and {p.number for p in parents} <= set(range(8))
    # Elitist: the non-dominated trials come first.
    everyone = [*gen0, *gen1]
    front = {t.number for t in everyone if not any(_dominates(o, t) for o in everyone)}
    chosen = {p.number for p in parents}
    assert front <= chosen if len(front) <= 4 else chosen <= front
    # Generation 1's parents are generation 0; generation 0 has none (random start).
    gen1_asking = FrozenTrial(number=8, state=TrialState.RUNNING, system_attrs={GENERATION_KEY: 1})
    assert [p.number for p in sampler.parent_population(history, gen1_asking)] == [0, 1, 2, 3]
    gen0_asking = FrozenTrial(number=8, state=TrialState.RUNNING, system_attrs={GENERATION_KEY: 0})
    assert sampler.parent_population(history, gen0_asking) == []
    assert sampler.trial_system_attrs(history, gen0_asking)["sampler_method"] == "random"


def test_a_late_result_joins_the_parents_once_it_is_stored() -> None:
    sampler = NSGAIISampler(population_size=4, seed=0)
    # Generation 0's trial 3 is still RUNNING when generation 1 begins.
    early = [*(_trial(i, 0) for i in range(3)), _trial(3, 0, TrialState.RUNNING)]
    asking = FrozenTrial(number=4, state=TrialState.RUNNING, system_attrs={GENERATION_KEY: 1})
    before = sampler.parent_population(TrialHistory(TWO, early), asking)
    assert [p.number for p in before] == [0, 1, 2]
    late = [*early[:3], _trial(3, 0)]
    after = sampler.parent_population(TrialHistory(TWO, late), asking)
    assert [p.number for p in after] == [0, 1, 2, 3]


def test_parents_do_not_depend_on_the_process_or_its_memo() -> None:
    trials = [_trial(i, i // 5) for i in range(23)]
    history = TrialHistory(TWO, trials)
    asking = FrozenTrial(number=23, state=TrialState.RUNNING, system_attrs={GENERATION_KEY: 4})
    warm = NSGAIISampler(population_size=5, seed=1)
    for generation in range(5):  # fill the memo generation by generation, as a study does
        earlier = FrozenTrial(23, TrialState.RUNNING, system_attrs={GENERATION_KEY: generation})
        warm.parent_population(history, earlier)
    cold = NSGAIISampler(population_size=5, seed=1)
    assert warm.parent_population(history, asking) == cold.parent_population(history, asking)
    # Another study's trials with the same numbers get their own parents, not the memo's.
    other = TrialHistory(TWO, [_trial(i + 100, i // 5) for i in range(23)])
    renumbered = [t.number - 100 for t in cold.parent_population(other, asking)]
    assert all(0 <= n < 23 for n in renumbered)
    fresh = NSGAIISampler(population_size=5, seed=1).parent_population(other, asking)
    assert warm.parent_population(other, asking) == fresh


def test_trials_with_no_generation_are_the_first_generations_parents() -> None:
    # An AutoSampler study switching to NSGA-II, or enqueued trials: not a random restart.
    sampler = NSGAIISampler(population_size=4, seed=0)
    history = TrialHistory(TWO, [_trial(i, None) for i in range(10)])
    asking = FrozenTrial(number=10, state=TrialState.RUNNING)
    attrs = sampler.trial_system_attrs(history, asking)
    assert attrs == {"sampler_method": "nsga2", GENERATION_KEY: 0}
    assert len(sampler.parent_population(history, asking)) == 4


def _zdt1_study(storage: str | None, seed: int, n_trials: int = 30) -> hq.Study:
    study = hq.create_study(
        storage=storage,
        directions=["minimize", "minimize"],
        sampler=NSGAIISampler(population_size=6, seed=seed),
    )
    order = np.random.default_rng(5)
    pending: list[tuple[hq.Trial, list[float]]] = []
    asked = 0
    while asked < n_trials or pending:
        while len(pending) < 3 and asked < n_trials:
            trial = study.ask()
            x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)]
            g = 1 + 4.5 * (x[1] + x[2])
            pending.append((trial, [x[0], g * (1 - (x[0] / g) ** 0.5)]))
            asked += 1
        trial, values = pending.pop(int(order.integers(len(pending))))
        study.tell(trial, values)
    return study


def _params(study: hq.Study) -> list[tuple[object, ...]]:
    return [(tuple(t.params.values()), t.system_attrs[GENERATION_KEY]) for t in study.trials]


def test_same_seed_and_order_of_results_repeat_on_memory_and_sqlite(sqlite_url: str) -> None:
    first = _params(_zdt1_study(None, seed=3))
    assert first == _params(_zdt1_study(sqlite_url, seed=3))
    assert first != _params(_zdt1_study(None, seed=4))
    assert max(generation for _, generation in first) >= 3


CHILD = """
import json, sys
import hpo_queue as hq
from hpo_queue.samplers._nsga2 import GENERATION_KEY
study = hq.load_study(study_name="zdt", storage=sys.argv[1])
if sys.argv[2] == "optimize":
    def objective(trial):
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)]
        g = 1 + 4.5 * (x[1] + x[2])
        return x[0], g * (1 - (x[0] / g) ** 0.5)
    study.optimize(objective, n_trials=int(sys.argv[3]))
else:
    history = study._history()
    trial = hq.trial.FrozenTrial(
        number=10**6, state=hq.trial.TrialState.RUNNING,
        system_attrs={GENERATION_KEY: int(sys.argv[3])},
    )
    parents = study.sampler.parent_population(history, trial)
    print(json.dumps([p.number for p in parents]))
"""


def _child(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _output(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    return out


def test_two_processes_fill_generations_and_agree_on_parents(sqlite_url: str) -> None:
    population = 5
    hq.create_study(
        study_name="zdt",
        storage=sqlite_url,
        directions=["minimize", "minimize"],
        sampler=NSGAIISampler(population_size=population, seed=0),
    )
    workers = [_child(sqlite_url, "optimize", "20") for _ in range(2)]
    for worker in workers:
        _output(worker)
    study = hq.load_study(study_name="zdt", storage=sqlite_url)
    trials = study.trials
    assert len(trials) == 40 and all(t.state is TrialState.COMPLETE for t in trials)
    counts = Counter(trial_generation(t) for t in trials)
    top = max(c for c in counts if c is not None)
    assert set(counts) == set(range(top + 1)) and top >= 5
    # Two processes, one trial each in flight: at most one trial over per generation, and
    # only the last generation may be short.
    assert all(counts[g] <= population + 1 for g in counts)
    assert all(counts[g] >= population for g in range(top))
    # The parents of the last generation, computed here and by two fresh processes.
    here = NSGAIISampler(population_size=population, seed=0).parent_population(
        study._history(),
        FrozenTrial(number=10**6, state=TrialState.RUNNING, system_attrs={GENERATION_KEY: top}),
    )
    readers = [_child(sqlite_url, "parents", str(top)) for _ in range(2)]
    outputs = [json.loads(_output(r)) for r in readers]
    assert outputs[0] == outputs[1] == [p.number for p in here]
    assert len(here) == population


def test_config_round_trip_and_alias() -> None:
    sampler = NSGAIISampler(population_size=8, seed=2, crossover="sbx", survival="steady_state")
    rebuilt = sampler_from_config(sampler.to_config())
    assert isinstance(rebuilt, NSGAIISampler) and rebuilt.to_config() == sampler.to_config()
    for alias in ("nsga2", "NSGAII"):
        aliased = sampler_from_config({"name": alias, "population_size": 8})
        assert isinstance(aliased, NSGAIISampler) and aliased.survival == "generational"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 1}, "population_size must be an integer >= 2, got 1."),
        ({"crossover": "spx"}, "crossover must be one of uniform, blxalpha, sbx, got 'spx'."),
        ({"mutation_prob": 1.5}, r"mutation_prob must be a number in \[0, 1\], got 1.5."),
        (
            {"survival": "elitist"},
            "survival must be one of generational, steady_state, got 'elitist'.",
        ),
        ({"constraints_func": len}, r"Pass constraints_func to create_study\(\.\.\., "),
    ],
)
def test_bad_arguments_are_named_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        NSGAIISampler(**kwargs)  # type: ignore[arg-type]


def test_auto_sampler_records_the_generation_of_its_nsga2_trials() -> None:
    auto = AutoSampler(seed=0, nsga2_after_trials=10)
    history = TrialHistory(TWO, [_trial(i, None) for i in range(12)])
    attrs = auto.trial_system_attrs(history, FrozenTrial(number=12, state=TrialState.RUNNING))
    assert attrs == {"sampler_method": "nsga2", GENERATION_KEY: 0}
