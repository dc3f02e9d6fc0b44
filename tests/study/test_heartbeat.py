"""Heartbeat threads: started by a process's first running trial, stopped by its last."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue.samplers import RandomSampler
from hpo_queue.storages import RDBStorage
from hpo_queue.study import _heartbeat
from hpo_queue.study._heartbeat import THREAD_NAME, heartbeat_for

FAST = hq.Settings(heartbeat_interval=0.05, heartbeat_grace=1.0)


def heartbeat_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


def wait_for_no_heartbeat_thread(seconds: float = 2.0) -> list[threading.Thread]:
    """The live heartbeat threads once they have had ``seconds`` to see their stop event."""
    deadline = time.monotonic() + seconds
    while heartbeat_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    return heartbeat_threads()


def objective(trial: hq.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_no_heartbeat_thread_outlives_the_trials_of_20_studies(kind: str, tmp_path: Path) -> None:
    assert wait_for_no_heartbeat_thread() == []
    storages: list[weakref.ref[Any]] = []
    for i in range(20):
        # One storage per study, as 20 in-memory studies (or 20 databases) have.
        storage = None if kind == "memory" else RDBStorage(f"sqlite:///{tmp_path}/s{i}.db")
        study = hq.create_study(storage=storage, sampler=RandomSampler(seed=i), settings=FAST)
        study.optimize(objective, n_trials=2)
        assert len(study.trials) == 2
        storages.append(weakref.ref(study.storage))
        del study, storage
    assert wait_for_no_heartbeat_thread() == []
    assert _heartbeat._beaters == {}  # no entry per storage left behind
    gc.collect()
    assert [ref for ref in storages if ref() is not None] == []  # collectable


def test_a_long_trial_keeps_getting_heartbeats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path}/long.db")
    # A 0.25 s lease: without renewals the 0.5 s trial's lease would expire twice over.
    study = hq.create_study(
        storage=storage, settings=hq.Settings(heartbeat_interval=0.05, heartbeat_grace=0.25)
    )
    beats: list[list[int]] = []
    record = storage.renew_leases

    def spy(trial_ids: Any) -> None:
        beats.append(list(trial_ids))
        record(trial_ids)

    monkeypatch.setattr(storage, "renew_leases", spy)
    seen: dict[str, Any] = {}

    def long_objective(trial: hq.Trial) -> float:
        time.sleep(0.5)  # ten intervals; twice the lease
        seen["threads"] = len(heartbeat_threads())
        seen["stale"] = storage.find_expired_leases(study.study_id)
        seen["trial_id"] = trial._trial_id
        return 1.0

    study.optimize(long_objective, n_trials=1)
    assert seen["threads"] == 1
    assert seen["stale"] == []  # its lease kept being renewed while it ran
    assert len(beats) >= 3 and all(ids == [seen["trial_id"]] for ids in beats)
    assert study.trials[0].state == hq.TrialState.COMPLETE
    assert wait_for_no_heartbeat_thread() == []
    after = len(beats)
    time.sleep(0.2)
    assert len(beats) == after  # nothing beats for a finished trial


def test_one_thread_per_storage_started_by_the_first_trial_and_stopped_by_the_last(
    tmp_path: Path,
) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path}/shared.db")
    beater = heartbeat_for(storage, 0.05)
    assert not beater.running and heartbeat_threads() == []
    beater.add(1)
    assert heartbeat_for(storage, 0.05) is beater  # a second caller shares the thread
    beater.add(2)
    assert beater.running and len(heartbeat_threads()) == 1
    beater.remove(1)
    assert beater.running and len(heartbeat_threads()) == 1  # trial 2 still runs
    beater.remove(2)
    assert not beater.running and wait_for_no_heartbeat_thread() == []
    assert _heartbeat._beaters == {}
    beater.add(3)  # the same beater starts a new thread for a later trial
    assert beater.running and len(heartbeat_threads()) == 1
    beater.remove(3)
    assert wait_for_no_heartbeat_thread() == []


def test_optimize_keeps_one_heartbeat_thread_for_its_whole_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A thread started and stopped per trial cost a quarter of a millisecond per trial, and
    # much more with two processes on two cores (the walkthrough benchmark).
    started: list[str] = []
    original = threading.Thread.start

    def counting_start(self: threading.Thread) -> None:
        started.append(self.name)
        original(self)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    study = hq.create_study(storage=f"sqlite:///{tmp_path}/one.db", settings=FAST)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    assert started.count("hpo-queue-heartbeat") == 1
    assert wait_for_no_heartbeat_thread() == []  # and it stops when the run ends
