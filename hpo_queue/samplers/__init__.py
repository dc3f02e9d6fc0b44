"""Samplers: what to try next, as pure functions of a study's trial history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hpo_queue._registry import build_from_config
from hpo_queue._user_classes import build_user_object, is_user_reference
from hpo_queue.samplers._auto import AutoSampler
from hpo_queue.samplers._base import SAMPLER_METHOD_KEY, BaseSampler
from hpo_queue.samplers._cmaes import CmaEsSampler
from hpo_queue.samplers._gp import GPSampler
from hpo_queue.samplers._grid import GridSampler
from hpo_queue.samplers._nsga2 import NSGAIISampler
from hpo_queue.samplers._qmc import QMCSampler
from hpo_queue.samplers._random import RandomSampler
from hpo_queue.samplers._tpe import TPESampler

_REGISTRY: dict[str, type[BaseSampler]] = {
    "RandomSampler": RandomSampler,
    "TPESampler": TPESampler,
    "GridSampler": GridSampler,
    "GPSampler": GPSampler,
    "CmaEsSampler": CmaEsSampler,
    "NSGAIISampler": NSGAIISampler,
    "QMCSampler": QMCSampler,
    "AutoSampler": AutoSampler,
}


def sampler_from_config(config: dict[str, Any], allowed_modules: Iterable[str] = ()) -> BaseSampler:
    """Rebuild a sampler from its :meth:`~BaseSampler.to_config` output.

    Args:
        allowed_modules: where a user's sampler class (``"module:Class"``) may be imported
            from, if its module is not imported already.

    Raises:
        ConfigError: The name is unknown or the arguments do not fit.
    """
    if isinstance(config, dict) and is_user_reference(config.get("name")):
        sampler: BaseSampler = build_user_object(config, BaseSampler, "sampler", allowed_modules)
        return sampler
    return build_from_config(config, _REGISTRY, "sampler")


__all__ = [
    "SAMPLER_METHOD_KEY",
    "AutoSampler",
    "BaseSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIISampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "sampler_from_config",
]
