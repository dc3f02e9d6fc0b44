"""StudyCopy: a whole study as plain data, read from another store and written in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hpo_queue.directions import StudyDirection
from hpo_queue.trial._frozen import FrozenTrial


@dataclass(frozen=True)
class StudyCopy:
    """A study's name, directions, attributes and every trial, as a migration reads them.

    ``trials`` hold their own numbers (which the copy keeps), states COMPLETE, PRUNED, FAIL
    or WAITING, params, distributions, values, intermediate values, attrs and times;
    ``source`` says where the copy came from (a masked URL), for messages.
    """

    study_name: str
    directions: tuple[StudyDirection, ...]
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trials: tuple[FrozenTrial, ...] = ()
    source: str = ""
