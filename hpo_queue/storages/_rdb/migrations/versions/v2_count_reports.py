"""Schema version 2: the trial row counts its intermediate values (n_reports).

The column changed twice while the schema said version 1: pre-release builds had no such
column, then a ``has_reports`` flag, and the release (a2bbaee) ``n_reports``. A store of an
earlier shape passed the version check and failed at its first query. This revision brings
any version-1 shape to the released one, counting each trial's stored values, and raises the
version so that a store of either shape is refused until it is upgraded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hpo_queue import __version__

revision = "v2"
down_revision = "v1"
branch_labels = None
depends_on = None

_trials = sa.table("hq_trials", sa.column("trial_id", sa.Integer), sa.column("n_reports"))
_values = sa.table("hq_trial_intermediate_values", sa.column("trial_id", sa.Integer))
_version_info = sa.table(
    "hq_version_info",
    sa.column("version_info_id", sa.Integer),
    sa.column("schema_version", sa.Integer),
    sa.column("library_version", sa.String),
)


def upgrade() -> None:
    """Add n_reports where it is missing, drop has_reports, and record version 2."""
    bind = op.get_bind()
    columns = {column["name"] for column in sa.inspect(bind).get_columns("hq_trials")}
    if "n_reports" not in columns:
        # A server default fills the existing rows; NOT NULL needs one on SQLite.
        op.add_column(
            "hq_trials",
            sa.Column("n_reports", sa.Integer, nullable=False, server_default="0"),
        )
        count = (
            sa.select(sa.func.count())
            .where(_values.c.trial_id == _trials.c.trial_id)
            .scalar_subquery()
        )
        op.execute(_trials.update().values(n_reports=count))
        if bind.dialect.name != "sqlite":  # SQLite cannot alter a column; the default is harmless
            op.alter_column(
                "hq_trials",
                "n_reports",
                server_default=None,
                existing_type=sa.Integer,
                existing_nullable=False,
            )
    if "has_reports" in columns:
        op.drop_column("hq_trials", "has_reports")
    _set_version(2)


def downgrade() -> None:
    """Back to version 1 as the release had it (n_reports stays: it is version 1's column)."""
    _set_version(1)


def _set_version(version: int) -> None:
    op.execute(
        _version_info.update()
        .where(_version_info.c.version_info_id == 1)
        .values(schema_version=version, library_version=__version__)
    )
