"""NopPruner: a pruner that never stops a trial."""

from __future__ import annotations

from typing import Any

from hpo_queue.pruners._base import BasePruner
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


class NopPruner(BasePruner):
    """Never prunes: every trial runs to completion."""

    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        """Always False."""
        return False

    def to_config(self) -> dict[str, Any]:
        return {"name": "NopPruner"}
