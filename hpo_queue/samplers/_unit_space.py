"""UnitSpace: a search space mapped to the unit cube, shared by the GP, CMA-ES and QMC samplers.

Numeric parameters become one column in [0, 1] (log parameters in log space; ints and
stepped floats padded by half a step on each side, so every grid value owns an equal width);
a categorical parameter becomes one column holding its choice index (the GP's categorical
kernel compares indices for equality; QMC and CMA-ES read a column in [0, 1) as a choice).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    IntDistribution,
)
from hpo_queue.samplers._tpe._search_space import internal_value
from hpo_queue.trial._frozen import FrozenTrial


class UnitSpace:
    """Encodes params of ``search_space`` (sorted by name) to rows of floats and back."""

    def __init__(self, search_space: dict[str, BaseDistribution]) -> None:
        self.names = sorted(search_space)
        self.distributions = [search_space[n] for n in self.names]
        self.is_categorical = np.array(
            [isinstance(d, CategoricalDistribution) for d in self.distributions], dtype=bool
        )
        self.n_choices = np.array(
            [
                len(d.choices) if isinstance(d, CategoricalDistribution) else 0
                for d in self.distributions
            ]
        )
        self._low: list[float] = []
        self._width: list[float] = []
        for d in self.distributions:
            low, high = _padded_bounds(d)
            self._low.append(float(low))
            self._width.append(max(float(high) - float(low), 1e-300))

    @property
    def dim(self) -> int:
        return len(self.names)

    def encode(self, params: dict[str, Any]) -> np.ndarray | None:
        """One row, or None when a parameter is missing or outside its distribution."""
        values = self._encode(params)
        return None if values is None else np.array(values, dtype=float)

    def _encode(self, params: dict[str, Any]) -> list[float] | None:
        values = []
        for name, dist, low, width in zip(
            self.names, self.distributions, self._low, self._width, strict=True
        ):
            if name not in params:
                return None
            internal = internal_value(dist, params[name])
            if internal is None:
                return None
            if isinstance(dist, CategoricalDistribution):
                values.append(internal)
            else:
                t = math.log(internal) if dist.log else internal
                values.append((t - low) / width)
        return values

    def encode_trials(self, trials: Sequence[FrozenTrial]) -> tuple[np.ndarray, list[int]]:
        """Rows of the trials holding every parameter, and their positions in ``trials``."""
        rows, kept = [], []
        for position, trial in enumerate(trials):
            values = self._encode(trial.params)
            if values is not None:
                rows.append(values)
                kept.append(position)
        return np.array(rows, dtype=float).reshape(len(rows), self.dim), kept

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """External values for one row (categorical columns hold choice indices)."""
        params: dict[str, Any] = {}
        for i, (name, dist) in enumerate(zip(self.names, self.distributions, strict=True)):
            if isinstance(dist, CategoricalDistribution):
                index = int(np.clip(round(float(row[i])), 0, len(dist.choices) - 1))
                params[name] = dist.to_external(index)
            else:
                t = self._low[i] + float(np.clip(row[i], 0.0, 1.0)) * self._width[i]
                params[name] = _snap(dist, math.exp(t) if dist.log else t)
        return params

    def decode_unit(self, row: np.ndarray) -> dict[str, Any]:
        """External values for a point of [0, 1]^d, categorical columns read as fractions."""
        indexed = np.array(row, dtype=float)
        cat = self.is_categorical
        indexed[cat] = np.minimum(
            np.floor(indexed[cat] * self.n_choices[cat]), self.n_choices[cat] - 1
        )
        return self.decode(indexed)

    def round_row(self, row: np.ndarray) -> np.ndarray:
        """The encoded point that :meth:`decode` of ``row`` gives (grid and choice rounding)."""
        encoded = self.encode(self.decode(row))
        assert encoded is not None
        return encoded


def _padded_bounds(dist: BaseDistribution) -> tuple[float, float]:
    if isinstance(dist, CategoricalDistribution):
        return 0.0, 1.0
    low, high = float(dist.low), float(dist.high)
    step = dist.step
    if step is not None:
        # Each grid value owns [v - step / 2, v + step / 2].
        low, high = low - 0.5 * step, high + 0.5 * step
    if getattr(dist, "log", False):
        return math.log(low), math.log(high)
    return low, high


def _snap(dist: BaseDistribution, value: float) -> Any:
    """The nearest value ``dist`` holds (grid rounding, clipped to the range)."""
    assert not isinstance(dist, CategoricalDistribution)
    if isinstance(dist, IntDistribution):
        k = round((value - dist.low) / dist.step)
        snapped = dist.low + dist.step * k
        return int(min(max(snapped, dist.low), dist.high))
    if dist.step is not None:
        k = round((value - dist.low) / dist.step)
        return float(min(max(dist.low + dist.step * k, dist.low), dist.high))
    return float(min(max(value, dist.low), dist.high))
