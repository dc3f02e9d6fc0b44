"""The relational storage (MySQL/MariaDB, PostgreSQL, SQLite), split by concern.

``storage`` is the storage API; ``cache`` the per-process trial cache and its incremental
reads; ``codec`` turns rows into records; ``schema`` holds the tables; ``schema_version``
creates a new store and checks an old one's version; ``upgrade`` migrates an old store with
the alembic scripts in ``migrations/``; ``engine`` and ``retry`` the connections and the
retried transaction.
"""

from __future__ import annotations

from hpo_queue.storages._rdb.storage import RDBStorage

__all__ = ["RDBStorage"]
