"""Seeded samplers repeat exactly through a study: same seed, same order of results.

The loop keeps four trials in flight through ask/tell, as parallel workers would, so the
sampler sees RUNNING trials with their params; on an RDB store those params reach the store
through the delayed write, which must not change what the next trial's sampler sees.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import hpo_queue as hq
from hpo_queue.samplers import (
    AutoSampler,
    BaseSampler,
    CmaEsSampler,
    GPSampler,
    NSGAIISampler,
    QMCSampler,
    TPESampler,
)

FACTORIES: dict[str, Callable[[], BaseSampler]] = {
    "tpe": lambda: TPESampler(seed=3),
    "gp": lambda: GPSampler(seed=3, n_startup_trials=4),
    "cmaes": lambda: CmaEsSampler(seed=3),
    "qmc": lambda: QMCSampler(seed=3, scramble=True),
    "nsga2": lambda: NSGAIISampler(seed=3, population_size=6),
    "auto": lambda: AutoSampler(seed=3, n_startup_trials=4),
}


def _run(storage: str | None, sampler: BaseSampler, n_trials: int = 16) -> list[tuple[object, ...]]:
    study = hq.create_study(storage=storage, sampler=sampler)
    order = np.random.default_rng(5)
    pending: list[tuple[hq.Trial, float]] = []
    asked = 0
    while asked < n_trials or pending:
        while len(pending) < 4 and asked < n_trials:
            trial = study.ask()
            x = trial.suggest_float("x", -5.0, 5.0)
            y = trial.suggest_int("y", 1, 64, log=True)
            kind = trial.suggest_categorical("kind", ["a", "b"])
            pending.append((trial, (x - 1) ** 2 + (np.log2(y) - 3) ** 2 + (kind == "b")))
            asked += 1
        trial, value = pending.pop(int(order.integers(len(pending))))
        study.tell(trial, value)
    return [(t.params["x"], t.params["y"], t.params["kind"]) for t in study.trials]


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("hpo_queue")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(previous)  # later tests read INFO lines


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_seeded_sampler_repeats_in_memory(name: str) -> None:
    assert _run(None, FACTORIES[name]()) == _run(None, FACTORIES[name]())


@pytest.mark.parametrize("name", ["tpe", "auto", "nsga2"])
def test_seeded_sampler_repeats_on_sqlite(name: str, tmp_path: Path) -> None:
    runs = [_run(f"sqlite:///{tmp_path}/run{i}.db", FACTORIES[name]()) for i in range(3)]
    assert runs[0] == runs[1] == runs[2]


def test_the_default_sampler_is_auto_and_records_its_method_on_each_trial() -> None:
    study = hq.create_study()
    assert isinstance(study.sampler, AutoSampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=14)
    methods = [t.system_attrs.get("sampler_method") for t in study.trials]
    assert methods == ["qmc"] * 10 + ["gp", "tpe", "gp", "tpe"]  # odd numbers: TPE's turns
