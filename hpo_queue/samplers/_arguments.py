"""Argument checks and conventions shared by the GP, CMA-ES, NSGA-II and default samplers."""

from __future__ import annotations

import math
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError


def loss_sign(direction: StudyDirection) -> float:
    """The factor that turns an objective value into a loss to minimize."""
    return -1.0 if direction == StudyDirection.MAXIMIZE else 1.0


def check_int(name: str, value: Any, minimum: int) -> int:
    """Validate an integer argument (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return value


def check_no_constraints_func(constraints_func: Any) -> None:
    """Samplers read stored constraint values; the function belongs to the study."""
    if constraints_func is not None:
        raise InvalidInputError(
            "Pass constraints_func to create_study(..., constraints_func=f), not to the "
            "sampler: the study applies it in every process and stores the values, which "
            "every sampler reads."
        )


def check_float(name: str, value: Any, minimum: float) -> float:
    """Validate a finite real argument (bools refused)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < minimum
    ):
        raise InvalidInputError(f"{name} must be a number >= {minimum}, got {value!r}.")
    return float(value)
