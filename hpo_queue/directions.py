"""StudyDirection: whether a study minimizes or maximizes each objective."""

from __future__ import annotations

import enum

from hpo_queue.exceptions import InvalidInputError


class StudyDirection(enum.IntEnum):
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"StudyDirection.{self.name}"

    def is_better(self, a: float, b: float) -> bool:
        """True if value ``a`` is strictly better than ``b`` in this direction."""
        return a < b if self == StudyDirection.MINIMIZE else a > b

    @classmethod
    def parse(cls, value: str | StudyDirection) -> StudyDirection:
        """Accept "minimize"/"maximize" in any case, or a StudyDirection."""
        if isinstance(value, StudyDirection):
            return value
        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        raise InvalidInputError(f"Bad direction {value!r}: use 'minimize' or 'maximize'.")
