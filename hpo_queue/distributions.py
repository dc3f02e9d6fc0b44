"""Search-space distributions: validation, internal (float) representation and JSON form.

Samplers work on the *internal* representation, a float for every distribution (a categorical
is represented by the index of its choice); trials expose the *external* value the user sees.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hpo_queue.exceptions import InvalidDistributionError

CategoricalChoice = None | bool | int | float | str
# Params are stored and sampled as float64: beyond 2**53 an integer is not exact, and a
# sampler cannot draw among more steps than that.
MAX_EXACT_INTEGER = 2**53
ParamValue = float | int | CategoricalChoice


def _check_finite(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise InvalidDistributionError(f"{name} must be a number, got {value!r}.")
    if not math.isfinite(value):
        raise InvalidDistributionError(f"{name} must be finite, got {value!r}.")


@dataclass(frozen=True)
class FloatDistribution:
    """A float in [low, high], optionally on a log scale or a grid of ``step``."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        _check_finite("low", self.low)
        _check_finite("high", self.high)
        if self.low > self.high:
            raise InvalidDistributionError(
                f"low must be <= high, got low={self.low!r} > high={self.high!r}."
            )
        if not math.isfinite(self.high - self.low):
            raise InvalidDistributionError(
                f"high - low must be a finite number, got [{self.low!r}, {self.high!r}], whose "
                "width overflows a float; narrow the range."
            )
        if self.log and self.low <= 0.0:
            raise InvalidDistributionError(f"log=True needs low > 0, got low={self.low!r}.")
        if self.step is not None:
            if self.log:
                raise InvalidDistributionError("step and log=True cannot be used together.")
            _check_finite("step", self.step)
            if self.step <= 0:
                raise InvalidDistributionError(f"step must be > 0, got {self.step!r}.")
            n_steps = (self.high - self.low) / self.step
            if n_steps > MAX_EXACT_INTEGER:
                raise InvalidDistributionError(
                    f"step={self.step!r} divides [{self.low!r}, {self.high!r}] into more than "
                    "2**53 steps; use a larger step, or step=None."
                )
            if abs(n_steps - round(n_steps)) > 1e-8 * max(1.0, abs(n_steps)):
                raise InvalidDistributionError(
                    f"step={self.step!r} does not fit the range [{self.low!r}, {self.high!r}]: "
                    "high - low must be a multiple of step."
                )
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if self.step is not None:
            object.__setattr__(self, "step", float(self.step))

    def to_internal(self, value: ParamValue) -> float:
        return float(value)  # type: ignore[arg-type]

    def to_external(self, internal: float) -> float:
        return float(internal)

    def contains(self, internal: float) -> bool:
        if not (self.low <= internal <= self.high):
            return False
        if self.step is None:
            return True
        k = (internal - self.low) / self.step
        return abs(k - round(k)) < 1e-8 * max(1.0, abs(k))

    def single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        return self.high - self.low < self.step

    def validate_value(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidDistributionError(f"{value!r} is not a number.")
        if not self.contains(float(value)):
            raise InvalidDistributionError(f"{value!r} is outside {self}.")
        return float(value)


@dataclass(frozen=True)
class IntDistribution:
    """An integer in [low, high], optionally on a log scale or a grid of ``step``."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        for name in ("low", "high", "step"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidDistributionError(f"{name} must be an integer, got {value!r}.")
            if isinstance(value, float):
                if not value.is_integer():
                    raise InvalidDistributionError(f"{name} must be an integer, got {value!r}.")
                object.__setattr__(self, name, int(value))
        for name in ("low", "high"):
            if abs(getattr(self, name)) > MAX_EXACT_INTEGER:
                raise InvalidDistributionError(
                    f"{name} must be between -2**53 and 2**53, got {getattr(self, name)!r}: "
                    "parameters are stored as floats, exact only up to 2**53."
                )
        if self.low > self.high:
            raise InvalidDistributionError(
                f"low must be <= high, got low={self.low!r} > high={self.high!r}."
            )
        if self.step <= 0:
            raise InvalidDistributionError(f"step must be >= 1, got {self.step!r}.")
        if self.log:
            if self.low < 1:
                raise InvalidDistributionError(f"log=True needs low >= 1, got low={self.low!r}.")
            if self.step != 1:
                raise InvalidDistributionError("step != 1 and log=True cannot be used together.")
        if (self.high - self.low) % self.step != 0:
            raise InvalidDistributionError(
                f"step={self.step!r} does not fit the range [{self.low!r}, {self.high!r}]: "
                "high - low must be a multiple of step."
            )

    def to_internal(self, value: ParamValue) -> float:
        return float(value)  # type: ignore[arg-type]

    def to_external(self, internal: float) -> int:
        return round(internal)

    def contains(self, internal: float) -> bool:
        if not (self.low <= internal <= self.high):
            return False
        return (
            abs((internal - self.low) / self.step - round((internal - self.low) / self.step)) < 1e-8
        )

    def single(self) -> bool:
        return self.low == self.high

    def validate_value(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidDistributionError(f"{value!r} is not an integer.")
        if isinstance(value, float) and not value.is_integer():
            raise InvalidDistributionError(f"{value!r} is not an integer.")
        if not self.contains(float(value)):
            raise InvalidDistributionError(f"{value!r} is outside {self}.")
        return int(value)


@dataclass(frozen=True)
class CategoricalDistribution:
    """One of a fixed tuple of choices (None, bool, int, float or str)."""

    choices: tuple[CategoricalChoice, ...]

    def __init__(self, choices: Sequence[CategoricalChoice]) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise InvalidDistributionError(
                f"choices must be a list or tuple, got {type(choices).__name__}."
            )
        if len(choices) == 0:
            raise InvalidDistributionError("choices must not be empty.")
        for choice in choices:
            if choice is not None and not isinstance(choice, (bool, int, float, str)):
                raise InvalidDistributionError(
                    f"choices must be None, bool, int, float or str; got {choice!r} "
                    f"of type {type(choice).__name__}."
                )
            if isinstance(choice, float) and math.isnan(choice):
                raise InvalidDistributionError("choices must not contain NaN.")
        object.__setattr__(self, "choices", tuple(choices))

    def to_internal(self, value: ParamValue) -> float:
        for index, choice in enumerate(self.choices):
            if _same_choice(choice, value):
                return float(index)
        raise InvalidDistributionError(f"{value!r} is not one of the choices {self.choices!r}.")

    def to_external(self, internal: float) -> CategoricalChoice:
        return self.choices[int(internal)]

    def contains(self, internal: float) -> bool:
        index = int(internal)
        return index == internal and 0 <= index < len(self.choices)

    def single(self) -> bool:
        return len(self.choices) == 1

    def validate_value(self, value: Any) -> CategoricalChoice:
        return self.choices[int(self.to_internal(value))]


def _same_choice(a: Any, b: Any) -> bool:
    # True == 1 in Python; a choice list [1, True] must keep them apart.
    return (type(a) is type(b) and a == b) or (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


BaseDistribution = FloatDistribution | IntDistribution | CategoricalDistribution


def distribution_to_json(distribution: BaseDistribution) -> str:
    """Serialize a distribution to a compact JSON string."""
    return json.dumps(distribution_to_dict(distribution), separators=(",", ":"))


def distribution_to_dict(distribution: BaseDistribution) -> dict[str, Any]:
    if isinstance(distribution, FloatDistribution):
        return {
            "type": "float",
            "low": distribution.low,
            "high": distribution.high,
            "log": distribution.log,
            "step": distribution.step,
        }
    if isinstance(distribution, IntDistribution):
        return {
            "type": "int",
            "low": distribution.low,
            "high": distribution.high,
            "log": distribution.log,
            "step": distribution.step,
        }
    return {"type": "categorical", "choices": list(distribution.choices)}


def distribution_from_dict(data: dict[str, Any]) -> BaseDistribution:
    kind = data.get("type")
    if kind == "float":
        return FloatDistribution(
            data["low"], data["high"], data.get("log", False), data.get("step")
        )
    if kind == "int":
        return IntDistribution(
            data["low"], data["high"], data.get("log", False), data.get("step", 1)
        )
    if kind == "categorical":
        return CategoricalDistribution(data["choices"])
    raise InvalidDistributionError(f"Unknown distribution type {kind!r}.")


def distribution_from_optuna_dict(data: dict[str, Any]) -> BaseDistribution:
    """A distribution in Optuna's JSON form, ``{"name": "FloatDistribution", "attributes":
    {...}}`` (what ``optuna ask --search-space`` takes and Optuna's RDB stores), including
    the Uniform/LogUniform/DiscreteUniform/IntUniform/IntLogUniform names of Optuna 2."""
    if not isinstance(data, dict) or "name" not in data:
        raise InvalidDistributionError(
            f'An Optuna distribution is {{"name": ..., "attributes": {{...}}}}; got {data!r}.'
        )
    name, attrs = data["name"], dict(data.get("attributes") or {})
    if name == "FloatDistribution":
        return FloatDistribution(
            attrs["low"], attrs["high"], bool(attrs.get("log", False)), attrs.get("step")
        )
    if name == "IntDistribution":
        return IntDistribution(
            attrs["low"], attrs["high"], bool(attrs.get("log", False)), attrs.get("step", 1)
        )
    if name == "CategoricalDistribution":
        return CategoricalDistribution(attrs["choices"])
    legacy: dict[str, Callable[[], BaseDistribution]] = {
        "UniformDistribution": lambda: FloatDistribution(attrs["low"], attrs["high"]),
        "LogUniformDistribution": lambda: FloatDistribution(attrs["low"], attrs["high"], True),
        "DiscreteUniformDistribution": lambda: FloatDistribution(
            attrs["low"], attrs["high"], step=attrs["q"]
        ),
        "IntUniformDistribution": lambda: IntDistribution(
            attrs["low"], attrs["high"], step=attrs.get("step", 1)
        ),
        "IntLogUniformDistribution": lambda: IntDistribution(attrs["low"], attrs["high"], True),
    }
    if name in legacy:
        return legacy[name]()
    raise InvalidDistributionError(f"Unknown Optuna distribution {name!r}.")


def distribution_from_json(text: str) -> BaseDistribution:
    """Parse a distribution written by :func:`distribution_to_json`."""
    return distribution_from_dict(json.loads(text))


def check_compatible(name: str, old: BaseDistribution, new: BaseDistribution) -> None:
    """Raise if ``new`` redefines parameter ``name`` incompatibly with ``old``.

    As in Optuna, a float may change its range across trials, but not its kind.
    """
    if type(old) is not type(new):
        raise _conflict(name, old, new)
    if isinstance(old, CategoricalDistribution) and old != new:
        raise _conflict(name, old, new)
    if isinstance(old, (FloatDistribution, IntDistribution)) and old.log != new.log:  # type: ignore[union-attr]
        raise _conflict(name, old, new)


def _conflict(name: str, old: BaseDistribution, new: BaseDistribution) -> Exception:
    from hpo_queue.exceptions import ParameterConflictError

    return ParameterConflictError(
        f"Parameter {name!r} was defined as {old} and is now suggested as {new}; "
        "a parameter must keep its kind (and its choices, for a categorical)."
    )
