"""GridSampler: every point of a Cartesian grid exactly once, safely across workers.

The grid is never built: a point is its index in the Cartesian product (the last parameter
varying fastest), decoded digit by digit, so a small config naming 100**4 points costs a few
kilobytes, not the gigabytes of the product.
"""

from __future__ import annotations

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
# Up to this many points a seed shuffles the whole grid; beyond, the order is a seeded
# stride through it (an exact shuffle would hold the whole order in memory).
_MAX_SHUFFLED_POINTS = 100_000


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
        self._sizes = [len(values) for values in grid.values()]
        self._n_points = math.prod(self._sizes)
        # value key -> its first position in each parameter's list (a repeated value is
        # the first point that has it, as itertools.product would list it first).
        self._position_of: list[dict[tuple[str, Any], int]] = []
        for values in grid.values():
            positions: dict[tuple[str, Any], int] = {}
            for position, value in enumerate(values):
                positions.setdefault(_value_key(value), position)
            self._position_of.append(positions)
        self._shuffled: np.ndarray | None = None
        self._stride, self._offset = 1, 0
        if self.seed is not None:
            rng = np.random.default_rng(self.seed)
            if self._n_points <= _MAX_SHUFFLED_POINTS:
                self._shuffled = rng.permutation(self._n_points)
            else:
                self._stride, self._offset = _seeded_stride(rng, self._n_points)

    @property
    def n_points(self) -> int:
        return self._n_points

    def _index_at(self, position: int) -> int:
        """The index of the point visited ``position``-th."""
        if self._shuffled is not None:
            return int(self._shuffled[position])
        return (self._stride * position + self._offset) % self._n_points

    def _point(self, index: int) -> dict[str, Any]:
        digits = []
        for size in reversed(self._sizes):
            index, digit = divmod(index, size)
            digits.append(digit)
        digits.reverse()
        return {
            name: self.search_space[name][digit]
            for name, digit in zip(self._names, digits, strict=True)
        }

    def _index_of(self, key: tuple[tuple[str, Any], ...]) -> int | None:
        index = 0
        for positions, size, value_key in zip(self._position_of, self._sizes, key, strict=True):
            position = positions.get(value_key)
            if position is None:
                return None
            index = index * size + position
        return index

    def to_config(self) -> dict[str, Any]:
        return {"name": "GridSampler", "search_space": self.search_space, "seed": self.seed}

    def fixed_params_for_new_trial(self, history: TrialHistory) -> dict[str, Any] | None:
        used = {
            index
            for t in history.trials
            if t.state != TrialState.FAIL and (index := self._grid_index(t)) is not None
        }
        # At most len(used) + 1 steps: the order is a permutation of the points.
        for position in range(self._n_points):
            index = self._index_at(position)
            if index not in used:
                return self._point(index)
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
        return self._index_of(key)

    def _grid_index_from_params(self, trial: FrozenTrial) -> int | None:
        try:
            key = tuple(_value_key(trial.params[name]) for name in self._names)
        except (KeyError, TypeError):
            return None
        return self._index_of(key)

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


def _seeded_stride(rng: np.random.Generator, n_points: int) -> tuple[int, int]:
    """A stride coprime with ``n_points`` and an offset: ``i -> (stride*i + offset) % n``
    visits every point once."""
    while True:
        stride = int(rng.integers(1, min(n_points, 2**62)))
        if math.gcd(stride, n_points) == 1:
            return stride, int(rng.integers(0, min(n_points, 2**62)))
