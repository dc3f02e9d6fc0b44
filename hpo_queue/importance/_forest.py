"""A small random forest of regression trees in numpy, kept as the boxes its leaves cover.

fANOVA and mean-decrease-impurity need only each tree's partition of the search space (a
box and a mean per leaf) and the impurity each split removed, so no prediction code exists.
As in a scikit-learn random forest regressor: bootstrap samples, every feature tried at
each split, the split that most lowers the squared error, leaves grown to one sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Each tree sees at most this many bootstrap rows (scikit-learn's max_samples): the forest's
# cost stops growing with the study, and 1000 trials pin a main effect down well.
MAX_BOOTSTRAP_ROWS = 1000


@dataclass(frozen=True)
class TreePartition:
    """One tree: leaf ``i`` covers ``lows[i, j] <= x_j < highs[i, j]`` and predicts
    ``values[i]``; ``gains[j]`` is the squared error removed by the splits on feature j."""

    lows: np.ndarray
    highs: np.ndarray
    values: np.ndarray
    gains: np.ndarray


def _best_split(
    x: np.ndarray, y: np.ndarray, features: np.ndarray
) -> tuple[int, float, float] | None:
    """(feature, threshold, squared error removed) of the best split, None if none helps."""
    m = len(y)
    columns = x[:, features]
    order = np.argsort(columns, axis=0, kind="stable")
    xs = np.take_along_axis(columns, order, axis=0)
    ys = y[order]
    csum = np.cumsum(ys, axis=0)[:-1]
    csq = np.cumsum(ys * ys, axis=0)[:-1]
    total, total_sq = float(y.sum()), float((y * y).sum())
    n_left = np.arange(1, m, dtype=float)[:, None]
    n_right = m - n_left
    sse = (csq - csum**2 / n_left) + ((total_sq - csq) - (total - csum) ** 2 / n_right)
    sse = np.where(xs[1:] > xs[:-1], sse, np.inf)  # split only between distinct values
    position, column = np.unravel_index(int(np.argmin(sse)), sse.shape)
    gain = (total_sq - total**2 / m) - float(sse[position, column])
    if not np.isfinite(sse[position, column]) or gain <= 1e-12 * max(total_sq, 1e-300):
        return None
    threshold = 0.5 * (xs[position, column] + xs[position + 1, column])
    return int(features[column]), float(threshold), gain


def fit_tree(
    x: np.ndarray, y: np.ndarray, bounds: np.ndarray, max_depth: int, rng: np.random.Generator
) -> TreePartition:
    """Grow one tree on all the rows given; ``bounds`` (d, 2) is the box the root covers."""
    d = x.shape[1]
    lows, highs, values = [], [], []
    gains = np.zeros(d)
    stack = [(np.arange(len(y)), bounds[:, 0].copy(), bounds[:, 1].copy(), 0)]
    while stack:
        rows, low, high, depth = stack.pop()
        split = None
        node_y = y[rows]
        # A node of equal values (often bootstrap copies of one trial) has no split to find.
        if depth < max_depth and len(rows) >= 2 and node_y.min() < node_y.max():
            # Features in a random order so that equally good splits are chosen fairly.
            split = _best_split(x[rows], node_y, rng.permutation(d))
        if split is None:
            lows.append(low)
            highs.append(high)
            values.append(float(node_y.mean()))
            continue
        feature, threshold, gain = split
        gains[feature] += gain
        goes_left = x[rows, feature] <= threshold
        left_high, right_low = high.copy(), low.copy()
        left_high[feature] = right_low[feature] = threshold
        stack.append((rows[goes_left], low, left_high, depth + 1))
        stack.append((rows[~goes_left], right_low, high, depth + 1))
    return TreePartition(np.array(lows), np.array(highs), np.array(values), gains)


def fit_forest(
    x: np.ndarray,
    y: np.ndarray,
    bounds: np.ndarray,
    *,
    n_trees: int,
    max_depth: int,
    seed: int | None,
) -> list[TreePartition]:
    """``n_trees`` trees, each on a bootstrap sample of the rows (at most MAX_BOOTSTRAP_ROWS)."""
    rng = np.random.default_rng(seed)
    trees = []
    for _ in range(n_trees):
        sample = rng.integers(0, len(y), size=min(len(y), MAX_BOOTSTRAP_ROWS))
        trees.append(fit_tree(x[sample], y[sample], bounds, max_depth, rng))
    return trees
