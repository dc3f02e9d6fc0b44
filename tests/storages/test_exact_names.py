"""Study names, attr keys and task keys match exactly on every database (MySQL too)."""

from __future__ import annotations

import pytest

import hpo_queue as hq
from hpo_queue.exceptions import StudyNotFoundError
from hpo_queue.storages import RDBStorage


def test_names_differing_in_case_or_trailing_spaces_are_different_studies(
    storage_url: str,
) -> None:
    hq.create_study(study_name="Ab", storage=storage_url)
    with pytest.raises(StudyNotFoundError):
        hq.load_study(study_name="ab   ", storage=storage_url)
    with pytest.raises(StudyNotFoundError):
        hq.load_study(study_name="ab", storage=storage_url)
    hq.create_study(study_name="ab", storage=storage_url)
    hq.create_study(study_name="Ab ", storage=storage_url)
    names = RDBStorage(storage_url).list_study_names()
    assert sorted(names) == ["Ab", "Ab ", "ab"]


def test_user_attr_keys_differing_in_case_are_kept_apart(storage_url: str) -> None:
    study = hq.create_study(storage=storage_url)
    study.set_user_attr("key", 1)
    study.set_user_attr("KEY", 2)
    study.set_user_attr("key ", 3)
    again = hq.load_study(study_name=study.study_name, storage=storage_url)
    assert again.user_attrs == {"key": 1, "KEY": 2, "key ": 3}


def test_task_keys_differing_in_case_claim_different_trials(storage_url: str) -> None:
    storage = RDBStorage(storage_url)
    record = storage.create_study("s", [hq.StudyDirection.MINIMIZE], {}, {}, None)
    first = storage.claim_trial(record.study_id, task_key="task-A")
    second = storage.claim_trial(record.study_id, task_key="task-a")
    assert first.trial is not None and second.trial is not None
    assert first.trial.number != second.trial.number


def test_an_upgraded_store_matches_names_exactly(storage_url: str) -> None:
    from hpo_queue.storages._rdb.upgrade import upgrade_storage
    from tests.support.old_stores import create_old_store

    create_old_store(storage_url, "a2bbaee")
    upgrade_storage(storage_url)
    hq.create_study(study_name="Ab", storage=storage_url)
    hq.create_study(study_name="ab", storage=storage_url)
    with pytest.raises(StudyNotFoundError):
        hq.load_study(study_name="Ab   ", storage=storage_url)
