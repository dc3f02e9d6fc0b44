"""Samplers and pruners written by users (subclasses without ``to_config``), stored by reference.

A user's class is stored as ``{"name": "module:Class", "kwargs": {...}}``, the arguments it
was built with, and rebuilt in another process as objectives are found: from a module already
imported there (the same script), or else only from a module the process allows
(HPO_OBJECTIVE_MODULES). Arguments that are not JSON make the config *not portable*: the
object still works in the process that built it, and ``submit`` says why workers cannot.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Iterable
from typing import Any

from hpo_queue.exceptions import ConfigError, InvalidInputError, ObjectiveNotAllowedError
from hpo_queue.execution.objectives import resolve_class

# The config key that marks a user object whose rebuilding in another process cannot work.
NOT_PORTABLE_KEY = "not_portable"


def record_arguments(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Keep what ``obj`` was constructed with (called from ``__new__``)."""
    try:
        bound = inspect.signature(type(obj)).bind(*args, **kwargs)
        arguments: dict[str, Any] | None = dict(bound.arguments)
    except (TypeError, ValueError):
        arguments = None
    object.__setattr__(obj, "_hq_init_arguments", arguments)


def is_user_reference(name: Any) -> bool:
    return isinstance(name, str) and ":" in name


def user_config(obj: Any) -> dict[str, Any]:
    """The config of a user's sampler or pruner, by reference to its class."""
    cls = type(obj)
    ref = f"{cls.__module__}:{cls.__qualname__}"
    arguments = getattr(obj, "_hq_init_arguments", None)
    problem = None
    if "<" in cls.__qualname__ or "." in cls.__qualname__:
        problem = f"{cls.__qualname__} is not defined at the top level of a module"
    elif cls.__module__ == "__main__":
        problem = f"{cls.__qualname__} is defined in __main__, which workers cannot import"
    elif arguments is None:
        problem = f"the arguments {cls.__qualname__} was built with could not be recorded"
    else:
        try:
            json.dumps(arguments)
        except (TypeError, ValueError):
            problem = f"the arguments {cls.__qualname__} was built with are not JSON"
    config: dict[str, Any] = {"name": ref, "kwargs": arguments if problem is None else {}}
    if problem is not None:
        config[NOT_PORTABLE_KEY] = problem
    return config


def build_user_object(
    config: dict[str, Any], base: type, kind: str, allowed_modules: Iterable[str]
) -> Any:
    """Rebuild a user's object from :func:`user_config` output.

    Raises:
        ConfigError: the config is not portable, or its class cannot be found or is not a
            ``base``.
    """
    ref = config["name"]
    if config.get(NOT_PORTABLE_KEY):
        reason = config[NOT_PORTABLE_KEY]
        raise ConfigError(f"The study's {kind} {ref} cannot be rebuilt here: {reason}.")
    module_name, _, name = ref.partition(":")
    module = sys.modules.get(module_name)
    cls = getattr(module, name, None) if module is not None else None
    if cls is None:
        try:
            cls = resolve_class(ref, allowed_modules, base, kind=kind.capitalize())
        except (ObjectiveNotAllowedError, InvalidInputError) as exc:
            raise ConfigError(f"The study's {kind} {ref} cannot be rebuilt here: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ConfigError(f"The study's {kind} {ref} is not a {base.__name__} subclass.")
    kwargs = config.get("kwargs") or {}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"Bad arguments for {ref}: {exc}.") from None
