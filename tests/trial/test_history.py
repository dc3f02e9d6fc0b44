"""TrialHistory's lazy trial sequence."""

from __future__ import annotations

from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import LazyTrials


def test_lazy_trials_read_once_on_first_use_and_behave_as_a_sequence() -> None:
    reads: list[int] = []
    stored = ["a", "b", "c"]

    def load() -> list[FrozenTrial]:
        reads.append(1)
        return stored  # type: ignore[return-value]  # any sequence stands in for trials

    trials = LazyTrials(load)
    assert not trials.loaded and reads == []
    assert len(trials) == 3
    assert list(trials) == stored
    assert trials[1] == "b" and list(trials[1:]) == ["b", "c"]
    assert trials.loaded and reads == [1]
