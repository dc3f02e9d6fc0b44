"""The Pareto front of a set of trials: those no other trial dominates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hpo_queue.directions import StudyDirection
from hpo_queue.trial._frozen import FrozenTrial


def pareto_front(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """Trials (with values) not dominated by any other; duplicates of a point all stay."""
    if not trials:
        return []
    signs = np.array([1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in directions])
    losses = np.array([t.values for t in trials], dtype=float) * signs
    keep = np.ones(len(trials), dtype=bool)
    order = np.lexsort(losses.T[::-1])  # sweep in lexicographic order of the losses
    front: list[int] = []
    for index in order:
        point = losses[index]
        if front:
            kept = losses[front]
            dominated = np.all(kept <= point, axis=1) & np.any(kept < point, axis=1)
            if dominated.any():
                keep[index] = False
                continue
        front.append(int(index))
    return [trials[i] for i in sorted(front, key=lambda i: trials[i].number)]
