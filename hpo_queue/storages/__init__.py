"""Storages: where studies and trials live, shared by every process and worker."""

from __future__ import annotations

import os
import threading
from typing import TypeVar, overload

from hpo_queue.storages._base import BaseStorage
from hpo_queue.storages._callbacks import RetryFailedTrialCallback
from hpo_queue.storages._in_memory import InMemoryStorage
from hpo_queue.storages._rdb import RDBStorage
from hpo_queue.storages._rdb.engine import DEFAULT_POOL_SIZE
from hpo_queue.storages._records import (
    Claim,
    ClaimStatus,
    FinishResult,
    JobProgress,
    JobRecord,
    StudyRecord,
    StudySummary,
    TrialSnapshot,
)
from hpo_queue.storages._url import mask_url, normalize_url, url_scheme

__all__ = [
    "BaseStorage",
    "Claim",
    "ClaimStatus",
    "FinishResult",
    "InMemoryStorage",
    "JobProgress",
    "JobRecord",
    "RDBStorage",
    "RetryFailedTrialCallback",
    "StudyRecord",
    "StudySummary",
    "TrialSnapshot",
    "get_storage",
    "mask_url",
    "normalize_url",
    "url_scheme",
]

_storages: dict[tuple[str, int, int], RDBStorage] = {}
_lock = threading.Lock()
_StorageT = TypeVar("_StorageT", bound=BaseStorage)


@overload
def get_storage(storage: None, *, pool_size: int | None = None) -> InMemoryStorage: ...
@overload
def get_storage(storage: str, *, pool_size: int | None = None) -> RDBStorage: ...
@overload
def get_storage(storage: _StorageT, *, pool_size: int | None = None) -> _StorageT: ...
@overload
def get_storage(
    storage: str | BaseStorage | None, *, pool_size: int | None = None
) -> BaseStorage: ...


def get_storage(storage: str | BaseStorage | None, *, pool_size: int | None = None) -> BaseStorage:
    """The storage for a URL, shared within the process so its trial cache is too.

    ``None`` gives a new :class:`InMemoryStorage`, held in this process; a storage object is
    returned as it is. ``pool_size`` bounds the connections the process opens to a URL's
    store (None: RDBStorage's default, 2); it applies to a URL only.
    """
    if isinstance(storage, BaseStorage):
        return storage
    if storage is None:
        return InMemoryStorage()
    size = DEFAULT_POOL_SIZE if pool_size is None else pool_size
    key = (storage, os.getpid(), size)
    with _lock:
        found = _storages.get(key)
        if found is None:
            found = _storages[key] = RDBStorage(storage, pool_size=size)
        return found
