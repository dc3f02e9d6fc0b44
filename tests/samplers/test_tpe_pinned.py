"""TPE's suggestions for fixed seeds and histories, pinned to values recorded before a rewrite.

Speed work on the TPE must not change what it suggests. Each scenario below is replayed and
compared, value for value (to 1e-12, and int vs float), with ``tpe_pinned.json``, which
was recorded at commit afe7173 by ``python -m tests.samplers.test_tpe_pinned --record``.
Re-record only for a change that is meant to alter suggestions, and say so in the commit.
Recorded with numpy 2.4.6 on x86-64: another numpy build may round exp/log differently in the
last bit, which can move a close argmax; re-check the recording there before suspecting a change.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hpo_queue as hq
from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.logging import set_verbosity
from hpo_queue.pruners import MedianPruner
from hpo_queue.samplers import TPESampler
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState
from tests.samplers.test_tpe import (
    MIXED_SPACE,
    X,
    _async_history,
    _complete,
    _mixed_loss,
    _optimize,
    _suggest,
)

PINNED = Path(__file__).with_name("tpe_pinned.json")
CHOICE_COST = {"a": 0.0, "b": 1.0, "c": 2.0}


def _study(n_trials: int, n_steps: int, direction: str) -> list[Any]:
    """A whole in-memory study, as benchmarks/in_memory_speed.py runs it."""

    def objective(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        n = trial.suggest_int("n", 1, 20)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        value = x * x + n + CHOICE_COST[c]
        for step in range(n_steps):
            trial.report(value + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise hq.TrialPruned()
        return value

    set_verbosity(logging.WARNING)
    study = hq.create_study(sampler=TPESampler(seed=0), pruner=MedianPruner(), direction=direction)
    study.optimize(objective, n_trials=n_trials)
    return [[t.params, t.state.name] for t in study.trials]


def _trial_params(trials: list[FrozenTrial]) -> list[Any]:
    return [t.params for t in trials]


def _with_running(seed: int, n: int) -> list[FrozenTrial]:
    """An asynchronous history in which a few of the latest trials are still RUNNING."""
    trials = _async_history(seed, n)
    return [
        FrozenTrial(number=t.number, state=TrialState.RUNNING, params=t.params)
        if t.number >= n - 6 and t.number % 2 == 0
        else t
        for t in trials
    ]


def _async_suggestions() -> list[Any]:
    space: dict[str, BaseDistribution] = {
        "x": X,
        "k": IntDistribution(1, 8),
        "c": CategoricalDistribution(["a", "b"]),
    }
    return [
        _suggest(TPESampler(seed=seed), _with_running(seed, 30 + 25 * seed), space)
        for seed in range(5)
    ]


def _multi_objective() -> list[Any]:
    space: dict[str, BaseDistribution] = {
        "x": FloatDistribution(0.0, 1.0),
        "k": IntDistribution(0, 9),
    }
    dirs = (StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE)
    rng = np.random.default_rng(0)
    trials = []
    for i in range(30):
        x, k = float(rng.uniform(0, 1)), int(rng.integers(0, 10))
        trial = _complete(i, {"x": x, "k": k}, space, 0.0)
        trials.append(dataclasses.replace(trial, values=[x + k / 10, float((x - 0.5) ** 2)]))
    return [_suggest(TPESampler(seed=s), trials, space, dirs) for s in range(5)]


def _capped() -> list[Any]:
    space: dict[str, BaseDistribution] = {"x": X, "k": IntDistribution(1, 8)}
    large = _async_history(8, 400)
    return [_suggest(TPESampler(seed=s, max_bad_trials=40), large, space) for s in range(3)]


SCENARIOS: dict[str, Callable[[], list[Any]]] = {
    "study_plain": lambda: _study(150, 0, "minimize"),
    "study_reports": lambda: _study(80, 20, "minimize"),
    "study_maximize": lambda: _study(40, 0, "maximize"),
    "mixed_space": lambda: _trial_params(
        _optimize(TPESampler(seed=1, n_startup_trials=5), _mixed_loss, MIXED_SPACE, 60)
    ),
    "independent": lambda: _trial_params(
        _optimize(
            TPESampler(seed=2, n_startup_trials=5, multivariate=False),
            _mixed_loss,
            MIXED_SPACE,
            30,
        )
    ),
    "options": lambda: _trial_params(
        _optimize(
            TPESampler(
                seed=3,
                n_startup_trials=4,
                consider_endpoints=True,
                consider_magic_clip=False,
                prior_weight=2.0,
                gamma=0.25,
                n_local_candidates=0,
                running_weight=1.0,
            ),
            _mixed_loss,
            MIXED_SPACE,
            30,
        )
    ),
    "async_running": _async_suggestions,
    "multi_objective": _multi_objective,
    "bad_trial_cap": _capped,
}


def _record() -> None:
    # One suggestion per line, so that a diff shows which ones moved.
    blocks = []
    for name, scenario in SCENARIOS.items():
        items = ",\n".join(f"  {json.dumps(item)}" for item in scenario())
        blocks.append(f"{json.dumps(name)}: [\n{items}\n ]")
    PINNED.write_text("{\n " + ",\n ".join(blocks) + "\n}\n")


def _same(actual: Any, expected: Any) -> bool:
    """Equal, and of the same type (an int suggestion must not become a float).

    Floats may differ in their last bits: numpy's exp and log take other SIMD paths on other
    CPUs (the recording's numpy gave 1.7888756471177671 on one machine, 1.788875647117767 on
    another); a change to what the TPE suggests moves them by far more.
    """
    if isinstance(expected, float):
        return type(actual) is float and math.isclose(actual, expected, rel_tol=1e-12)
    if isinstance(expected, list):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(expected)
            and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and list(actual) == list(expected)
            and all(_same(actual[k], expected[k]) for k in expected)
        )
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_suggestions_match_the_recorded_ones(name: str) -> None:
    expected = json.loads(PINNED.read_text())[name]
    # Through JSON, as recorded: the same round trip for both sides.
    actual = json.loads(json.dumps(SCENARIOS[name]()))
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        assert _same(got, want), (name, index, got, want)


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    _record()
