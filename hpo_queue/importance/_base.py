"""The importance evaluator interface and the table of trials every evaluator reads."""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hpo_queue._target import Target, resolve_target
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.search_space import intersection_search_space
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.study import Study


class BaseImportanceEvaluator(abc.ABC):
    """Scores how much each parameter matters to the objective, as Optuna's evaluators do."""

    @abc.abstractmethod
    def evaluate(
        self, study: Study, params: list[str] | None = None, *, target: Target | None = None
    ) -> dict[str, float]:
        """Each parameter's importance (non-negative), most important first.

        Args:
            study: the study whose COMPLETE trials are read.
            params: the parameters to score; by default those every completed trial has.
            target: the value to explain; by default the objective (required for a
                multi-objective study).
        """


@dataclass(frozen=True)
class ImportanceTable:
    """The trials as numbers: ``x[i, j]`` is trial i's parameter ``names[j]``, encoded.

    A log parameter is encoded as its log10, a categorical one as its choice's index;
    ``bounds[j]`` is the (low, high) of parameter j's whole range in that encoding, and
    ``constant`` lists the requested parameters whose distribution has a single value.
    """

    names: list[str]
    constant: list[str]
    x: np.ndarray
    y: np.ndarray
    bounds: np.ndarray


def _distributions(
    completed: Sequence[FrozenTrial], params: list[str] | None
) -> dict[str, BaseDistribution]:
    if params is None:
        return intersection_search_space(completed)
    if not isinstance(params, (list, tuple)) or not all(isinstance(p, str) for p in params):
        raise InvalidInputError(f"params must be a list of parameter names, got {params!r}.")
    having = [t for t in completed if all(p in t.distributions for p in params)]
    if params and not having:
        raise InvalidInputError(
            f"No completed trial has all of the parameters {list(params)}; check their names."
        )
    first = {p: having[0].distributions[p] for p in params} if having else {}
    for trial in having:
        if any(trial.distributions[p] != d for p, d in first.items()):
            raise InvalidInputError(
                f"The parameters {list(params)} changed their distributions during the study; "
                "importances need one search space."
            )
    return dict(sorted(first.items()))


def _encode(value: object, distribution: BaseDistribution) -> float:
    if isinstance(distribution, CategoricalDistribution):
        return distribution.to_internal(value)  # type: ignore[arg-type]
    number = float(value)  # type: ignore[arg-type]
    if isinstance(distribution, (FloatDistribution, IntDistribution)) and distribution.log:
        return math.log10(number)
    return number


def _bounds(distribution: BaseDistribution) -> tuple[float, float]:
    if isinstance(distribution, CategoricalDistribution):
        return -0.5, len(distribution.choices) - 0.5
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    return _encode(distribution.low, distribution), _encode(distribution.high, distribution)


def importance_table(
    study: Study, params: list[str] | None, target: Target | None, owner: str
) -> ImportanceTable:
    """The COMPLETE trials that have every parameter scored and a finite target value.

    Raises:
        InvalidInputError: a multi-objective study without ``target``, ``params`` not a list
            of names, or names no completed trial has.
    """
    value_of = resolve_target(study.directions, target, owner)
    completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    distributions = _distributions(completed, params)
    varying = {n: d for n, d in distributions.items() if not d.single()}
    rows, ys = [], []
    for trial in completed:
        if not set(distributions) <= set(trial.params):
            continue
        y = float(value_of(trial))
        if not math.isfinite(y):
            continue
        rows.append([_encode(trial.params[n], d) for n, d in varying.items()])
        ys.append(y)
    bounds = np.array([_bounds(d) for d in varying.values()], dtype=float).reshape(-1, 2)
    x = np.array(rows, dtype=float).reshape(len(rows), len(varying))
    return ImportanceTable(
        names=list(varying),
        constant=[n for n in distributions if n not in varying],
        x=np.clip(x, bounds[:, 0], bounds[:, 1]) if len(rows) else x,
        y=np.array(ys, dtype=float),
        bounds=bounds,
    )


def sort_by_importance(importances: dict[str, float]) -> dict[str, float]:
    """Most important first; ties by name."""
    return dict(sorted(importances.items(), key=lambda item: (-item[1], item[0])))
