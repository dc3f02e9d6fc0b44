"""What the forest-based evaluators share: Optuna's arguments, the fit, the read-out hook."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

import numpy as np

from hpo_queue._target import Target
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.importance._base import BaseImportanceEvaluator, importance_table, sort_by_importance
from hpo_queue.importance._forest import TreePartition, fit_forest

if TYPE_CHECKING:
    from hpo_queue.study import Study


class ForestImportanceEvaluator(BaseImportanceEvaluator):
    """Fits a random forest to the trials, then reads each parameter's share off its trees.

    Args:
        n_trees: trees in the forest.
        max_depth: the deepest a tree grows.
        seed: the forest's bootstrap and tie-breaking seed.
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        owner = type(self).__name__
        for name, value, most in (("n_trees", n_trees, 10_000), ("max_depth", max_depth, 1_000)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
                raise InvalidInputError(
                    f"{owner}: {name} must be an integer from 1 to {most}, got {value!r}."
                )
        self._n_trees, self._max_depth, self._seed = n_trees, max_depth, seed

    @abc.abstractmethod
    def _shares(self, trees: list[TreePartition], bounds: np.ndarray) -> np.ndarray | None:
        """Each parameter's share read off the fitted trees (None: nothing to read)."""

    def evaluate(
        self, study: Study, params: list[str] | None = None, *, target: Target | None = None
    ) -> dict[str, float]:
        table = importance_table(study, params, target, type(self).__name__)
        scores = dict.fromkeys(table.names + table.constant, 0.0)
        if len(table.y) >= 2 and table.names:
            trees = fit_forest(
                table.x,
                table.y,
                table.bounds,
                n_trees=self._n_trees,
                max_depth=self._max_depth,
                seed=self._seed,
            )
            shares = self._shares(trees, table.bounds)
            if shares is not None:
                scores.update(zip(table.names, (float(s) for s in shares), strict=True))
        return sort_by_importance(scores)
