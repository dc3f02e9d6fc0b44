"""TrialHistory: the read-only view of a study that samplers and pruners decide from."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import MultiObjectiveError, NoCompletedTrialsError
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState


@dataclass(frozen=True)
class TrialHistory:
    """Every trial of a study (RUNNING and WAITING included), ordered by number.

    Samplers and pruners are pure functions of a TrialHistory: they never touch the store,
    so they are tested on hand-made histories.
    """

    directions: tuple[StudyDirection, ...]
    trials: Sequence[FrozenTrial]
    # Optional views a store provides so that samplers need not scan ``trials``:
    # finished_log holds every finished trial in the order this process learned of it and
    # is only ever appended to (a sampler may remember how far it has read);
    # unfinished holds the WAITING and RUNNING trials.
    finished_log: Sequence[FrozenTrial] | None = None
    unfinished: Sequence[FrozenTrial] | None = None

    @property
    def is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    def with_states(self, states: Container[TrialState]) -> list[FrozenTrial]:
        return [t for t in self.trials if t.state in states]

    def completed(self) -> list[FrozenTrial]:
        return [t for t in self.trials if t.state == TrialState.COMPLETE]

    # -- the read-only part of Optuna's Study, for samplers and pruners written for Optuna --

    def get_trials(
        self, deepcopy: bool = False, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Trials ordered by number, optionally only those in ``states``.

        ``deepcopy`` is accepted for Optuna's signature; the trials are immutable, so
        sharing them is safe.
        """
        if states is None:
            return list(self.trials)
        return self.with_states(states)

    _get_trials = get_trials  # what Optuna's own samplers call

    @property
    def direction(self) -> StudyDirection:
        if self.is_multi_objective:
            raise MultiObjectiveError(
                "The study is multi-objective; use directions instead of direction."
            )
        return self.directions[0]

    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE feasible trial of a single-objective study."""
        direction = self.direction
        best, best_value = None, 0.0
        for trial in self.trials:
            if trial.state != TrialState.COMPLETE or not trial.values or not trial.is_feasible():
                continue
            if best is None or direction.is_better(trial.values[0], best_value):
                best, best_value = trial, trial.values[0]
        if best is None:
            raise NoCompletedTrialsError("The study has no completed trial yet.")
        return best

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)


class LazyTrials(Sequence[FrozenTrial]):
    """A sequence of trials that is read, once, the first time it is used.

    Pruners get their history's trials this way: a rule that can decide from the trial's own
    reports (NopPruner, ThresholdPruner, ASHA between rungs) never looks at the others, and
    then no read of the shared store happens at that report.
    """

    def __init__(self, load: Callable[[], Sequence[FrozenTrial]]) -> None:
        self._load: Callable[[], Sequence[FrozenTrial]] | None = load
        self._trials: Sequence[FrozenTrial] = ()

    @property
    def loaded(self) -> bool:
        """True once the trials have been read."""
        return self._load is None

    def source(self) -> Sequence[FrozenTrial]:
        """The sequence read (reading it now if need be), as the store returned it.

        A store's finished log is one list for the life of its cache: its identity tells a
        pruner's cache which study's log it is looking at.
        """
        return self._get()

    def _get(self) -> Sequence[FrozenTrial]:
        if self._load is not None:
            self._trials = self._load()
            self._load = None
        return self._trials

    @overload
    def __getitem__(self, index: int) -> FrozenTrial: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[FrozenTrial]: ...

    def __getitem__(self, index: int | slice) -> FrozenTrial | Sequence[FrozenTrial]:
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[FrozenTrial]:
        return iter(self._get())
