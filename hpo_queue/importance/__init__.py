"""Parameter importances, with Optuna's names: ``get_param_importances`` and its evaluators.

::

    importances = hpo_queue.importance.get_param_importances(study)  # fANOVA by default
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_queue._target import Target
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.importance._base import BaseImportanceEvaluator
from hpo_queue.importance._correlation_ratio import (
    CorrelationRatioImportanceEvaluator,
    param_importances,
)
from hpo_queue.importance._fanova import FanovaImportanceEvaluator
from hpo_queue.importance._mean_decrease_impurity import MeanDecreaseImpurityImportanceEvaluator
from hpo_queue.importance._unsupported import PedAnovaImportanceEvaluator

if TYPE_CHECKING:
    from hpo_queue.study import Study


def get_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    target: Target | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Each parameter's importance over the study's COMPLETE trials, most important first.

    Args:
        study: the study.
        evaluator: how to score; :class:`FanovaImportanceEvaluator` by default (Optuna 5's
            default, PED-ANOVA, is not built).
        params: the parameters to score; by default those every completed trial has.
        target: the value to explain; required for a multi-objective study.
        normalize: scale the importances to sum to 1 (equal shares if all are 0).

    Raises:
        InvalidInputError: ``evaluator`` is not an importance evaluator, or bad
            ``params``/``target`` (see :class:`BaseImportanceEvaluator`).
    """
    if evaluator is None:
        evaluator = FanovaImportanceEvaluator()
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise InvalidInputError(
            f"evaluator must be an importance evaluator such as FanovaImportanceEvaluator(), "
            f"got {type(evaluator).__name__}."
        )
    scores = evaluator.evaluate(study, params=params, target=target)
    if not normalize or not scores:
        return scores
    total = sum(scores.values())
    if total <= 0.0:
        return {name: 1.0 / len(scores) for name in scores}
    return {name: score / total for name, score in scores.items()}


__all__ = [
    "BaseImportanceEvaluator",
    "CorrelationRatioImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
    "param_importances",
]
