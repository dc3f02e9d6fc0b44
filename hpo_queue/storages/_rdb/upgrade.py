"""Upgrading a store in place with alembic's migrations: what `hpo-queue storage upgrade` runs.

Alembic runs programmatically on the storage's own engine and connection: the scripts in
``migrations/`` ship inside the package, and no alembic.ini is needed.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from hpo_queue import __version__
from hpo_queue.exceptions import SchemaVersionError, StorageError
from hpo_queue.storages._rdb import schema
from hpo_queue.storages._rdb.engine import get_engine
from hpo_queue.storages._rdb.schema_version import check_version, read_version_row, revision_for
from hpo_queue.storages._url import mask_url, normalize_url

_logger = logging.getLogger("hpo_queue.storage")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclasses.dataclass(frozen=True)
class SchemaUpgrade:
    """What ``upgrade_storage`` did: the store's schema version before and after."""

    url: str  # password masked
    from_version: int
    to_version: int

    @property
    def changed(self) -> bool:
        """False when the store was at the current version already."""
        return self.from_version != self.to_version


def upgrade_storage(url: str) -> SchemaUpgrade:
    """Bring the store at ``url`` to the current schema version, keeping its data.

    A store of the release before alembic (version 1, no hq_alembic_version table) is taken
    to be at the baseline revision. Run it with no worker writing to the store: MySQL cannot
    roll back a half-done schema change.

    Raises:
        StorageError: the database holds no hpo-queue store, or cannot be reached.
        SchemaVersionError: the store is newer than this release.
    """
    parsed = normalize_url(url)
    masked = mask_url(url.strip())  # as the user wrote it, not the driver URL
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StorageError("An in-memory database has no schema to upgrade; give a database URL.")
    try:
        with get_engine(parsed).begin() as conn:
            row = read_version_row(conn)
            if row is None:
                raise StorageError(
                    f"{masked} holds no hpo-queue store (no {schema.version_info.name} table): "
                    "nothing to upgrade. A new store is created at the current version when "
                    "a study is first created in it."
                )
            before = int(row.schema_version)
            if before > schema.SCHEMA_VERSION:
                check_version(row, masked)  # raises, naming both versions
            current = MigrationContext.configure(
                conn, opts={"version_table": schema.ALEMBIC_VERSION_TABLE}
            ).get_current_revision()
            if current is None:  # the release before alembic kept only the version row
                _run_alembic(conn, lambda config: command.stamp(config, revision_for(before)))
            try:
                run_migrations(conn)  # nothing to run when the store is at the head already
            except CommandError as exc:
                raise SchemaVersionError(
                    f"{masked} is at migration {current!r}, which hpo-queue {__version__} "
                    f"does not know ({exc}); upgrade with the release that wrote it."
                ) from exc
            after_row = read_version_row(conn)
            assert after_row is not None
            after = int(after_row.schema_version)
    except DBAPIError as exc:
        text = str(exc.orig).strip()
        reason = text.splitlines()[0] if text else type(exc.orig).__name__
        raise StorageError(f"Could not upgrade the schema of {masked}: {reason}") from exc
    if after != before:
        _logger.info("Upgraded %s from schema version %d to %d.", masked, before, after)
    return SchemaUpgrade(url=masked, from_version=before, to_version=after)


def head_revision() -> str | None:
    """The newest migration's revision: a store at the current version is stamped with it."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def run_migrations(conn: Connection, target: str = "head") -> None:
    """Run the migrations up to ``target`` on ``conn``, inside its transaction."""
    _run_alembic(conn, lambda config: command.upgrade(config, target))


def _config() -> Config:
    config = Config()
    # Config values go through configparser interpolation: a literal % must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def _run_alembic(conn: Connection, run: Callable[[Config], None]) -> None:
    """Run an alembic command (stamp, upgrade) on ``conn``, inside its transaction."""
    config = _config()
    config.attributes["connection"] = conn
    run(config)
