"""Optuna's importance evaluators that hpo-queue does not build, refused by name."""

from __future__ import annotations

from typing import Any, NoReturn

from hpo_queue.exceptions import UnsupportedArgumentError


class PedAnovaImportanceEvaluator:
    """Optuna's PED-ANOVA; not built in hpo-queue: constructing it raises a named error."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        _refuse()


def _refuse() -> NoReturn:
    raise UnsupportedArgumentError(
        "PedAnovaImportanceEvaluator is not supported by hpo-queue: use "
        "FanovaImportanceEvaluator (the default of get_param_importances), "
        "MeanDecreaseImpurityImportanceEvaluator or CorrelationRatioImportanceEvaluator."
    )
