"""The BaseStorage contract, checked on every storage: in memory, SQLite, MariaDB, PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import FloatDistribution
from hpo_queue.exceptions import (
    DuplicatedStudyError,
    InvalidInputError,
    SearchSpaceExhausted,
    StudyNotFoundError,
    TrialNotFoundError,
)
from hpo_queue.storages import BaseStorage, ClaimStatus, InMemoryStorage, RDBStorage
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

MIN = (StudyDirection.MINIMIZE,)
X = FloatDistribution(0.0, 1.0)


@pytest.fixture(params=["memory", "sqlite", "mysql", "postgresql"])
def storage(request: pytest.FixtureRequest) -> Iterator[BaseStorage]:
    """Each test runs on a new storage of every kind (servers: see tests/conftest.py)."""
    if request.param == "memory":
        made: BaseStorage = InMemoryStorage()
    else:
        fixture = {"sqlite": "sqlite_url", "mysql": "mysql_url", "postgresql": "postgres_url"}
        made = RDBStorage(str(request.getfixturevalue(fixture[request.param])))
    try:
        yield made
    finally:
        made.close()


def new_study(storage: BaseStorage, max_trials: int | None = None, name: str = "s") -> int:
    return storage.create_study(name, MIN, {"name": "RandomSampler"}, {}, max_trials).study_id


def claim(storage: BaseStorage, study_id: int, **kwargs: object) -> FrozenTrial:
    result = storage.claim_trial(study_id, **kwargs)  # type: ignore[arg-type]
    assert result.status == ClaimStatus.CLAIMED, result
    assert result.trial is not None
    return result.trial


def complete(storage: BaseStorage, study_id: int, trial: FrozenTrial, value: float) -> None:
    assert storage.finish_trial(study_id, trial.trial_id, TrialState.COMPLETE, [value])


def race(n_threads: int, work: Callable[[], None]) -> None:
    """Run ``work`` in ``n_threads`` threads released together; re-raise the first error."""
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# -- studies ------------------------------------------------------------------------------


def test_studies_are_created_found_listed_and_deleted(storage: BaseStorage) -> None:
    first = storage.create_study("a", MIN, {"name": "TPESampler", "seed": 1}, {}, 5, {"k": 1})
    second = new_study(storage, name="b")
    assert storage.get_study("a") == first
    assert storage.get_study_by_id(first.study_id).sampler_config == {
        "name": "TPESampler",
        "seed": 1,
    }
    assert first.max_trials == 5 and first.options == {"k": 1}
    assert storage.list_study_names() == ["a", "b"]
    with pytest.raises(DuplicatedStudyError):
        storage.create_study("a", MIN, {}, {}, None)
    storage.set_max_trials(second, 3)
    assert storage.get_study_by_id(second).max_trials == 3
    storage.delete_study(first.study_id)
    assert storage.list_study_names() == ["b"]
    with pytest.raises(StudyNotFoundError):
        storage.get_study("a")
    with pytest.raises(StudyNotFoundError):
        storage.get_study_by_id(first.study_id)


@pytest.mark.parametrize("name", ["", "   ", 3, "x" * 513, "a\x00b"])
def test_bad_study_names_are_refused(storage: BaseStorage, name: object) -> None:
    with pytest.raises(InvalidInputError):
        storage.create_study(name, MIN, {}, {}, None)  # type: ignore[arg-type]


def test_study_attrs_round_trip_as_json_and_bad_ones_are_refused(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    storage.set_study_attr(study_id, "user", "pair", (1, 2))
    storage.set_study_attr(study_id, "user", "pair", [3, 4])  # overwrite
    storage.set_study_attr(study_id, "system", "flag", True)
    assert storage.get_study_attrs(study_id, "user") == {"pair": [3, 4]}
    assert storage.get_study_attrs(study_id, "system") == {"flag": True}
    with pytest.raises(InvalidInputError):
        storage.set_study_attr(study_id, "user", "bad", object())
    with pytest.raises(InvalidInputError):
        storage.set_study_attr(study_id, "user", "", 1)
    assert storage.get_study_attrs(study_id, "user") == {"pair": [3, 4]}


def test_summaries_count_states_and_name_the_best_trial(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    storage.set_study_attr(study_id, "user", "owner", "me")
    values = [3.0, 1.0, 2.0]
    for value in values:
        complete(storage, study_id, claim(storage, study_id), value)
    failed = claim(storage, study_id)
    storage.finish_trial(study_id, failed.trial_id, TrialState.FAIL, fail_reason="boom")
    claim(storage, study_id)  # left RUNNING
    (summary,) = storage.list_study_summaries()
    assert summary.n_trials == 5
    assert summary.counts == {"COMPLETE": 3, "FAIL": 1, "RUNNING": 1}
    assert summary.best_trial is not None and summary.best_trial.number == 1
    assert summary.user_attrs == {"owner": "me"}
    assert storage.count_trials_by_state(study_id) == {
        TrialState.COMPLETE: 3,
        TrialState.FAIL: 1,
        TrialState.RUNNING: 1,
    }


# -- claiming -----------------------------------------------------------------------------


def test_numbers_are_gap_free_and_the_cap_is_exact(storage: BaseStorage) -> None:
    study_id = new_study(storage, max_trials=3)
    trials = [claim(storage, study_id, worker="w") for _ in range(3)]
    assert [t.number for t in trials] == [0, 1, 2]
    assert trials[0].state == TrialState.RUNNING and trials[0].worker == "w"
    capped = storage.claim_trial(study_id)
    assert capped.status == ClaimStatus.CAP_REACHED and capped.trial is None
    assert "max_trials=3" in capped.detail


def test_a_failed_trial_frees_its_slot_and_other_endings_do_not(storage: BaseStorage) -> None:
    study_id = new_study(storage, max_trials=2)
    first, second = claim(storage, study_id), claim(storage, study_id)
    storage.finish_trial(study_id, first.trial_id, TrialState.PRUNED, [1.0])
    assert storage.claim_trial(study_id).status == ClaimStatus.CAP_REACHED
    storage.finish_trial(study_id, second.trial_id, TrialState.FAIL, fail_reason="x")
    third = claim(storage, study_id)
    assert third.number == 2  # numbering goes on; failed trials stay
    assert storage.claim_trial(study_id).status == ClaimStatus.CAP_REACHED
    assert storage.enqueue_trial(study_id, {"x": 0.5}) is None


def test_a_cap_that_counts_failed_trials_keeps_their_slots(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    storage.set_max_trials(study_id, 2, count_failed=True)
    assert storage.get_study_by_id(study_id).cap_counts_failed
    first, second = claim(storage, study_id), claim(storage, study_id)
    storage.finish_trial(study_id, first.trial_id, TrialState.FAIL, fail_reason="x")
    assert storage.claim_trial(study_id).status == ClaimStatus.CAP_REACHED
    # Nor does a failure make room for its retry.
    result = storage.finish_trial(study_id, second.trial_id, TrialState.FAIL, retry_limit=3)
    assert result.changed and result.retry is None
    assert storage.enqueue_trial(study_id, {"x": 0.5}) is None
    # Back to the default: both failures free their slots.
    storage.set_max_trials(study_id, 2)
    assert not storage.get_study_by_id(study_id).cap_counts_failed
    assert claim(storage, study_id).number == 2


def test_waiting_trials_are_claimed_first_oldest_first(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    first = storage.enqueue_trial(study_id, {"x": 0.1}, {"note": "a"})
    second = storage.enqueue_trial(study_id, {"x": 0.2})
    assert first is not None and second is not None
    assert (first.number, second.number) == (0, 1)
    assert first.state == TrialState.WAITING
    claimed = claim(storage, study_id, worker="w")
    assert claimed.number == 0 and claimed.state == TrialState.RUNNING
    assert claimed.system_attrs["fixed_params"] == {"x": 0.1}
    assert claimed.user_attrs == {"note": "a"}
    assert claimed.worker == "w" and claimed.datetime_start is not None
    assert claim(storage, study_id).number == 1
    assert claim(storage, study_id).number == 2  # none left: a new trial


def test_waiting_number_picks_that_trial_and_fixed_params_skip_the_queue(
    storage: BaseStorage,
) -> None:
    study_id = new_study(storage)
    for value in (0.1, 0.2, 0.3):
        storage.enqueue_trial(study_id, {"x": value})
    assert claim(storage, study_id, waiting_number=2).number == 2
    assert claim(storage, study_id, waiting_number=2).number == 0  # no longer WAITING
    fixed = claim(storage, study_id, fixed_params={"x": 0.9})
    assert fixed.number == 3 and fixed.system_attrs["fixed_params"] == {"x": 0.9}
    assert claim(storage, study_id, use_waiting=False).number == 4
    assert storage.get_trial(study_id, 1).state == TrialState.WAITING


def test_a_task_key_claims_once(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    first = claim(storage, study_id, task_key="task-1")
    again = storage.claim_trial(study_id, task_key="task-1")
    assert again.status == ClaimStatus.DUPLICATE
    assert again.trial is not None and again.trial.number == first.number
    assert claim(storage, study_id, task_key="task-2").number == 1
    found = storage.get_trial_by_task_key(study_id, "task-1")
    assert found is not None and found.trial_id == first.trial_id
    assert storage.get_trial_by_task_key(study_id, "task-3") is None


def test_the_fixed_params_hook_sees_the_trials_and_can_exhaust(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    seen: list[list[int]] = []

    def grid(trials: object) -> dict[str, float]:
        numbers = [t.number for t in trials]  # type: ignore[attr-defined]
        seen.append(numbers)
        if len(numbers) >= 2:
            raise SearchSpaceExhausted("grid used up")
        return {"x": 0.5 * len(numbers)}

    assert claim(storage, study_id, fixed_params_hook=grid).system_attrs["fixed_params"] == {
        "x": 0.0
    }
    assert claim(storage, study_id, fixed_params_hook=grid).system_attrs["fixed_params"] == {
        "x": 0.5
    }
    exhausted = storage.claim_trial(study_id, fixed_params_hook=grid)
    assert exhausted.status == ClaimStatus.EXHAUSTED and "grid used up" in exhausted.detail
    assert seen == [[], [0], [0, 1]]
    assert [t.number for t in storage.get_trials(study_id)] == [0, 1]


def test_the_fixed_params_hook_runs_under_the_study_lock(storage: BaseStorage) -> None:
    # A hook that is slow while other threads claim: under the lock, every hook call sees
    # every trial created before it, so the counts it sees are 0, 1, 2, ... with no repeat.
    study_id = new_study(storage)
    seen: list[int] = []

    def hook(trials: object) -> None:
        seen.append(len(trials))  # type: ignore[arg-type]
        time.sleep(0.01)

    race(4, lambda: [claim(storage, study_id, fixed_params_hook=hook) for _ in range(3)])
    assert sorted(seen) == list(range(12))


def test_unstorable_attrs_are_refused_before_anything_changes(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    with pytest.raises(InvalidInputError):
        storage.claim_trial(study_id, system_attrs={"bad": object()})
    with pytest.raises(InvalidInputError):
        storage.enqueue_trial(study_id, {"x": 0.1}, user_attrs={"bad": {1, 2}})
    assert storage.get_trials(study_id) == []
    trial = claim(storage, study_id)
    assert trial.number == 0
    with pytest.raises(InvalidInputError):
        storage.set_trial_attrs(trial.trial_id, "user", {"bad": object()})


# -- racing threads -----------------------------------------------------------------------


def test_racing_threads_get_exactly_the_cap_with_gap_free_numbers(storage: BaseStorage) -> None:
    study_id = new_study(storage, max_trials=50)
    results: list[ClaimStatus] = []
    numbers: list[int] = []
    lock = threading.Lock()

    def claims() -> None:
        for _ in range(10):  # 8 threads x 10 claims against a cap of 50
            result = storage.claim_trial(study_id)
            with lock:
                results.append(result.status)
                if result.trial is not None:
                    numbers.append(result.trial.number)

    race(8, claims)
    assert results.count(ClaimStatus.CLAIMED) == 50
    assert results.count(ClaimStatus.CAP_REACHED) == 30
    assert sorted(numbers) == list(range(50))
    assert [t.number for t in storage.get_trials(study_id)] == list(range(50))


def test_racing_claims_and_enqueues_without_a_cap_leave_no_gap(storage: BaseStorage) -> None:
    study_id = new_study(storage)

    def work() -> None:
        for i in range(6):
            if i % 3 == 0:
                storage.enqueue_trial(study_id, {"x": 0.5})
            else:
                trial = claim(storage, study_id)
                complete(storage, study_id, trial, float(trial.number))

    race(6, work)
    trials = storage.get_trials(study_id)
    assert [t.number for t in trials] == list(range(len(trials)))
    assert len({t.trial_id for t in trials}) == len(trials)


def test_a_trial_is_finished_once_when_finishers_race(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial = claim(storage, study_id)
    outcomes: list[bool] = []
    race(
        6,
        lambda: outcomes.append(
            storage.finish_trial(study_id, trial.trial_id, TrialState.FAIL, fail_reason="r").changed
        ),
    )
    assert outcomes.count(True) == 1
    assert storage.count_trials_by_state(study_id) == {TrialState.FAIL: 1}


# -- writing and finishing ----------------------------------------------------------------


def test_finishing_is_check_and_set_on_running(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial = claim(storage, study_id)
    assert storage.finish_trial(
        study_id,
        trial.trial_id,
        TrialState.COMPLETE,
        [0.25],
        constraints=[-1.0],
        params=({"x": 0.5}, {"x": X}),
    )
    assert not storage.finish_trial(study_id, trial.trial_id, TrialState.FAIL, fail_reason="late")
    done = storage.get_trial(study_id, 0)
    assert done.state == TrialState.COMPLETE and done.values == [0.25]
    assert done.params == {"x": 0.5} and done.distributions == {"x": X}
    assert done.constraints == [-1.0] and done.fail_reason is None
    assert done.datetime_complete is not None
    with pytest.raises(InvalidInputError):
        storage.finish_trial(study_id, trial.trial_id, TrialState.RUNNING)
    waiting = storage.enqueue_trial(study_id, {"x": 0.1})
    assert waiting is not None
    assert not storage.finish_trial(study_id, waiting.trial_id, TrialState.COMPLETE, [1.0])


def test_params_and_attrs_of_a_running_trial(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial = claim(storage, study_id)
    storage.set_trial_params(trial.trial_id, {"x": 0.5}, {"x": X})
    storage.set_trial_attrs(trial.trial_id, "user", {"k": (1, 2)})
    storage.set_trial_attrs(trial.trial_id, "system", {"s": "v"})
    read = storage.get_trial(study_id, 0)
    assert read.params == {"x": 0.5} and read.distributions == {"x": X}
    assert read.user_attrs == {"k": [1, 2]} and read.system_attrs == {"s": "v"}
    complete(storage, study_id, read, 1.0)
    storage.set_trial_params(trial.trial_id, {"x": 0.9}, {"x": X})  # finished: kept as it was
    assert storage.get_trial(study_id, 0).params == {"x": 0.5}


def test_one_attr_at_a_time_keeps_every_other_writers_keys(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial = claim(storage, study_id)
    storage.set_trial_attrs(trial.trial_id, "system", {"old": 1})
    complete(storage, study_id, trial, 1.0)

    def write(thread: int) -> None:
        for i in range(5):
            storage.set_trial_attr(trial.trial_id, "system", f"t{thread}-{i}", [thread, i])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = storage.get_trial(study_id, trial.number).system_attrs
    assert stored == {"old": 1, **{f"t{n}-{i}": [n, i] for n in range(4) for i in range(5)}}
    storage.set_trial_attr(trial.trial_id, "user", "note", "kept apart")
    assert storage.get_trial(study_id, trial.number).user_attrs == {"note": "kept apart"}
    with pytest.raises(TrialNotFoundError):
        storage.set_trial_attr(10**9, "user", "k", 1)


def test_intermediate_values_are_kept_in_step_order_and_rewrites_overwrite(
    storage: BaseStorage,
) -> None:
    study_id = new_study(storage)
    trial = claim(storage, study_id)
    for step, value in [(0, 1.0), (2, 0.5), (1, 0.7), (2, 0.4), (3, float("inf"))]:
        storage.add_intermediate_value(trial.trial_id, step, value)
    values = storage.get_trial(study_id, 0).intermediate_values
    assert list(values.items()) == [(0, 1.0), (1, 0.7), (2, 0.4), (3, float("inf"))]
    snapshot_values = storage.get_snapshot(study_id).trials[0].intermediate_values
    assert list(snapshot_values.items()) == list(values.items())


def test_a_claim_sets_a_lease_and_renewals_keep_it_from_expiring(storage: BaseStorage) -> None:
    study_id = storage.create_study("s", MIN, {}, {}, None, lease_seconds=0.3).study_id
    assert storage.get_study_by_id(study_id).lease_seconds == 0.3
    before = storage.db_now()
    old, fresh = claim(storage, study_id), claim(storage, study_id)
    assert old.lease_expires_at is not None
    assert before < old.lease_expires_at <= storage.db_now() + datetime.timedelta(seconds=0.3)
    assert storage.get_trial(study_id, old.number).lease_expires_at == old.lease_expires_at
    assert storage.find_expired_leases(study_id) == []
    time.sleep(0.45)
    storage.renew_leases([fresh.trial_id])
    renewed = storage.get_trial(study_id, fresh.number).lease_expires_at
    assert renewed is not None and renewed > storage.db_now()
    assert [t.number for t in storage.find_expired_leases(study_id)] == [old.number]
    assert [t.number for t in storage.find_expired_leases()] == [old.number]
    complete(storage, study_id, old, 1.0)
    assert storage.get_trial(study_id, old.number).lease_expires_at is None  # finished
    assert storage.find_expired_leases(study_id) == []
    assert storage.study_id_of_trial(fresh.trial_id) == study_id
    with pytest.raises(TrialNotFoundError):
        storage.study_id_of_trial(10**9)


def test_renewing_extends_only_the_given_running_trials(storage: BaseStorage) -> None:
    study_id = storage.create_study("s", MIN, {}, {}, None, lease_seconds=0.3).study_id
    other = storage.create_study("t", MIN, {}, {}, None, lease_seconds=0.3).study_id
    mine = [claim(storage, study_id, worker="a:1"), claim(storage, other, worker="a:1")]
    theirs = claim(storage, study_id, worker="b:2")
    done = claim(storage, study_id, worker="a:1")
    complete(storage, study_id, done, 0.0)
    time.sleep(0.45)
    storage.renew_leases([trial.trial_id for trial in mine])
    assert [t.trial_id for t in storage.find_expired_leases()] == [theirs.trial_id]
    for trial in mine:
        owner = storage.study_id_of_trial(trial.trial_id)
        lease = storage.get_trial(owner, trial.number).lease_expires_at
        assert lease is not None and lease > storage.db_now()
    storage.renew_leases([done.trial_id, 10**9])  # a finished or unknown trial: no lease
    assert storage.get_trial(study_id, done.number).lease_expires_at is None


def test_a_bad_lease_length_is_refused(storage: BaseStorage) -> None:
    for bad in (0, -1.0, float("nan"), "60"):
        with pytest.raises(InvalidInputError):
            storage.create_study("s", MIN, {}, {}, None, lease_seconds=bad)  # type: ignore[arg-type]
    assert storage.get_study_by_id(new_study(storage)).lease_seconds == 60.0


# -- reading ------------------------------------------------------------------------------


def test_snapshots_split_trials_and_keep_an_append_only_finished_log(
    storage: BaseStorage,
) -> None:
    study_id = new_study(storage)
    trials = [claim(storage, study_id) for _ in range(3)]
    storage.enqueue_trial(study_id, {"x": 0.5})
    complete(storage, study_id, trials[2], 2.0)
    first = storage.get_snapshot(study_id)
    assert [t.number for t in first.trials] == [0, 1, 2, 3]
    assert [t.number for t in first.unfinished] == [0, 1, 3]
    assert [t.number for t in first.finished_log] == [2]
    log_then = list(first.finished_log)
    trials_then = list(first.trials)
    complete(storage, study_id, trials[0], 0.0)
    storage.add_intermediate_value(trials[1].trial_id, 0, 1.0)
    second = storage.get_snapshot(study_id)
    # In the order learned (2 before 0), the earlier entries as they were.
    assert [t.number for t in second.finished_log] == [2, 0]
    assert second.finished_log[: len(log_then)] == log_then
    assert [t.number for t in second.unfinished] == [1, 3]
    # The first snapshot's lists did not change under it.
    assert first.trials == trials_then and first.trials[0].state == TrialState.RUNNING
    assert first.trials[1].intermediate_values == {}
    assert second.trials[1].intermediate_values == {0: 1.0}


def test_get_trial_reads_by_number(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    claim(storage, study_id)
    assert storage.get_trial(study_id, 0).number == 0
    with pytest.raises(TrialNotFoundError):
        storage.get_trial(study_id, 1)


def test_the_best_trial_follows_each_direction_and_skips_infeasible_ones(
    storage: BaseStorage,
) -> None:
    study_id = new_study(storage)
    assert storage.get_best_trial(study_id, StudyDirection.MINIMIZE) is None
    for value, constraint in [(2.0, -1.0), (0.5, 1.0), (1.0, 0.0), (3.0, -1.0)]:
        trial = claim(storage, study_id)
        storage.finish_trial(
            study_id, trial.trial_id, TrialState.COMPLETE, [value], constraints=[constraint]
        )
    pruned = claim(storage, study_id)
    storage.finish_trial(study_id, pruned.trial_id, TrialState.PRUNED, [-5.0])
    best_min = storage.get_best_trial(study_id, StudyDirection.MINIMIZE)
    best_max = storage.get_best_trial(study_id, StudyDirection.MAXIMIZE)
    assert best_min is not None and best_min.number == 2  # 0.5 is infeasible, -5 PRUNED
    assert best_max is not None and best_max.number == 3
    cached = storage.cached_best_trial(study_id, StudyDirection.MINIMIZE)
    assert cached is not None and cached.number == 2


def test_returned_trials_are_immutable_snapshots(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial = claim(storage, study_id)
    storage.add_intermediate_value(trial.trial_id, 0, 1.0)
    read = storage.get_trial(study_id, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.state = TrialState.COMPLETE  # type: ignore[misc]
    with pytest.raises(TypeError):
        read.intermediate_values[1] = 2.0  # type: ignore[index]
    storage.add_intermediate_value(trial.trial_id, 1, 0.5)
    assert read.intermediate_values == {0: 1.0}  # the earlier read did not change


# -- failing with a retry ---------------------------------------------------------------------


def test_a_failed_trial_and_its_retry_are_written_together(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial = claim(storage, study_id, fixed_params={"x": 0.1}, worker="w")
    storage.set_trial_attrs(trial.trial_id, "user", {"note": "n"})
    result = storage.finish_trial(
        study_id,
        trial.trial_id,
        TrialState.FAIL,
        fail_reason="boom",
        params=({"y": 0.5}, {"y": X}),
        retry_limit=2,
    )
    assert result and result.changed and result.retry is not None
    retry = result.retry
    assert (retry.number, retry.state) == (1, TrialState.WAITING)
    assert retry.system_attrs["fixed_params"] == {"x": 0.1, "y": 0.5}
    assert (retry.system_attrs["retry_of"], retry.system_attrs["retry_count"]) == (0, 1)
    assert retry.user_attrs == {"note": "n"} and retry.job_id is None
    assert storage.get_trial(study_id, 1) == retry
    assert storage.count_trials_by_state(study_id) == {TrialState.FAIL: 1, TrialState.WAITING: 1}
    # The retry is claimed next, and retried again until the limit.
    again = claim(storage, study_id)
    assert again.number == 1
    second = storage.finish_trial(study_id, again.trial_id, TrialState.FAIL, retry_limit=2)
    assert second.retry is not None and second.retry.system_attrs["retry_count"] == 2
    last = claim(storage, study_id)
    final = storage.finish_trial(study_id, last.trial_id, TrialState.FAIL, retry_limit=2)
    assert final.changed and final.retry is None  # retried twice: enough
    late = storage.finish_trial(study_id, last.trial_id, TrialState.FAIL, retry_limit=2)
    assert not late and late.retry is None
    assert len(storage.get_trials(study_id)) == 3


def test_no_retry_without_a_limit_for_other_endings_or_at_the_cap(storage: BaseStorage) -> None:
    study_id = new_study(storage, max_trials=2)
    first, second = claim(storage, study_id), claim(storage, study_id)
    pruned = storage.finish_trial(study_id, first.trial_id, TrialState.PRUNED, retry_limit=3)
    assert pruned.changed and pruned.retry is None
    plain = storage.finish_trial(study_id, second.trial_id, TrialState.FAIL)
    assert plain.changed and plain.retry is None
    third = claim(storage, study_id)  # the FAIL freed a slot
    fourth = storage.claim_trial(study_id)
    assert fourth.status == ClaimStatus.CAP_REACHED
    # Its own failure frees the slot its retry takes: at the cap otherwise, none.
    result = storage.finish_trial(study_id, third.trial_id, TrialState.FAIL, retry_limit=3)
    assert result.retry is not None and result.retry.number == 3
    storage.set_max_trials(study_id, 1)
    retry = claim(storage, study_id)
    capped = storage.finish_trial(study_id, retry.trial_id, TrialState.FAIL, retry_limit=3)
    assert capped.changed and capped.retry is None


# -- jobs ---------------------------------------------------------------------------------


def new_job(storage: BaseStorage, study_id: int, n_trials: int, job_id: str = "job-1") -> str:
    storage.create_job(study_id, job_id, "tests.objectives:quadratic", n_trials, 1, "q")
    return job_id


def test_jobs_are_recorded_found_and_refused_twice(storage: BaseStorage) -> None:
    from hpo_queue.exceptions import JobNotFoundError

    study_id = new_study(storage)
    before = storage.db_now()
    record = storage.create_job(study_id, "j", "mod:fn", 5, error_retries=2, queue="gpu")
    assert (record.job_id, record.study_id, record.objective_ref) == ("j", study_id, "mod:fn")
    assert (record.n_trials, record.error_retries, record.queue) == (5, 2, "gpu")
    assert before <= record.datetime_created <= storage.db_now()
    assert not record.cancelled
    assert storage.get_job("j") == record
    with pytest.raises(InvalidInputError):
        storage.create_job(study_id, "j", "mod:fn", 5)
    for bad_id, n in (("", 1), ("x" * 65, 1), ("k", -1)):
        with pytest.raises(InvalidInputError):
            storage.create_job(study_id, bad_id, "mod:fn", n)
    with pytest.raises(StudyNotFoundError):
        storage.create_job(10**6, "other", "mod:fn", 1)
    for call in (
        lambda: storage.get_job("nope"),
        lambda: storage.cancel_job("nope"),
        lambda: storage.job_progress("nope"),
        lambda: storage.mark_job_settled("nope"),
        lambda: storage.take_wakeup_turn("nope", 1.0),
        lambda: storage.claim_trial(study_id, job_id="nope"),
    ):
        with pytest.raises(JobNotFoundError):
            call()
    other = new_study(storage, name="other")
    with pytest.raises(JobNotFoundError):
        storage.claim_trial(other, job_id="j")  # a job of another study


def test_a_job_gets_n_trials_then_nothing_owed(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    job_id = new_job(storage, study_id, 2)
    first = claim(storage, study_id, job_id=job_id, worker="w")
    second = claim(storage, study_id, job_id=job_id)
    assert (first.job_id, second.job_id) == (job_id, job_id)
    assert storage.get_trial(study_id, first.number).job_id == job_id
    spare = storage.claim_trial(study_id, job_id=job_id)
    assert spare.status == ClaimStatus.NOTHING_OWED and spare.trial is None
    # Without a job a claim still creates trials; they do not count toward the job.
    assert claim(storage, study_id).job_id is None
    complete(storage, study_id, first, 1.0)
    storage.finish_trial(study_id, second.trial_id, TrialState.FAIL)  # no retry: still counts
    assert storage.claim_trial(study_id, job_id=job_id).status == ClaimStatus.NOTHING_OWED
    progress = storage.job_progress(job_id)
    assert progress.counts == {TrialState.COMPLETE: 1, TrialState.FAIL: 1}
    assert progress.owed == 0 and progress.settled and progress.wanted == 0


def test_a_retry_replaces_its_failed_trial_in_the_jobs_count(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    job_id = new_job(storage, study_id, 2)
    first = claim(storage, study_id, job_id=job_id)
    claim(storage, study_id, job_id=job_id)
    storage.enqueue_trial(study_id, {"x": 0.9})  # WAITING of no job: number 2
    failed = storage.finish_trial(study_id, first.trial_id, TrialState.FAIL, retry_limit=1)
    retry = failed.retry
    assert retry is not None and retry.job_id == job_id and retry.number == 3
    progress = storage.job_progress(job_id)
    # The failed trial is left out: the retry stands for it.
    assert progress.counts == {TrialState.RUNNING: 1, TrialState.WAITING: 1}
    assert progress.owed == 0 and progress.wanted == 1 and not progress.settled
    # The job's own WAITING trial comes first, before the older one of no job...
    taken = claim(storage, study_id, job_id=job_id)
    assert taken.number == retry.number and taken.job_id == job_id
    # ...and the unowned one is not taken for a job that is owed nothing.
    assert storage.claim_trial(study_id, job_id=job_id).status == ClaimStatus.NOTHING_OWED
    assert storage.get_trial(study_id, 2).state == TrialState.WAITING
    # A claim without a job never takes a job's WAITING trial.
    failed_again = storage.finish_trial(study_id, taken.trial_id, TrialState.FAIL, retry_limit=2)
    assert failed_again.retry is not None
    plain = claim(storage, study_id)
    assert plain.number == 2 and plain.job_id is None
    assert claim(storage, study_id).number == failed_again.retry.number + 1  # a new trial
    assert storage.get_trial(study_id, failed_again.retry.number).state == TrialState.WAITING


def test_a_job_takes_a_waiting_trial_of_no_job_while_owed(storage: BaseStorage) -> None:
    study_id = new_study(storage, max_trials=3)
    storage.enqueue_trial(study_id, {"x": 0.1})
    storage.enqueue_trial(study_id, {"x": 0.2})
    job_id = new_job(storage, study_id, 1)
    taken = claim(storage, study_id, job_id=job_id, waiting_number=1)
    assert taken.number == 1 and taken.job_id == job_id
    assert taken.system_attrs["fixed_params"] == {"x": 0.2}
    assert storage.get_trial(study_id, 1).job_id == job_id
    assert storage.claim_trial(study_id, job_id=job_id).status == ClaimStatus.NOTHING_OWED
    assert storage.job_progress(job_id).counts == {TrialState.RUNNING: 1}
    # The cap holds for a job as for any claim.
    big = new_job(storage, study_id, 5, job_id="job-2")
    assert claim(storage, study_id, job_id=big).number == 0  # the WAITING one left
    assert claim(storage, study_id, job_id=big).number == 2
    capped = storage.claim_trial(study_id, job_id=big)
    assert capped.status == ClaimStatus.CAP_REACHED
    progress = storage.job_progress(big)
    assert progress.at_cap and progress.owed == 3 and progress.wanted == 0
    assert progress.unfinished == 2 and not progress.settled


def test_a_cancelled_job_claims_nothing_and_its_waiting_trials_fail(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    job_id = new_job(storage, study_id, 3)
    running = claim(storage, study_id, job_id=job_id)
    failed = claim(storage, study_id, job_id=job_id)
    retry = storage.finish_trial(study_id, failed.trial_id, TrialState.FAIL, retry_limit=1).retry
    assert retry is not None
    storage.cancel_job(job_id)
    assert storage.get_job(job_id).cancelled
    cancelled = storage.claim_trial(study_id, job_id=job_id)
    assert cancelled.status == ClaimStatus.CANCELLED and cancelled.trial is None
    # Its WAITING retry, which no claim would take now, is failed; the running trial runs on.
    gone = storage.get_trial(study_id, retry.number)
    assert gone.state == TrialState.FAIL and gone.fail_reason
    assert storage.get_trial(study_id, running.number).state == TrialState.RUNNING
    assert claim(storage, study_id).number == 3  # a claim without a job: a new trial
    progress = storage.job_progress(job_id)
    assert progress.wanted == 0 and not progress.settled
    complete(storage, study_id, running, 1.0)
    assert storage.job_progress(job_id).settled
    assert storage.list_active_jobs() == []


def test_job_progress_and_the_active_list(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    first = new_job(storage, study_id, 3, job_id="a")
    second = new_job(storage, study_id, 1, job_id="b")
    progress = storage.job_progress(first)
    assert progress.job == storage.get_job(first)
    assert progress.counts == {} and progress.owed == 3 and not progress.at_cap
    assert progress.last_claim is None and progress.wanted == 3
    assert progress.job.datetime_created <= progress.now <= storage.db_now()
    trial = claim(storage, study_id, job_id=first)
    progress = storage.job_progress(first)
    assert progress.counts == {TrialState.RUNNING: 1} and progress.owed == 2
    assert progress.last_claim is not None and progress.last_claim <= progress.now
    assert progress.unfinished == 1 and progress.wanted == 2
    complete(storage, study_id, trial, 0.5)
    assert storage.job_progress(first).counts == {TrialState.COMPLETE: 1}
    assert [j.job_id for j in storage.list_active_jobs()] == [first, second]
    storage.mark_job_settled(second)
    assert [j.job_id for j in storage.list_active_jobs()] == [first]
    storage.delete_study(study_id)
    assert storage.list_active_jobs() == []


def test_racing_job_claims_create_exactly_the_jobs_trials(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    job_id = new_job(storage, study_id, 30)
    statuses: list[ClaimStatus] = []
    lock = threading.Lock()

    def claims() -> None:
        for _ in range(6):  # 8 threads x 6 claims for 30 trials
            result = storage.claim_trial(study_id, job_id=job_id)
            with lock:
                statuses.append(result.status)

    race(8, claims)
    assert statuses.count(ClaimStatus.CLAIMED) == 30
    assert statuses.count(ClaimStatus.NOTHING_OWED) == 18
    trials = storage.get_trials(study_id)
    assert [t.number for t in trials] == list(range(30))
    assert {t.job_id for t in trials} == {job_id}
    assert storage.job_progress(job_id).owed == 0


def test_one_racing_caller_wins_each_wakeup_turn_and_the_back_off_doubles(
    storage: BaseStorage,
) -> None:
    idle = 0.5  # long enough that a race of 8 callers ends well within it
    study_id = new_study(storage)
    job_id = new_job(storage, study_id, 2)
    assert not storage.take_wakeup_turn(job_id, idle)  # just created: its wake-ups are fresh

    def turns() -> int:
        won: list[bool] = []
        race(8, lambda: won.append(storage.take_wakeup_turn(job_id, idle)))
        return won.count(True)

    time.sleep(idle + 0.1)
    assert turns() == 1
    assert turns() == 0  # within the back-off (idle)
    time.sleep(idle + 0.1)
    assert turns() == 1  # the back-off is now 2 x idle
    time.sleep(idle + 0.1)
    assert turns() == 0
    time.sleep(idle + 0.1)
    assert turns() == 1  # 4 x idle from now
    time.sleep(2 * idle + 0.1)
    assert turns() == 0
    # A claim resets it: idle time counts from the claim, and the back-off starts over.
    claim(storage, study_id, job_id=job_id)
    assert turns() == 0
    time.sleep(idle + 0.1)
    assert turns() == 1
    time.sleep(idle + 0.1)
    assert turns() == 1
    storage.cancel_job(job_id)
    time.sleep(2 * idle + 0.1)
    assert turns() == 0  # a cancelled job needs no wake-up


# -- finished trials made elsewhere -------------------------------------------------------


def test_a_finished_trial_is_added_whole_as_the_next_one(storage: BaseStorage) -> None:
    study_id = new_study(storage, max_trials=4)
    claim(storage, study_id)  # trial 0 is RUNNING
    start = datetime.datetime(2025, 5, 1, 12, 0, 0)
    made = FrozenTrial(
        number=41,  # another study's number: the store gives the next one
        state=TrialState.PRUNED,
        values=[2.5],
        params={"x": 0.25},
        distributions={"x": X},
        user_attrs={"note": "warm"},
        system_attrs={"from": "elsewhere"},
        intermediate_values={0: 3.0, 4: 2.5},
        datetime_start=start,
        datetime_complete=start + datetime.timedelta(seconds=7),
    )
    added = storage.add_finished_trial(study_id, made)
    assert added is not None and added.number == 1 and added.trial_id >= 0
    read = storage.get_trial(study_id, 1)
    assert (read.state, read.values, read.params, read.distributions) == (
        TrialState.PRUNED,
        [2.5],
        {"x": 0.25},
        {"x": X},
    )
    assert read.intermediate_values == {0: 3.0, 4: 2.5}
    assert (read.user_attrs, read.system_attrs) == ({"note": "warm"}, {"from": "elsewhere"})
    assert (read.datetime_start, read.datetime_complete) == (
        made.datetime_start,
        made.datetime_complete,
    )
    assert claim(storage, study_id).number == 2  # numbering goes on
    # A failed trial takes no slot, as any: room for one more, then none.
    failed = storage.add_finished_trial(study_id, FrozenTrial(number=0, state=TrialState.FAIL))
    assert failed is not None and failed.number == 3
    assert storage.add_finished_trial(study_id, made) is not None
    assert storage.add_finished_trial(study_id, made) is None
    assert len(storage.get_trials(study_id)) == 5
    with pytest.raises(InvalidInputError):
        storage.add_finished_trial(study_id, FrozenTrial(number=0, state=TrialState.RUNNING))
