"""Schema version 5: a study's cap can count FAIL trials (hq_studies.cap_counts_failed).

Until now ``max_trials`` counted every trial but FAIL ones: a failed trial freed its slot.
``MaxTrialsCallback(states=None)``, or any ``states`` that counts FAIL, needs a cap that
keeps failed trials too, or a trial failing in one process frees a slot another process
fills before the callback can lower the cap. Existing studies keep the old meaning (0).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hpo_queue import __version__

revision = "v5"
down_revision = "v4"
branch_labels = None
depends_on = None

_version_info = sa.table(
    "hq_version_info",
    sa.column("version_info_id", sa.Integer),
    sa.column("schema_version", sa.Integer),
    sa.column("library_version", sa.String),
)


def upgrade() -> None:
    """Add cap_counts_failed (0 for every existing study) and record version 5."""
    bind = op.get_bind()
    columns = {column["name"] for column in sa.inspect(bind).get_columns("hq_studies")}
    if "cap_counts_failed" not in columns:
        op.add_column(
            "hq_studies",
            sa.Column("cap_counts_failed", sa.SmallInteger, nullable=False, server_default="0"),
        )
        if bind.dialect.name != "sqlite":  # SQLite cannot alter a column; the default is harmless
            op.alter_column(
                "hq_studies",
                "cap_counts_failed",
                server_default=None,
                existing_type=sa.SmallInteger,
                existing_nullable=False,
            )
    _set_version(5)


def downgrade() -> None:
    """Back to version 4: drop the column (every cap counts non-failed trials again)."""
    op.drop_column("hq_studies", "cap_counts_failed")
    _set_version(4)


def _set_version(version: int) -> None:
    op.execute(
        _version_info.update()
        .where(_version_info.c.version_info_id == 1)
        .values(schema_version=version, library_version=__version__)
    )
