"""should_prune reads the shared store only when the pruner needs other trials' reports."""

from __future__ import annotations

import pytest

import hpo_queue as hq
from hpo_queue.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from hpo_queue.storages import RDBStorage


def steps_that_read_the_store(pruner: BasePruner, sqlite_url: str, n_steps: int) -> list[int]:
    """Run one trial to ``n_steps`` after a finished one; the steps whose check read the store."""
    study = hq.create_study(storage=sqlite_url, pruner=pruner)
    first = study.ask()
    for step in range(1, n_steps + 1):
        first.report(float(step), step)
    study.tell(first, 0.0)

    storage = study._storage
    assert isinstance(storage, RDBStorage)
    reads: list[int] = []
    read_snapshot = storage.get_snapshot
    step_now = 0

    def counting_get_snapshot(study_id: int):  # type: ignore[no-untyped-def]
        reads.append(step_now)
        return read_snapshot(study_id)

    storage.get_snapshot = counting_get_snapshot  # type: ignore[method-assign]
    trial = study.ask()
    for step_now in range(1, n_steps + 1):
        trial.report(0.0, step_now)  # never worse than the finished trial: never pruned
        assert not trial.should_prune()
    return sorted(set(reads))


@pytest.mark.parametrize(
    "pruner", [NopPruner(), ThresholdPruner(upper=100.0)], ids=["nop", "threshold"]
)
def test_rules_of_the_trial_alone_never_read_the_store(pruner: BasePruner, sqlite_url: str) -> None:
    assert steps_that_read_the_store(pruner, sqlite_url, n_steps=20) == []


def test_asha_reads_the_store_only_at_the_reports_that_cross_a_rung(sqlite_url: str) -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert steps_that_read_the_store(pruner, sqlite_url, n_steps=20) == [1, 3, 9]


def test_hyperband_reads_the_store_only_at_its_brackets_rungs(sqlite_url: str) -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=20, reduction_factor=3)
    reads = steps_that_read_the_store(pruner, sqlite_url, n_steps=20)
    # Trial 1's bracket starts at rung 1, 3 or 9 and multiplies by 3: a subset of these.
    assert reads and set(reads) <= {1, 3, 9}


def test_median_pruner_reads_the_store_at_each_check_after_the_warmup(sqlite_url: str) -> None:
    pruner = MedianPruner(n_startup_trials=1, n_warmup_steps=5, interval_steps=5)
    assert steps_that_read_the_store(pruner, sqlite_url, n_steps=20) == [5, 10, 15, 20]
