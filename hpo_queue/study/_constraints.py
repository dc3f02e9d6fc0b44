"""Constraints given at study creation: stored by reference, applied by every process.

A constraints function takes a FrozenTrial and returns a sequence of floats; the trial is
feasible when every value is <= 0 (the Optuna convention). Infeasible trials never become
best, and samplers rank them below feasible ones.

A stored reference is code every process that loads the study will call, so it passes the
objective allowlist (HPO_OBJECTIVE_MODULES, or a function registered explicitly). The one
exception is a function this same process passed to ``create_study``: it is remembered
here, so ``load_study`` in the script that created the study applies it too.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hpo_queue.exceptions import InvalidInputError, ObjectiveNotAllowedError
from hpo_queue.execution.objectives import resolve_objective
from hpo_queue.trial._frozen import FrozenTrial

ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]

_logger = logging.getLogger("hpo_queue.study")

# Constraints functions passed to create_study in this process, by reference.
_passed_here: dict[str, ConstraintsFunc] = {}
_passed_here_lock = threading.Lock()


def constraints_ref(func: ConstraintsFunc) -> str:
    """``module:function`` for a module-level function, which other processes can find.

    The function is remembered for this process, which may apply it to the study later
    without it being in HPO_OBJECTIVE_MODULES.
    """
    if not callable(func):
        raise InvalidInputError(f"constraints_func must be callable, got {func!r}.")
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", "")
    if not module or "<" in qualname or "." in qualname:
        raise InvalidInputError(
            "constraints_func must be a module-level function so that every process and "
            f"worker can apply it; {func!r} is not one."
        )
    ref = f"{module}:{qualname}"
    with _passed_here_lock:
        _passed_here[ref] = func
    return ref


def resolve_constraints(ref: str, allowed_modules: Iterable[str]) -> ConstraintsFunc | None:
    """The stored constraints function, if this process may use it.

    It is the function this process passed to create_study under that reference, or one
    the objective allowlist lets this process run; nothing else is looked up or imported.
    """
    with _passed_here_lock:
        passed = _passed_here.get(ref)
    if passed is not None:
        return passed
    try:
        return resolve_objective(ref, allowed_modules, kind="Constraints function")
    except (ObjectiveNotAllowedError, InvalidInputError) as exc:
        _logger.warning(
            "The study's constraints function %s is not available here (%s); trials finished "
            "by this process are stored without constraint values.",
            ref,
            exc,
        )
        return None


def forget_passed_constraints() -> None:
    """Forget the constraints functions this process passed to create_study (for tests)."""
    with _passed_here_lock:
        _passed_here.clear()


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
