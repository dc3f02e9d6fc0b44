"""Callbacks for ``study.optimize``: MaxTrialsCallback, exact through the study's cap.

Optuna's MaxTrialsCallback counts trials after each one ends and stops the loop, so every
process racing on a study may start one trial too many. This one keeps the study's
``max_trials`` (checked in the transaction that creates each trial) equal to the number of
slots the counted states still need, so however many processes race, the study ends with
exactly ``n_trials`` trials in the counted states.
"""

from __future__ import annotations

import time
from collections.abc import Container
from typing import TYPE_CHECKING

from hpo_queue.exceptions import InvalidInputError
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_queue.study._study import Study

# How long a process that found the study full waits before it looks again: a trial in
# flight elsewhere may end in a state that is not counted, which frees a slot.
_ROOM_POLL_SECONDS = 0.2
# Rounds of read-count / write-cap before giving up on agreeing with racing writers.
_MAX_CAP_ROUNDS = 20


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states`` (None: any state).

    Use it as Optuna's: ``study.optimize(objective, callbacks=[MaxTrialsCallback(10)])``.
    Before the first trial and after each one it sets the study's ``max_trials`` to
    ``n_trials`` plus the finished trials that do not count (PRUNED ones, with the default
    ``states``). When ``states`` counts FAIL (``states=None`` counts every trial), the cap
    it writes counts FAIL trials too, so a failing trial frees no slot. The store refuses
    any trial beyond the cap, so no process overshoots. A process that finds the study full
    while trials still run elsewhere waits for them, since one of them may end uncounted
    and free a slot.

    The cap it writes replaces the study's own ``max_trials`` and applies to every process
    and worker of the study.
    """

    def __init__(
        self,
        n_trials: int,
        states: Container[TrialState] | None = (TrialState.COMPLETE,),
    ) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0:
            raise InvalidInputError(f"n_trials must be an integer >= 0, got {n_trials!r}.")
        self._n_trials = n_trials
        self._states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if self._keep_cap(study):
            study.stop()

    def before_optimize(self, study: Study) -> None:
        """Set the cap before this process creates its first trial."""
        self._keep_cap(study)

    def on_cap_reached(self, study: Study) -> bool:
        """True if the loop should try again: trials still in flight may free a slot."""
        if self._keep_cap(study):
            return False
        time.sleep(_ROOM_POLL_SECONDS)
        return True

    def _counts(self, study: Study) -> dict[TrialState, int]:
        return study.storage.count_trials_by_state(study.study_id)

    def _counts_failed(self) -> bool:
        return self._states is None or TrialState.FAIL in self._states

    def _cap(self, counts: dict[TrialState, int]) -> int:
        # Finished trials the callback does not count take a slot of the store's cap without
        # counting towards n_trials; FAIL ones take none unless the cap counts them.
        uncounted = sum(
            n
            for state, n in counts.items()
            if state.is_finished()
            and state != TrialState.FAIL
            and self._states is not None
            and state not in self._states
        )
        return self._n_trials + uncounted

    def _keep_cap(self, study: Study) -> bool:
        """Write the cap until a read after the last write agrees; True once the study is done."""
        counts = self._counts(study)
        for _ in range(_MAX_CAP_ROUNDS):
            target = self._cap(counts)
            record = study.storage.get_study_by_id(study.study_id)
            if (record.max_trials, record.cap_counts_failed) == (target, self._counts_failed()):
                break
            study.storage.set_max_trials(study.study_id, target, count_failed=self._counts_failed())
            # Read again after writing: a racing process may have written a cap from older
            # counts after ours; the last writer's fresh read settles it.
            counts = self._counts(study)
        counted = sum(
            n for state, n in counts.items() if self._states is None or state in self._states
        )
        # Trials in flight never push the counted ones past n_trials (the cap leaves no room),
        # so reaching it means the study is done.
        return counted >= self._n_trials
