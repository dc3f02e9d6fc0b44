"""Constraints given at study creation: stored by reference, applied by every process.

A constraints function takes a FrozenTrial and returns a sequence of floats; the trial is
feasible when every value is <= 0 (the Optuna convention). Infeasible trials never become
best, and samplers rank them below feasible ones.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hpo_queue.exceptions import InvalidInputError, ObjectiveNotAllowedError
from hpo_queue.trial._frozen import FrozenTrial

ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]

_logger = logging.getLogger("hpo_queue.study")


def constraints_ref(func: ConstraintsFunc) -> str:
    """``module:function`` for a module-level function, which other processes can find."""
    if not callable(func):
        raise InvalidInputError(f"constraints_func must be callable, got {func!r}.")
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", "")
    if not module or "<" in qualname or "." in qualname:
        raise InvalidInputError(
            "constraints_func must be a module-level function so that every process and "
            f"worker can apply it; {func!r} is not one."
        )
    return f"{module}:{qualname}"


def resolve_constraints(ref: str, allowed_modules: Iterable[str]) -> ConstraintsFunc | None:
    """The stored constraints function, if this process may use it.

    It is found without importing anything new when its module is already loaded (the
    seed flow: every process runs the same script); otherwise only from an allowed module.
    """
    module_name, _, name = ref.partition(":")
    module = sys.modules.get(module_name)
    if module is not None and callable(getattr(module, name, None)):
        return getattr(module, name)
    from hpo_queue.execution.objectives import resolve_objective

    try:
        return resolve_objective(ref, allowed_modules)
    except (ObjectiveNotAllowedError, InvalidInputError) as exc:
        _logger.warning(
            "The study's constraints function %s is not available here (%s); trials finished "
            "by this process are stored without constraint values.",
            ref,
            exc,
        )
        return None


def evaluate_constraints(func: ConstraintsFunc, trial: FrozenTrial) -> list[float]:
    """Call ``func`` and check it returned finite-or-infinite numbers, none NaN."""
    result: Any = func(trial)
    if isinstance(result, (str, bytes)) or not isinstance(result, Sequence):
        raise InvalidInputError(
            f"constraints_func must return a sequence of numbers, got {result!r}."
        )
    values = []
    for item in result:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise InvalidInputError(f"Constraint value {item!r} is not a number.")
        if math.isnan(item):
            raise InvalidInputError("constraints_func returned NaN.")
        values.append(float(item))
    return values
