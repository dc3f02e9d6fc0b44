"""The database schema, and the version row that lets later releases migrate it."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import TypeCompiler

from hpo_queue._limits import MAX_NAME_LENGTH

# Raised by each migration in migrations/versions (one revision per version): a store at
# another version is refused until `hpo-queue storage upgrade` brings it here.
SCHEMA_VERSION = 5

metadata = MetaData()

# MySQL's DATETIME keeps no fractions of a second unless asked; TEXT stops at 64 KiB.
_DateTime = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_Text = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
# asdecimal=False: DOUBLE otherwise reads back as a Decimal rounded to 10 decimal places.
_Double = Float(precision=53).with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")


class ExactString(String):
    """A VARCHAR whose values match byte for byte: names and keys (version 4).

    MySQL's default collation ignores case and trailing spaces, so ``load_study("ab   ")``
    found study "Ab" and user attr "KEY" overwrote "key". SQLite and PostgreSQL compare
    exactly already; on MySQL and MariaDB the column gets a binary collation that does not
    pad (MariaDB's utf8mb4_nopad_bin, MySQL 8's utf8mb4_0900_bin).
    """

    cache_ok = True


def exact_collation(is_mariadb: bool) -> str:
    """The binary, no-pad utf8mb4 collation of MariaDB or MySQL (8.0.17 and later)."""
    return "utf8mb4_nopad_bin" if is_mariadb else "utf8mb4_0900_bin"


@compiles(ExactString, "mysql")
def _exact_string_on_mysql(type_: ExactString, compiler: TypeCompiler, **kw: object) -> str:
    collation = exact_collation(bool(getattr(compiler.dialect, "is_mariadb", False)))
    return f"VARCHAR({type_.length}) CHARACTER SET utf8mb4 COLLATE {collation}"


version_info = Table(
    "hq_version_info",
    metadata,
    Column("version_info_id", Integer, primary_key=True, autoincrement=False),
    Column("schema_version", Integer, nullable=False),
    Column("library_version", String(64), nullable=False),
)

studies = Table(
    "hq_studies",
    metadata,
    Column("study_id", Integer, primary_key=True),
    Column("study_name", ExactString(MAX_NAME_LENGTH), nullable=False, unique=True),
    Column("directions", String(255), nullable=False),
    Column("sampler_config", _Text, nullable=False),
    Column("pruner_config", _Text, nullable=False),
    # Study-wide policies every process follows: retries of failed trials, constraints.
    Column("options_json", _Text, nullable=False),
    Column("max_trials", Integer, nullable=True),
    # 1: the cap counts FAIL trials too (MaxTrialsCallback counting FAIL); 0: a FAIL frees
    # its slot (version 5).
    Column("cap_counts_failed", SmallInteger, nullable=False, default=0),
    # Counters kept under the study row lock: numbering and the cap cost O(1).
    Column("next_number", Integer, nullable=False, default=0),
    Column("n_failed", Integer, nullable=False, default=0),
    Column("n_waiting", Integer, nullable=False, default=0),
    Column("datetime_created", _DateTime, nullable=False),
    # How long a RUNNING trial lives without a lease renewal (version 3).
    Column("lease_seconds", _Double, nullable=False, default=60.0),
    mysql_engine="InnoDB",
)

study_attrs = Table(
    "hq_study_attrs",
    metadata,
    Column(
        "study_id",
        Integer,
        ForeignKey("hq_studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(16), primary_key=True),  # "user" or "system"
    Column("attr_key", ExactString(MAX_NAME_LENGTH), primary_key=True),
    Column("value_json", _Text, nullable=False),
    mysql_engine="InnoDB",
)

trials = Table(
    "hq_trials",
    metadata,
    Column("trial_id", Integer, primary_key=True),
    Column(
        "study_id",
        Integer,
        ForeignKey("hq_studies.study_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("state", SmallInteger, nullable=False),
    # A trial's params, values and attrs are written by the one process running it, so
    # they live as JSON on the row: reading the history is a single query.
    Column("values_json", _Text, nullable=True),
    Column("params_json", _Text, nullable=False),
    Column("distributions_json", _Text, nullable=False),
    Column("user_attrs_json", _Text, nullable=False),
    Column("system_attrs_json", _Text, nullable=False),
    Column("constraints_json", _Text, nullable=True),
    Column("fail_reason", _Text, nullable=True),
    Column("worker", String(255), nullable=True),
    Column("task_key", ExactString(255), nullable=True),
    Column("datetime_start", _DateTime, nullable=True),
    Column("datetime_complete", _DateTime, nullable=True),
    # How many intermediate values the trial has stored: a reader that holds that many
    # already skips reading them again, and the history skips the intermediate-values
    # query for trials that never reported. (Version 2 marks this column: version-1 stores
    # of pre-release builds had a has_reports flag instead.)
    Column("n_reports", Integer, nullable=False, default=0),
    # Version 3. The lease of a RUNNING trial, on the database's clock (clock.py), and the
    # study's lease_seconds when it was claimed, so that a renewal is one UPDATE of
    # "now + lease_seconds" whatever the trial's study.
    Column("lease_expires_at", _DateTime, nullable=True),
    Column("lease_seconds", _Double, nullable=True),
    # The job (one submit) the trial was claimed for, and 1 once a retry replaced this
    # failed trial (it then no longer counts toward its job). Written in the transaction
    # that fails the trial, so a finished trial's row never changes again (the cache).
    Column("job_id", String(64), nullable=True),
    Column("superseded", SmallInteger, nullable=False, default=0),
    UniqueConstraint("study_id", "number", name="uq_hq_trials_study_number"),
    UniqueConstraint("study_id", "task_key", name="uq_hq_trials_study_task"),
    Index("ix_hq_trials_study_state", "study_id", "state", "number"),
    # A job's claims: its WAITING trials, and its trials counted toward what it is owed.
    Index("ix_hq_trials_study_job_state", "study_id", "job_id", "state", "number"),
    mysql_engine="InnoDB",
)

jobs = Table(
    "hq_jobs",
    metadata,
    # What one submit asked for (version 3): the store's record of the work it is owed, so
    # wake-ups (Celery messages) can be lost, duplicated and re-sent.
    Column("job_id", String(64), primary_key=True),
    Column(
        "study_id",
        Integer,
        ForeignKey("hq_studies.study_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("objective_ref", _Text, nullable=False),
    Column("n_trials", Integer, nullable=False),
    Column("error_retries", Integer, nullable=False),
    Column("queue", String(255), nullable=True),
    # Every time below is on the database's clock (clock.py).
    Column("datetime_created", _DateTime, nullable=False),
    Column("cancelled", SmallInteger, nullable=False, default=0),
    Column("settled", SmallInteger, nullable=False, default=0),
    Column("last_claim_at", _DateTime, nullable=True),
    # take_wakeup_turn's back-off: no turn before next_wakeup_at; the back-off taken last
    # (NULL since the last claim, which resets it).
    Column("next_wakeup_at", _DateTime, nullable=True),
    Column("wakeup_backoff", _Double, nullable=True),
    Index("ix_hq_jobs_study", "study_id"),
    Index("ix_hq_jobs_active", "settled", "cancelled", "datetime_created"),
    mysql_engine="InnoDB",
)

intermediate_values = Table(
    "hq_trial_intermediate_values",
    metadata,
    Column(
        "trial_id",
        Integer,
        ForeignKey("hq_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("step", Integer, primary_key=True, autoincrement=False),
    # MySQL's DOUBLE holds no inf or NaN: those are kept in value_kind.
    Column("value", _Double, nullable=True),
    Column("value_kind", SmallInteger, nullable=False),
    mysql_engine="InnoDB",
)

# Alembic's record of the last migration run, prefixed like ours: a database shared with an
# Optuna store (or any other alembic user) must not share alembic's default
# "alembic_version". Spelled as alembic creates it, so that a new store is stamped without
# importing alembic (a fifth of a second); kept out of ``metadata``, which is what the
# migrations build.
ALEMBIC_VERSION_TABLE = "hq_alembic_version"
alembic_version = Table(
    ALEMBIC_VERSION_TABLE,
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name=f"{ALEMBIC_VERSION_TABLE}_pkc"),
)

# value_kind codes for intermediate values.
FINITE, POS_INF, NEG_INF, NAN = 0, 1, 2, 3
