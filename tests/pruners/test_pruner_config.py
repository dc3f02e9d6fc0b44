"""to_config / pruner_from_config round trips, equality and the registry's errors."""

from __future__ import annotations

import json

import pytest

from hpo_queue.exceptions import ConfigError, InvalidInputError
from hpo_queue.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    pruner_from_config,
)

PRUNERS: list[BasePruner] = [
    NopPruner(),
    MedianPruner(),
    MedianPruner(n_startup_trials=2, n_warmup_steps=3, interval_steps=4, n_min_trials=5),
    PercentilePruner(25.0),
    PercentilePruner(10, n_startup_trials=0, n_warmup_steps=1, interval_steps=2, n_min_trials=3),
    SuccessiveHalvingPruner(),
    SuccessiveHalvingPruner(
        min_resource=3, reduction_factor=2, min_early_stopping_rate=1, bootstrap_count=2
    ),
    HyperbandPruner(),
    HyperbandPruner(min_resource=2, max_resource=100, reduction_factor=4, bootstrap_count=1),
    ThresholdPruner(upper=1.0),
    ThresholdPruner(lower=-1, upper=2, n_warmup_steps=3, interval_steps=2),
]


@pytest.mark.parametrize("pruner", PRUNERS, ids=repr)
def test_config_round_trip_through_json(pruner: BasePruner) -> None:
    config = pruner.to_config()
    assert config["name"] == type(pruner).__name__
    rebuilt = pruner_from_config(json.loads(json.dumps(config, allow_nan=False)))
    assert type(rebuilt) is type(pruner)
    assert rebuilt == pruner
    assert hash(rebuilt) == hash(pruner)
    assert rebuilt.to_config() == config


def test_different_arguments_are_not_equal() -> None:
    assert MedianPruner() != PercentilePruner(50.0)  # same rule, different class
    assert MedianPruner() != MedianPruner(n_warmup_steps=1)
    assert SuccessiveHalvingPruner() != SuccessiveHalvingPruner(reduction_factor=3)
    assert NopPruner() != ThresholdPruner(upper=1.0)


def test_repr_shows_the_arguments() -> None:
    assert repr(ThresholdPruner(upper=1.0)) == (
        "ThresholdPruner(lower=None, upper=1.0, n_warmup_steps=0, interval_steps=1)"
    )


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("asha", SuccessiveHalvingPruner),
        ("hyperband", HyperbandPruner),
        ("median", MedianPruner),
        ("nop", NopPruner),
        ("MedianPruner", MedianPruner),
    ],
)
def test_aliases(name: str, cls: type[BasePruner]) -> None:
    assert type(pruner_from_config({"name": name})) is cls


def test_unknown_name_and_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="Unknown pruner"):
        pruner_from_config({"name": "NoSuchPruner"})
    with pytest.raises(ConfigError, match="Bad arguments"):
        pruner_from_config({"name": "MedianPruner", "percentile": 10.0})
    with pytest.raises(ConfigError, match="'name'"):
        pruner_from_config({"n_warmup_steps": 1})
    with pytest.raises(InvalidInputError, match="percentile"):
        pruner_from_config({"name": "PercentilePruner", "percentile": 150.0})
