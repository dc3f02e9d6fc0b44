"""The value a plot or an importance reads from each trial: a user's ``target`` or the objective.

As in Optuna, a multi-objective study needs a ``target`` (which of its values to use).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.trial._frozen import FrozenTrial

Target = Callable[[FrozenTrial], float]


def _first_value(trial: FrozenTrial) -> float:
    return float(trial.values[0]) if trial.values else float("nan")


def resolve_target(
    directions: Sequence[StudyDirection], target: Target | None, owner: str
) -> Target:
    """``target``, or the single objective's value when it is None.

    Raises:
        InvalidInputError: a multi-objective study and no ``target``.
    """
    if target is not None:
        return target
    if len(directions) > 1:
        raise InvalidInputError(
            f"{owner}: the study has {len(directions)} objectives; pass target=, e.g. "
            "target=lambda t: t.values[0] for the first."
        )
    return _first_value
