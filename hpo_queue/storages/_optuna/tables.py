"""The columns of Optuna's RDB schema that the reader uses, as Optuna 3.0 to 5.x lay them out.

Declared here rather than reflected: a reflected MySQL DOUBLE reads back as a Decimal rounded
to 10 places, and Optuna's enum columns (state, direction, value types) are plain names to
us. These tables are only ever read; nothing here creates or changes them.

Optuna's alembic history (``optuna/storages/_rdb/alembic/versions``): v3.0.0.a moved
trial states to names, v3.0.0.c added ``intermediate_value_type`` (inf and NaN), v3.0.0.d
added ``value_type`` (inf), so every release from 3.0.0 on is at v3.0.0.d; v3.2.0.a (3.2 to
5.x) only added an index on ``trials.study_id``.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text

# The alembic revisions whose tables this reader understands, oldest first.
SUPPORTED_REVISIONS = ("v3.0.0.d", "v3.2.0.a")
# Revisions of Optuna before 3.0: their values held no inf markers and their states
# another encoding; `optuna storage upgrade` brings them to v3.0.0.d or later.
OLDER_REVISIONS = (
    "v0.9.0.a",
    "v1.2.0.a",
    "v1.3.0.a",
    "v2.4.0.a",
    "v2.6.0.a",
    "v3.0.0.a",
    "v3.0.0.b",
    "v3.0.0.c",
)

metadata = MetaData()
_Double = Float(precision=53, asdecimal=False)
_Name = String(512)
_Enum = String(32)  # a SQLAlchemy Enum column holds the member's name

studies = Table(
    "studies",
    metadata,
    Column("study_id", Integer, primary_key=True),
    Column("study_name", _Name),
)

study_directions = Table(
    "study_directions",
    metadata,
    Column("study_direction_id", Integer, primary_key=True),
    Column("direction", _Enum),
    Column("study_id", Integer),
    Column("objective", Integer),
)

study_user_attributes = Table(
    "study_user_attributes",
    metadata,
    Column("study_user_attribute_id", Integer, primary_key=True),
    Column("study_id", Integer),
    Column("key", _Name),
    Column("value_json", Text),
)

study_system_attributes = Table(
    "study_system_attributes",
    metadata,
    Column("study_system_attribute_id", Integer, primary_key=True),
    Column("study_id", Integer),
    Column("key", _Name),
    Column("value_json", Text),
)

trials = Table(
    "trials",
    metadata,
    Column("trial_id", Integer, primary_key=True),
    Column("number", Integer),
    Column("study_id", Integer),
    Column("state", _Enum),
    # Naive UTC, as hpo-queue stores its own times.
    Column("datetime_start", DateTime),
    Column("datetime_complete", DateTime),
)

trial_user_attributes = Table(
    "trial_user_attributes",
    metadata,
    Column("trial_user_attribute_id", Integer, primary_key=True),
    Column("trial_id", Integer),
    Column("key", _Name),
    Column("value_json", Text),
)

trial_system_attributes = Table(
    "trial_system_attributes",
    metadata,
    Column("trial_system_attribute_id", Integer, primary_key=True),
    Column("trial_id", Integer),
    Column("key", _Name),
    Column("value_json", Text),
)

trial_params = Table(
    "trial_params",
    metadata,
    Column("param_id", Integer, primary_key=True),
    Column("trial_id", Integer),
    Column("param_name", _Name),
    # The internal float: the value itself, or a categorical's index into its choices.
    Column("param_value", _Double),
    Column("distribution_json", Text),
)

trial_values = Table(
    "trial_values",
    metadata,
    Column("trial_value_id", Integer, primary_key=True),
    Column("trial_id", Integer),
    Column("objective", Integer),
    Column("value", _Double),
    Column("value_type", _Enum),  # FINITE, INF_POS or INF_NEG (value NULL)
)

trial_intermediate_values = Table(
    "trial_intermediate_values",
    metadata,
    Column("trial_intermediate_value_id", Integer, primary_key=True),
    Column("trial_id", Integer),
    Column("step", Integer),
    Column("intermediate_value", _Double),
    # FINITE, INF_POS, INF_NEG or NAN (value NULL for all but FINITE)
    Column("intermediate_value_type", _Enum),
)

# Present in every Optuna store: what tells it from any other database.
REQUIRED_TABLES = tuple(sorted(metadata.tables))
