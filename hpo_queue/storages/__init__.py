"""Storages: where studies and trials live, shared by every process and worker."""

from __future__ import annotations

import os
import threading
from typing import TypeVar, overload

from hpo_queue.storages._base import BaseStorage
from hpo_queue.storages._in_memory import InMemoryStorage
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
    "InMemoryStorage",
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
_StorageT = TypeVar("_StorageT", bound=BaseStorage)


@overload
def get_storage(storage: None) -> InMemoryStorage: ...
@overload
def get_storage(storage: str) -> RDBStorage: ...
@overload
def get_storage(storage: _StorageT) -> _StorageT: ...
@overload
def get_storage(storage: str | BaseStorage | None) -> BaseStorage: ...


def get_storage(storage: str | BaseStorage | None) -> BaseStorage:
    """The storage for a URL, shared within the process so its trial cache is too.

    ``None`` gives a new :class:`InMemoryStorage`, held in this process; a storage object is
    returned as it is.
    """
    if isinstance(storage, BaseStorage):
        return storage
    if storage is None:
        return InMemoryStorage()
    key = (storage, os.getpid())
    with _lock:
        found = _storages.get(key)
        if found is None:
            found = _storages[key] = RDBStorage(storage)
        return found
