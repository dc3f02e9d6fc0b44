"""The intersection search space: the parameters every finished trial drew alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hpo_queue.distributions import BaseDistribution
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState


def intersection_search_space(
    trials: Iterable[FrozenTrial], include_pruned: bool = False
) -> dict[str, BaseDistribution]:
    """The parameters that every COMPLETE trial (and PRUNED one, with ``include_pruned``)
    has, each with the same distribution in all of them; sorted by name.

    Trials in other states are ignored; with no such trial the space is empty.
    """
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
    space: dict[str, BaseDistribution] | None = None
    for trial in trials:
        if trial.state not in states:
            continue
        if space is None:
            space = dict(trial.distributions)
            continue
        space = {
            name: distribution
            for name, distribution in space.items()
            if trial.distributions.get(name) == distribution
        }
    return {name: (space or {})[name] for name in sorted(space or {})}


class IntersectionSearchSpace:
    """:func:`intersection_search_space` of a study (or a sampler's history), as in Optuna."""

    def __init__(self, include_pruned: bool = False) -> None:
        self._include_pruned = include_pruned

    def calculate(self, study: Any) -> dict[str, BaseDistribution]:
        """The intersection space of ``study``: a Study or the history a sampler is given."""
        return intersection_search_space(
            study.get_trials(deepcopy=False), include_pruned=self._include_pruned
        )
