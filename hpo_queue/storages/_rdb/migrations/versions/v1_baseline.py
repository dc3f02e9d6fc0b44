"""Schema version 1, as the last release before alembic (a2bbaee) created it.

A store from that release has no alembic version table; it is stamped with this revision
before it is upgraded. The tables are spelled out here rather than taken from ``schema.py``:
a migration describes the schema of its time, not the current one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "v1"
down_revision = None
branch_labels = None
depends_on = None

_DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_Text = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
_Double = sa.Float(precision=53).with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
_NAME = 512


def upgrade() -> None:
    """Create the version-1 tables in an empty database."""
    version_info = op.create_table(
        "hq_version_info",
        sa.Column("version_info_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("library_version", sa.String(64), nullable=False),
    )
    op.create_table(
        "hq_studies",
        sa.Column("study_id", sa.Integer, primary_key=True),
        sa.Column("study_name", sa.String(_NAME), nullable=False, unique=True),
        sa.Column("directions", sa.String(255), nullable=False),
        sa.Column("sampler_config", _Text, nullable=False),
        sa.Column("pruner_config", _Text, nullable=False),
        sa.Column("options_json", _Text, nullable=False),
        sa.Column("max_trials", sa.Integer, nullable=True),
        sa.Column("next_number", sa.Integer, nullable=False),
        sa.Column("n_failed", sa.Integer, nullable=False),
        sa.Column("n_waiting", sa.Integer, nullable=False),
        sa.Column("datetime_created", _DateTime, nullable=False),
        mysql_engine="InnoDB",
    )
    op.create_table(
        "hq_study_attrs",
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("hq_studies.study_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("attr_key", sa.String(_NAME), primary_key=True),
        sa.Column("value_json", _Text, nullable=False),
        mysql_engine="InnoDB",
    )
    op.create_table(
        "hq_trials",
        sa.Column("trial_id", sa.Integer, primary_key=True),
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("hq_studies.study_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.SmallInteger, nullable=False),
        sa.Column("values_json", _Text, nullable=True),
        sa.Column("params_json", _Text, nullable=False),
        sa.Column("distributions_json", _Text, nullable=False),
        sa.Column("user_attrs_json", _Text, nullable=False),
        sa.Column("system_attrs_json", _Text, nullable=False),
        sa.Column("constraints_json", _Text, nullable=True),
        sa.Column("fail_reason", _Text, nullable=True),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("task_key", sa.String(255), nullable=True),
        sa.Column("datetime_start", _DateTime, nullable=True),
        sa.Column("datetime_complete", _DateTime, nullable=True),
        sa.Column("heartbeat", _DateTime, nullable=True),
        sa.Column("n_reports", sa.Integer, nullable=False),
        sa.UniqueConstraint("study_id", "number", name="uq_hq_trials_study_number"),
        sa.UniqueConstraint("study_id", "task_key", name="uq_hq_trials_study_task"),
        mysql_engine="InnoDB",
    )
    op.create_index("ix_hq_trials_study_state", "hq_trials", ["study_id", "state", "number"])
    op.create_table(
        "hq_trial_intermediate_values",
        sa.Column(
            "trial_id",
            sa.Integer,
            sa.ForeignKey("hq_trials.trial_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("step", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", _Double, nullable=True),
        sa.Column("value_kind", sa.SmallInteger, nullable=False),
        mysql_engine="InnoDB",
    )
    op.bulk_insert(
        version_info, [{"version_info_id": 1, "schema_version": 1, "library_version": "0.1.0"}]
    )


def downgrade() -> None:
    """Drop every table."""
    for table in (
        "hq_trial_intermediate_values",
        "hq_trials",
        "hq_study_attrs",
        "hq_studies",
        "hq_version_info",
    ):
        op.drop_table(table)
