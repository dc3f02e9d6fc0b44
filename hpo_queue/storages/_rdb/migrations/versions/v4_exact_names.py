"""Schema version 4: names and keys match exactly on MySQL and MariaDB.

Their default collation ignores case and trailing spaces: ``load_study("ab   ")`` returned
study "Ab", a task for study "ALLOW1   " ran a trial of "allow1", and study user attr "KEY"
overwrote "key". hq_studies.study_name, hq_study_attrs.attr_key and hq_trials.task_key get a
binary collation that does not pad spaces (MariaDB's utf8mb4_nopad_bin, MySQL 8.0.17's
utf8mb4_0900_bin). Existing rows need no change: what was unique under the old collation is
unique under a stricter one. SQLite and PostgreSQL compare exactly already; on them this
revision only raises the version.

The columns are spelled out here rather than taken from ``schema.py``: a migration describes
the schema of its time, not the current one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hpo_queue import __version__

revision = "v4"
down_revision = "v3"
branch_labels = None
depends_on = None

_NAME = 512
# (table, column, VARCHAR length, NULL or NOT NULL)
_COLUMNS = (
    ("hq_studies", "study_name", _NAME, "NOT NULL"),
    ("hq_study_attrs", "attr_key", _NAME, "NOT NULL"),
    ("hq_trials", "task_key", 255, "NULL"),
)
_version_info = sa.table(
    "hq_version_info",
    sa.column("version_info_id", sa.Integer),
    sa.column("schema_version", sa.Integer),
    sa.column("library_version", sa.String),
)


def upgrade() -> None:
    """Give the name and key columns a binary no-pad collation on MySQL; record version 4."""
    bind = op.get_bind()
    if bind.dialect.name == "mysql":
        collation = (
            "utf8mb4_nopad_bin"
            if getattr(bind.dialect, "is_mariadb", False)
            else "utf8mb4_0900_bin"
        )
        _set_collation(collation)
    _set_version(4)


def downgrade() -> None:
    """Back to version 3: the server's default utf8mb4 collation again."""
    bind = op.get_bind()
    if bind.dialect.name == "mysql":
        _set_collation(
            "utf8mb4_general_ci"
            if getattr(bind.dialect, "is_mariadb", False)
            else "utf8mb4_0900_ai_ci"
        )
    _set_version(3)


def _set_collation(collation: str) -> None:
    for table, column, length, null in _COLUMNS:
        op.execute(
            f"ALTER TABLE {table} MODIFY {column} VARCHAR({length}) "
            f"CHARACTER SET utf8mb4 COLLATE {collation} {null}"
        )


def _set_version(version: int) -> None:
    op.execute(
        _version_info.update()
        .where(_version_info.c.version_info_id == 1)
        .values(schema_version=version, library_version=__version__)
    )
