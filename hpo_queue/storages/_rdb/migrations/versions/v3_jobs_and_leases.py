"""Schema version 3: the store owns the work: jobs, leases on the store's clock, superseded trials.

- hq_studies.lease_seconds (60 for the existing studies, the default);
- hq_trials: lease_expires_at and lease_seconds replace the heartbeat column (a RUNNING trial
  gets a lease of its last heartbeat + 60 s), job_id, and superseded (1 for a failed trial
  that a retry replaced: another trial of its study names it in system_attrs "retry_of");
- hq_jobs, one row per submit.

The tables are spelled out here rather than taken from ``schema.py``: a migration describes
the schema of its time, not the current one.
"""

from __future__ import annotations

import datetime
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from hpo_queue import __version__

revision = "v3"
down_revision = "v2"
branch_labels = None
depends_on = None

_DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_Text = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
_Double = sa.Float(precision=53).with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
_LEASE_SECONDS = 60.0
_RUNNING = 0  # TrialState.RUNNING as stored

_trials = sa.table(
    "hq_trials",
    sa.column("trial_id", sa.Integer),
    sa.column("study_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("state", sa.SmallInteger),
    sa.column("system_attrs_json", sa.Text),
    sa.column("datetime_start", _DateTime),
    sa.column("heartbeat", _DateTime),
    sa.column("lease_expires_at", _DateTime),
    sa.column("lease_seconds", _Double),
    sa.column("superseded", sa.SmallInteger),
)
_version_info = sa.table(
    "hq_version_info",
    sa.column("version_info_id", sa.Integer),
    sa.column("schema_version", sa.Integer),
    sa.column("library_version", sa.String),
)


def upgrade() -> None:
    """Add the lease, job and superseded columns and the jobs table; record version 3."""
    bind = op.get_bind()
    # A server default fills the existing rows; NOT NULL needs one on SQLite.
    op.add_column(
        "hq_studies",
        sa.Column("lease_seconds", _Double, nullable=False, server_default=str(_LEASE_SECONDS)),
    )
    op.add_column("hq_trials", sa.Column("lease_expires_at", _DateTime, nullable=True))
    op.add_column("hq_trials", sa.Column("lease_seconds", _Double, nullable=True))
    op.add_column("hq_trials", sa.Column("job_id", sa.String(64), nullable=True))
    op.add_column(
        "hq_trials", sa.Column("superseded", sa.SmallInteger, nullable=False, server_default="0")
    )
    if bind.dialect.name != "sqlite":  # SQLite cannot alter a column; the defaults are harmless
        for table, column, kind in (
            ("hq_studies", "lease_seconds", _Double),
            ("hq_trials", "superseded", sa.SmallInteger),
        ):
            op.alter_column(
                table, column, server_default=None, existing_type=kind, existing_nullable=False
            )
    _lease_running_trials(bind)
    _mark_superseded_trials(bind)
    op.drop_column("hq_trials", "heartbeat")
    op.create_index(
        "ix_hq_trials_study_job_state", "hq_trials", ["study_id", "job_id", "state", "number"]
    )
    op.create_table(
        "hq_jobs",
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("hq_studies.study_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("objective_ref", _Text, nullable=False),
        sa.Column("n_trials", sa.Integer, nullable=False),
        sa.Column("error_retries", sa.Integer, nullable=False),
        sa.Column("queue", sa.String(255), nullable=True),
        sa.Column("datetime_created", _DateTime, nullable=False),
        sa.Column("cancelled", sa.SmallInteger, nullable=False),
        sa.Column("settled", sa.SmallInteger, nullable=False),
        sa.Column("last_claim_at", _DateTime, nullable=True),
        sa.Column("next_wakeup_at", _DateTime, nullable=True),
        sa.Column("wakeup_backoff", _Double, nullable=True),
        mysql_engine="InnoDB",
    )
    op.create_index("ix_hq_jobs_study", "hq_jobs", ["study_id"])
    op.create_index("ix_hq_jobs_active", "hq_jobs", ["settled", "cancelled", "datetime_created"])
    _set_version(3)


def _lease_running_trials(bind: sa.Connection) -> None:
    """Give each RUNNING trial a lease of its last heartbeat (else its start) + 60 s.

    Computed here rather than in SQL: datetime arithmetic has no portable spelling, and a
    store holds few RUNNING trials (none when its workers were stopped for the upgrade).
    """
    rows = bind.execute(
        sa.select(_trials.c.trial_id, _trials.c.heartbeat, _trials.c.datetime_start).where(
            _trials.c.state == _RUNNING
        )
    ).all()
    for trial_id, heartbeat, started in rows:
        last_sign = heartbeat or started
        expires = (
            None
            if last_sign is None  # never beat: expired, as a stale trial was
            else last_sign + datetime.timedelta(seconds=_LEASE_SECONDS)
        )
        bind.execute(
            _trials.update()
            .where(_trials.c.trial_id == trial_id)
            .values(lease_expires_at=expires, lease_seconds=_LEASE_SECONDS)
        )


def _mark_superseded_trials(bind: sa.Connection) -> None:
    """superseded = 1 on each trial that another trial of its study is a retry of."""
    rows = bind.execute(
        sa.select(_trials.c.study_id, _trials.c.system_attrs_json).where(
            _trials.c.system_attrs_json.like('%"retry_of"%')
        )
    ).all()
    replaced: set[tuple[int, int]] = set()
    for study_id, text in rows:
        retry_of = json.loads(text).get("retry_of")
        if isinstance(retry_of, int) and not isinstance(retry_of, bool):
            replaced.add((study_id, retry_of))
    for study_id, number in sorted(replaced):
        bind.execute(
            _trials.update()
            .where(_trials.c.study_id == study_id, _trials.c.number == number)
            .values(superseded=1)
        )


def downgrade() -> None:
    """Back to version 2: the jobs, leases and marks are dropped; a heartbeat column again."""
    op.drop_table("hq_jobs")
    op.drop_index("ix_hq_trials_study_job_state", table_name="hq_trials")
    op.add_column("hq_trials", sa.Column("heartbeat", _DateTime, nullable=True))
    for column in ("superseded", "job_id", "lease_seconds", "lease_expires_at"):
        op.drop_column("hq_trials", column)
    op.drop_column("hq_studies", "lease_seconds")
    _set_version(2)


def _set_version(version: int) -> None:
    op.execute(
        _version_info.update()
        .where(_version_info.c.version_info_id == 1)
        .values(schema_version=version, library_version=__version__)
    )
