"""Trials: the live Trial an objective receives, and FrozenTrial snapshots read from the store."""

from hpo_queue.trial._create import create_trial
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState
from hpo_queue.trial._trial import Trial

__all__ = ["FrozenTrial", "Trial", "TrialHistory", "TrialState", "create_trial"]
