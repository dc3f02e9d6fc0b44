"""Storages: where studies and trials live, shared by every process and worker."""

from __future__ import annotations

import os
import threading

from hpo_queue.storages._base import BaseStorage
from hpo_queue.storages._rdb import RDBStorage
from hpo_queue.storages._records import (
    Claim,
    ClaimStatus,
    StudyRecord,
    StudySummary,
    TrialSnapshot,
)
from hpo_queue.storages._url import mask_url, normalize_url

__all__ = [
    "BaseStorage",
    "Claim",
    "ClaimStatus",
    "RDBStorage",
    "StudyRecord",
    "StudySummary",
    "TrialSnapshot",
    "get_storage",
    "mask_url",
    "normalize_url",
]

_storages: dict[tuple[str, int], RDBStorage] = {}
_lock = threading.Lock()


def get_storage(storage: str | RDBStorage | None) -> RDBStorage:
    """The storage for a URL, shared within the process so its trial cache is too.

    ``None`` gives a new database held in this process (SQLite in memory).
    """
    if isinstance(storage, RDBStorage):
        return storage
    if storage is None:
        return RDBStorage(None)
    key = (storage, os.getpid())
    with _lock:
        found = _storages.get(key)
        if found is None:
            found = _storages[key] = RDBStorage(storage)
        return found
