"""The relational storage (MySQL/MariaDB, PostgreSQL, SQLite), split by concern.

``storage`` is the storage API; ``locking`` the study row lock and the lock order;
``trial_rows`` the trial rows written under it (a new trial, a claimed WAITING one, a
retry); ``jobs`` the jobs' SQL; ``clock`` the database's clock that leases and job times are
measured on; ``cache`` the per-process trial cache and its incremental reads; ``codec``
turns rows into records; ``schema`` holds the tables; ``schema_version`` creates a new store
and checks an old one's version; ``upgrade`` migrates an old store with the alembic scripts
in ``migrations/``; ``engine`` and ``retry`` the connections (a bounded pool) and the
retried transaction.
"""

from __future__ import annotations

from hpo_queue.storages._rdb.storage import RDBStorage

__all__ = ["RDBStorage"]
