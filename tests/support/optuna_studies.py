"""Studies written by real Optuna 5 (a test-only dependency), and how to compare a copy."""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import warnings
from collections.abc import Iterator
from typing import Any

import optuna

from hpo_queue.distributions import distribution_from_optuna_dict
from hpo_queue.storages._optuna.reader import RUNNING_FAIL_REASON
from hpo_queue.trial import FrozenTrial

N_OPTIMIZED = 12  # trials run by optimize() in the single-objective study
SPACE_CHOICES = ["a", None, 2.5, True]
ENQUEUED = {"x": 1.0, "n": 4, "k": 2, "c": None, "s": 0.5}


def optuna_url(url: str) -> str:
    """Optuna's URL for one of the test stores (it needs the driver spelled out)."""
    return url.replace("mysql://", "mysql+pymysql://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )


@contextlib.contextmanager
def optuna_storage(url: str) -> Iterator[optuna.storages.RDBStorage]:
    """Optuna's storage for a test store, its connections closed after (no ResourceWarning)."""
    storage = optuna.storages.RDBStorage(optuna_url(url))
    try:
        yield storage
    finally:
        storage.scoped_session.remove()
        storage.engine.dispose()


def _suggest(trial: Any) -> dict[str, Any]:
    return {
        "x": trial.suggest_float("x", 1e-3, 10.0, log=True),
        "n": trial.suggest_int("n", 0, 20, step=4),
        "k": trial.suggest_int("k", 1, 64, log=True),
        "c": trial.suggest_categorical("c", SPACE_CHOICES),
        "s": trial.suggest_float("s", -1.0, 1.0, step=0.5),
    }


def _single_objective(trial: optuna.Trial) -> float:
    """Completes, prunes (with NaN and infinite reports), fails or returns inf by number."""
    p = _suggest(trial)
    trial.set_user_attr("note", {"number": trial.number, "tags": ["a", "b"]})
    trial.storage.set_trial_system_attr(trial._trial_id, "origin", "optuna-test")
    if trial.number % 5 == 3:
        for step, value in enumerate([1.0, math.nan, math.inf, -math.inf]):
            trial.report(value, step)
        raise optuna.TrialPruned()
    if trial.number % 5 == 4:
        raise ValueError("boom")
    if trial.number == 2:
        return math.inf
    for step in range(2):
        trial.report(p["x"] + step, step * 10)
    return (p["x"] - 2.0) ** 2 + p["n"] + p["s"]


def _constraints(frozen: optuna.trial.FrozenTrial) -> list[float]:
    return [frozen.params["x"] - 5.0]


def write_optuna_studies(url: str) -> None:
    """Study "single" (minimize: every state, a constraints_func) and "multi" (two objectives).

    "single" ends with a RUNNING trial (asked, never told), number N_OPTIMIZED, and a
    WAITING (enqueued) one after it.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with optuna_storage(url) as storage:
        _write_studies(storage)


def _write_studies(storage: optuna.storages.RDBStorage) -> None:
    with warnings.catch_warnings():
        # Deprecated in Optuna 5 (for trial.set_constraint, used in "multi"); what Optuna 3
        # and 4 studies hold, as a "constraints" list system attr.
        warnings.simplefilter("ignore", FutureWarning)
        sampler = optuna.samplers.TPESampler(
            seed=3, n_startup_trials=4, constraints_func=_constraints
        )
    single = optuna.create_study(storage=storage, study_name="single", sampler=sampler)
    single.set_user_attr("dataset", {"name": "mnist", "rows": 60000})
    single._storage.set_study_system_attr(single._study_id, "owner", ["team", 7])
    single.optimize(_single_objective, n_trials=N_OPTIMIZED, catch=(ValueError,))
    running = single.ask()  # asked before enqueueing: ask() would take the WAITING trial
    _suggest(running)
    running.report(0.5, 0)
    single.enqueue_trial(ENQUEUED, user_attrs={"why": "enqueued"})

    multi = optuna.create_study(
        storage=storage,
        study_name="multi",
        directions=["minimize", "maximize"],
        sampler=optuna.samplers.RandomSampler(seed=1),
    )

    def two(trial: optuna.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 4.0)
        c = trial.suggest_categorical("c", [1, 2, 3])
        trial.set_constraint("mem", x - 1.0)
        return x * c, (-math.inf if trial.number == 1 else x)

    multi.optimize(two, n_trials=4)


def utc(local: datetime.datetime | None) -> datetime.datetime | None:
    """Optuna's FrozenTrial time (naive local) as hpo-queue keeps it (naive UTC)."""
    if local is None:
        return None
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def same_floats(a: Any, b: Any) -> bool:
    """Equal lists or dicts of floats, NaN equal to NaN."""
    if a is None or b is None:
        return a is b
    if isinstance(a, dict):
        return list(a) == list(b) and same_floats(list(a.values()), list(b.values()))
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True)
    )


def typed(params: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Params with their types: True and 1 and 1.0 must not pass for one another."""
    return sorted((k, type(v).__name__, v) for k, v in params.items())


def assert_same_trial(source: optuna.trial.FrozenTrial, copied: FrozenTrial) -> None:
    """Every field Optuna keeps is in the copy; a RUNNING trial became FAIL."""
    running = source.state.name == "RUNNING"
    assert copied.number == source.number
    assert copied.state.name == ("FAIL" if running else source.state.name)
    assert copied.fail_reason == (RUNNING_FAIL_REASON if running else None)
    assert same_floats(copied.values, source.values), (copied.values, source.values)
    assert typed(dict(copied.params)) == typed(source.params)
    assert dict(copied.distributions) == {
        name: distribution_from_optuna_dict(
            json.loads(optuna.distributions.distribution_to_json(d))
        )
        for name, d in source.distributions.items()
    }
    assert same_floats(dict(copied.intermediate_values), source.intermediate_values)
    assert dict(copied.user_attrs) == source.user_attrs
    assert dict(copied.system_attrs) == source.system_attrs
    assert copied.datetime_start == utc(source.datetime_start)
    assert copied.datetime_complete == utc(source.datetime_complete)
    expected_constraints = list(source.constraints.values()) or None
    assert copied.constraints == expected_constraints
