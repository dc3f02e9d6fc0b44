"""GridSampler: every point of a Cartesian grid exactly once, safely across workers."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from hpo_queue.distributions import BaseDistribution
from hpo_queue.exceptions import InvalidInputError, SearchSpaceExhausted
from hpo_queue.samplers._base import BaseSampler
from hpo_queue.samplers._random import check_seed
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

_FIXED_PARAMS_KEY = "fixed_params"


def _check_grid_value(name: str, value: Any) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float) and math.isfinite(value):
        return
    raise InvalidInputError(
        f"Grid values of {name!r} must be None, bool, int, finite float or str; got {value!r}."
    )


def _value_key(value: Any) -> tuple[str, Any]:
    # 1 and 1.0 are the same grid value (a float param stores 1.0), but True is not 1.
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    return (type(value).__name__, value)


class GridSampler(BaseSampler):
    """Tries each point of the grid ``search_space`` once, then raises SearchSpaceExhausted.

    Points are handed out in :meth:`fixed_params_for_new_trial`, under the study lock, so
    parallel workers never get the same point. A point counts as used while any trial that
    did not FAIL holds it; a FAILed trial's point is handed out again.

    Args:
        search_space: Parameter name -> the list of values to try.
        seed: If given, visit the points in an order shuffled by this seed (else grid order).
    """

    def __init__(self, search_space: dict[str, list[Any]], seed: int | None = None) -> None:
        if not isinstance(search_space, dict) or not search_space:
            raise InvalidInputError("search_space must be a non-empty dict of name -> values.")
        grid: dict[str, list[Any]] = {}
        for name in sorted(search_space):
            values = search_space[name]
            if not isinstance(name, str):
                raise InvalidInputError(f"Grid parameter names must be strings, got {name!r}.")
            if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
                raise InvalidInputError(f"Grid values of {name!r} must be a list, got {values!r}.")
            if len(values) == 0:
                raise InvalidInputError(f"Grid values of {name!r} must not be empty.")
            for value in values:
                _check_grid_value(name, value)
            grid[name] = list(values)
        self.search_space = grid
        self.seed = check_seed(seed)
        self._names = list(grid)
        self._points = list(itertools.product(*grid.values()))
        order = np.arange(len(self._points))
        if self.seed is not None:
            order = np.random.default_rng(self.seed).permutation(len(self._points))
        self._order = [int(i) for i in order]
        self._index_of: dict[tuple[tuple[str, Any], ...], int] = {}
        for index, point in enumerate(self._points):
            self._index_of.setdefault(tuple(_value_key(v) for v in point), index)

    @property
    def n_points(self) -> int:
        return len(self._points)

    def to_config(self) -> dict[str, Any]:
        return {"name": "GridSampler", "search_space": self.search_space, "seed": self.seed}

    def fixed_params_for_new_trial(self, history: TrialHistory) -> dict[str, Any] | None:
        used = {
            index
            for t in history.trials
            if t.state != TrialState.FAIL and (index := self._grid_index(t)) is not None
        }
        for index in self._order:
            if index not in used:
                return dict(zip(self._names, self._points[index], strict=True))
        raise SearchSpaceExhausted(
            f"The grid is exhausted: all {self.n_points} points are taken by trials that did "
            "not fail."
        )

    def _grid_index(self, trial: FrozenTrial) -> int | None:
        """The grid point a trial holds, from its fixed params (or its params), if any."""
        fixed = trial.system_attrs.get(_FIXED_PARAMS_KEY)
        source = fixed if isinstance(fixed, dict) else trial.params
        try:
            key = tuple(_value_key(source[name]) for name in self._names)
        except (KeyError, TypeError):
            if source is trial.params:
                return None
            return self._grid_index_from_params(trial)
        return self._index_of.get(key)

    def _grid_index_from_params(self, trial: FrozenTrial) -> int | None:
        try:
            key = tuple(_value_key(trial.params[name]) for name in self._names)
        except (KeyError, TypeError):
            return None
        return self._index_of.get(key)

    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        if name not in self.search_space:
            raise InvalidInputError(
                f"Parameter {name!r} is not in the GridSampler's search space "
                f"({', '.join(self._names)}); add it to the grid."
            )
        fixed = trial.system_attrs.get(_FIXED_PARAMS_KEY)
        if isinstance(fixed, dict) and name in fixed:
            value = fixed[name]
        elif name in trial.params:
            value = trial.params[name]
        else:
            # The trial was created without its grid point (not through the study): take the
            # first free one, which is not safe against parallel workers.
            others = TrialHistory(
                history.directions, [t for t in history.trials if t.number != trial.number]
            )
            params = self.fixed_params_for_new_trial(others)
            assert params is not None
            value = params[name]
        return distribution.validate_value(value)
