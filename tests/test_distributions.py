"""Distributions: validation errors name the problem; JSON round trips; internal form."""

from __future__ import annotations

import pytest

from hpo_queue.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
    distribution_from_json,
    distribution_to_json,
)
from hpo_queue.exceptions import InvalidDistributionError, ParameterConflictError


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: FloatDistribution(2.0, 1.0), "low must be <= high"),
        (lambda: FloatDistribution(0.0, 1.0, log=True), "log=True needs low > 0"),
        (lambda: FloatDistribution(0.0, 1.0, step=0.3), "does not fit the range"),
        (lambda: FloatDistribution(0.5, 1.0, step=0.1, log=True), "cannot be used together"),
        (lambda: FloatDistribution(0.0, float("inf")), "must be finite"),
        (lambda: FloatDistribution("a", 1.0), "must be a number"),  # type: ignore[arg-type]
        (lambda: IntDistribution(5, 1), "low must be <= high"),
        (lambda: IntDistribution(0, 10, log=True), "log=True needs low >= 1"),
        (lambda: IntDistribution(0, 10, step=3), "does not fit the range"),
        (lambda: IntDistribution(0, 10, step=0), "step must be >= 1"),
        (lambda: IntDistribution(0.5, 10), "must be an integer"),  # type: ignore[arg-type]
        (lambda: CategoricalDistribution([]), "must not be empty"),
        (lambda: CategoricalDistribution([[1], [2]]), "must be None, bool, int, float or str"),
        (lambda: CategoricalDistribution("abc"), "must be a list or tuple"),
    ],
)
def test_bad_distributions_raise_named_errors(factory: object, message: str) -> None:
    with pytest.raises(InvalidDistributionError, match=message):
        factory()  # type: ignore[operator]


@pytest.mark.parametrize(
    "distribution",
    [
        FloatDistribution(-1.5, 2.0),
        FloatDistribution(1e-5, 1.0, log=True),
        FloatDistribution(0.0, 1.0, step=0.25),
        IntDistribution(1, 1024, log=True),
        IntDistribution(0, 10, step=2),
        CategoricalDistribution([None, True, 1, 2.5, "x"]),
    ],
)
def test_json_round_trip(distribution: object) -> None:
    assert distribution_from_json(distribution_to_json(distribution)) == distribution  # type: ignore[arg-type]


def test_categorical_keeps_bool_and_int_apart() -> None:
    dist = CategoricalDistribution([1, True, "1"])
    assert dist.to_internal(True) == 1.0
    assert dist.to_internal(1) == 0.0
    assert dist.to_internal("1") == 2.0
    assert dist.to_external(1.0) is True


def test_step_containment() -> None:
    dist = FloatDistribution(0.0, 1.0, step=0.25)
    assert dist.contains(0.75)
    assert not dist.contains(0.7)
    assert IntDistribution(0, 10, step=2).contains(4)
    assert not IntDistribution(0, 10, step=2).contains(5)


def test_kind_change_is_a_conflict_but_range_change_is_not() -> None:
    check_compatible("x", FloatDistribution(0, 1), FloatDistribution(0, 2))
    with pytest.raises(ParameterConflictError, match="'x'"):
        check_compatible("x", FloatDistribution(0, 1), IntDistribution(0, 1))
    with pytest.raises(ParameterConflictError):
        check_compatible("c", CategoricalDistribution(["a"]), CategoricalDistribution(["b"]))
