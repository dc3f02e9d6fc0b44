"""Rebuilding samplers and pruners from the JSON config stored with a study."""

from __future__ import annotations

import difflib
import inspect
from typing import Any, TypeVar

from hpo_queue.exceptions import ConfigError, UnsupportedArgumentError

T = TypeVar("T")


def build_from_config(config: dict[str, Any], registry: dict[str, type[T]], kind: str) -> T:
    """Instantiate ``registry[config["name"]](**rest)`` with a clear error on bad config."""
    if not isinstance(config, dict) or "name" not in config:
        raise ConfigError(f"A {kind} config must be a JSON object with a 'name'; got {config!r}.")
    kwargs = dict(config)
    name = kwargs.pop("name")
    if not isinstance(name, str):
        raise ConfigError(f"A {kind} config's 'name' must be a string, got {name!r}.")
    cls = registry.get(name) or registry.get(_ALIASES.get(str(name).lower(), ""))
    if cls is None:
        raise ConfigError(_unknown(kind, name, registry))
    try:
        inspect.signature(cls).bind(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"Bad arguments for {name}: {exc}.") from None
    try:
        return cls(**kwargs)
    except UnsupportedArgumentError as exc:  # a signature that takes **kwargs to name them
        raise ConfigError(f"Bad arguments for {name}: {exc}") from None


def _unknown(kind: str, name: str, registry: dict[str, Any]) -> str:
    """ "Unknown sampler 'tpee'; did you mean 'tpe'? Known: ...", short names included."""
    short = sorted(alias for alias, target in _ALIASES.items() if target in registry)
    close = difflib.get_close_matches(name.lower(), short, n=1) or difflib.get_close_matches(
        name, list(registry), n=1
    )
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return f"Unknown {kind} {name!r}{hint} Known: {', '.join(short + sorted(registry))}."


_ALIASES = {
    "tpe": "TPESampler",
    "random": "RandomSampler",
    "grid": "GridSampler",
    "nsga2": "NSGAIISampler",
    "nsgaii": "NSGAIISampler",
    "gp": "GPSampler",
    "cmaes": "CmaEsSampler",
    "cma-es": "CmaEsSampler",
    "qmc": "QMCSampler",
    "auto": "AutoSampler",
    "median": "MedianPruner",
    "percentile": "PercentilePruner",
    "asha": "SuccessiveHalvingPruner",
    "successivehalving": "SuccessiveHalvingPruner",
    "hyperband": "HyperbandPruner",
    "threshold": "ThresholdPruner",
    "nop": "NopPruner",
    "none": "NopPruner",
}
