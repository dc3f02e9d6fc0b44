"""Which objectives a worker may run: the module allowlist, explicit registration, and refs.

A task message names its objective as a ``"module:function"`` string. A worker imports
that module only if it is allowed (listed in HPO_OBJECTIVE_MODULES, a submodule of one
listed, or registered explicitly); anything else is refused before any import happens.
Every other function a study names by reference (its constraints function) passes the
same check, and so do a user's sampler and pruner classes. In an allowed module only public
functions (or, for those, classes) defined there may run: no imported names (``from os
import system``) or names starting with an underscore.
"""

from __future__ import annotations

import importlib
import inspect
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from hpo_queue.exceptions import InvalidInputError, ObjectiveNotAllowedError

MAX_REF_LENGTH = 300
_MODULE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_registered: dict[str, Callable[..., Any]] = {}
_registered_lock = threading.Lock()


def objective_ref(objective: str | Callable[..., Any]) -> str:
    """The ``"module:function"`` reference a task carries for ``objective``.

    Raises:
        InvalidInputError: a lambda, a nested function, or one defined in ``__main__``
            (workers cannot import those), or a malformed string.
    """
    if isinstance(objective, str):
        parse_objective_ref(objective)
        return objective
    if not callable(objective):
        raise InvalidInputError(
            f"An objective must be a function or 'module:function', got {objective!r}."
        )
    module = getattr(objective, "__module__", None)
    qualname = getattr(objective, "__qualname__", None)
    if not module or not qualname or "<" in qualname or "." in qualname:
        raise InvalidInputError(
            f"Workers can only run module-level functions; {objective!r} is not one. "
            "Define it at the top level of a module the workers can import."
        )
    if module == "__main__":
        raise InvalidInputError(
            f"{qualname} is defined in __main__, which workers cannot import; move it to a "
            "module (e.g. foo.py) and submit 'foo:" + qualname + "'."
        )
    ref = f"{module}:{qualname}"
    parse_objective_ref(ref)
    return ref


def parse_objective_ref(ref: Any) -> tuple[str, str]:
    """Split ``"module:function"`` into its parts, checking type, size and characters.

    Raises:
        InvalidInputError: not a string of that shape.
    """
    if not isinstance(ref, str):
        raise InvalidInputError(
            f"An objective reference must be a string, got {type(ref).__name__}."
        )
    if len(ref) > MAX_REF_LENGTH:
        raise InvalidInputError(
            f"An objective reference is at most {MAX_REF_LENGTH} characters; got {len(ref)}."
        )
    module, sep, name = ref.partition(":")
    if not sep or not _MODULE_PATTERN.fullmatch(module) or not _NAME_PATTERN.fullmatch(name):
        raise InvalidInputError(
            f"Objective reference {ref!r} is not of the form 'package.module:function'."
        )
    return module, name


def register_objective(objective: Callable[..., Any], name: str | None = None) -> str:
    """Allow this process to run ``objective`` under ``name`` (default: its module:function).

    Registration allows exactly that function, not the rest of its module.
    """
    ref = name if name is not None else objective_ref(objective)
    parse_objective_ref(ref)
    with _registered_lock:
        _registered[ref] = objective
    return ref


def unregister_all() -> None:
    """Forget every explicit registration (for tests)."""
    with _registered_lock:
        _registered.clear()


def is_module_allowed(module: str, allowed_modules: Iterable[str]) -> bool:
    """True if ``module`` is one of ``allowed_modules`` or inside one of those packages."""
    return any(module == allowed or module.startswith(allowed + ".") for allowed in allowed_modules)


def resolve_objective(
    ref: Any, allowed_modules: Iterable[str], *, kind: str = "Objective"
) -> Callable[..., Any]:
    """The function ``ref`` names, if this worker may run it.

    The allowlist is checked before the module is imported, so a refused reference never
    runs any of its module's code.

    Args:
        ref: ``"module:function"``.
        allowed_modules: the modules (and their submodules) functions may come from.
        kind: what the function is for, as the messages name it ("Objective",
            "Constraints function").

    Raises:
        InvalidInputError: ``ref`` is malformed.
        ObjectiveNotAllowedError: its module is not allowed, or it is not a public function
            defined there.
    """
    with _registered_lock:
        registered = _registered.get(ref) if isinstance(ref, str) else None
    if registered is not None:
        return registered
    module_name, function_name, function = _allowed_attribute(ref, allowed_modules, kind)
    # A name imported into the module (os.system), a class or a callable object is not the
    # module's own function: allowing the module allows only what it defines.
    if not inspect.isfunction(function) or function.__module__ != module_name:
        raise ObjectiveNotAllowedError(
            f"{kind} {ref!r} refused: {function_name!r} is not a function defined in "
            f"{module_name}; only functions defined in an allowed module may run."
        )
    return function


def resolve_class(ref: Any, allowed_modules: Iterable[str], base: type, *, kind: str) -> type:
    """The ``base`` subclass ``ref`` names (a user's sampler or pruner), if this worker may
    build it: the same allowlist as objectives, and only a class defined in that module.

    Raises:
        InvalidInputError: ``ref`` is malformed.
        ObjectiveNotAllowedError: its module is not allowed, or it is not a public
            ``base`` subclass defined there.
    """
    module_name, class_name, cls = _allowed_attribute(ref, allowed_modules, kind, "class")
    if not (isinstance(cls, type) and issubclass(cls, base) and cls.__module__ == module_name):
        raise ObjectiveNotAllowedError(
            f"{kind} {ref!r} refused: {class_name!r} is not a {base.__name__} subclass "
            f"defined in {module_name}."
        )
    return cls


def _allowed_attribute(
    ref: Any, allowed_modules: Iterable[str], kind: str, what: str = "function"
) -> tuple[str, str, Any]:
    """Module name, attribute name and attribute of ``ref``, after the allowlist lets it in."""
    module_name, attribute = parse_objective_ref(ref)
    allowed = tuple(allowed_modules)
    if not is_module_allowed(module_name, allowed):
        listed = ", ".join(allowed) if allowed else "none"
        raise ObjectiveNotAllowedError(
            f"{kind} {ref!r} refused: module {module_name!r} is not in this worker's "
            f"allowed objective modules ({listed}). Add it to HPO_OBJECTIVE_MODULES on the "
            "workers, or register the function explicitly."
        )
    if attribute.startswith("_"):
        raise ObjectiveNotAllowedError(
            f"{kind} {ref!r} refused: names starting with an underscore are private; "
            "give it a public name."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ObjectiveNotAllowedError(
            f"{kind} {ref!r}: module {module_name!r} cannot be imported on this worker "
            f"({exc}); start the worker where it is importable."
        ) from None
    value = getattr(module, attribute, None)
    if value is None:
        raise ObjectiveNotAllowedError(
            f"{kind} {ref!r}: {module_name} has no {what} {attribute!r}."
        )
    return module_name, attribute, value
