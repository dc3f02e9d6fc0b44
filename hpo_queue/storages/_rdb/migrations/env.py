"""Alembic's entry point: runs hpo-queue's migrations on the connection the storage hands it.

hpo-queue runs alembic itself (``hpo-queue storage upgrade``, see ``schema_version.py``), on
a connection already inside a transaction, so there is no alembic.ini and no offline mode.

Adding a migration: write ``versions/v<N>_<what>.py`` with ``revision = "v<N>"`` and
``down_revision = "v<N-1>"``, whose upgrade() sets hq_version_info.schema_version to N, and
raise SCHEMA_VERSION in ``schema.py`` to N. One revision per schema version keeps the two
in step, so the version row alone says which revision a store is at.
"""

from __future__ import annotations

from alembic import context

from hpo_queue.exceptions import StorageError
from hpo_queue.storages._rdb.schema import ALEMBIC_VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise StorageError(
        "hpo-queue's migrations run on hpo-queue's own connection: use "
        "'hpo-queue storage upgrade --storage URL' rather than the alembic command."
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=ALEMBIC_VERSION_TABLE,
)
# Inside the caller's transaction already: alembic then neither begins nor commits one.
with context.begin_transaction():
    context.run_migrations()
