"""Pruners: decide from the shared history whether a running trial should stop early."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hpo_queue._registry import build_from_config
from hpo_queue._user_classes import build_user_object, is_user_reference
from hpo_queue.pruners._base import BasePruner
from hpo_queue.pruners._hyperband import HyperbandPruner
from hpo_queue.pruners._median import MedianPruner
from hpo_queue.pruners._nop import NopPruner
from hpo_queue.pruners._patient import PatientPruner
from hpo_queue.pruners._percentile import PercentilePruner
from hpo_queue.pruners._successive_halving import SuccessiveHalvingPruner
from hpo_queue.pruners._threshold import ThresholdPruner
from hpo_queue.pruners._wilcoxon import WilcoxonPruner

__all__ = [
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
    "pruner_from_config",
]

_PRUNERS: dict[str, type[BasePruner]] = {
    cls.__name__: cls
    for cls in (
        HyperbandPruner,
        MedianPruner,
        NopPruner,
        PatientPruner,
        PercentilePruner,
        SuccessiveHalvingPruner,
        ThresholdPruner,
        WilcoxonPruner,
    )
}


def pruner_from_config(config: dict[str, Any], allowed_modules: Iterable[str] = ()) -> BasePruner:
    """Rebuild a pruner from its :meth:`BasePruner.to_config` output.

    Args:
        config: ``{"name": ClassName or alias such as "asha", **kwargs}``.
        allowed_modules: where a user's pruner class (``"module:Class"``) may be imported
            from, if its module is not imported already.

    Returns:
        The pruner, equal to the one that produced ``config``.

    Raises:
        ConfigError: On an unknown name or arguments the pruner does not take.
        InvalidInputError: On arguments outside their range.
    """
    if isinstance(config, dict) and is_user_reference(config.get("name")):
        pruner: BasePruner = build_user_object(config, BasePruner, "pruner", allowed_modules)
        return pruner
    wrapped = config.get("wrapped_pruner") if isinstance(config, dict) else None
    if isinstance(wrapped, dict):  # PatientPruner's, stored as a config of its own
        config = {**config, "wrapped_pruner": pruner_from_config(wrapped, allowed_modules)}
    return build_from_config(config, _PRUNERS, "pruner")
