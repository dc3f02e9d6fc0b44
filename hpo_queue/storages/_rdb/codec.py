"""Rows to records: trials, studies and jobs from rows, and floats MySQL cannot hold."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    distribution_from_dict,
    distribution_to_dict,
)
from hpo_queue.storages._rdb import schema
from hpo_queue.storages._records import JobRecord, StudyRecord
from hpo_queue.storages._validation import dumps_json
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy import Row

    # A row of any width (SQLAlchemy 2.1 types a row by its columns' types).
    AnyRow: TypeAlias = Row[*tuple[Any, ...]]


class TrialCodec:
    """Builds FrozenTrials from trial rows, parsing each distinct distributions text once."""

    def __init__(self) -> None:
        self._distribution_memo: dict[str, dict[str, BaseDistribution]] = {}

    def trial_from_row(self, row: AnyRow, intermediate: dict[int, float]) -> FrozenTrial:
        """The trial of ``row``, with its intermediate values (already in step order)."""
        return FrozenTrial(
            number=row.number,
            state=TrialState(row.state),
            values=json.loads(row.values_json) if row.values_json is not None else None,
            params=json.loads(row.params_json),
            distributions=self._distributions(row.distributions_json),
            user_attrs=json.loads(row.user_attrs_json),
            system_attrs=json.loads(row.system_attrs_json),
            intermediate_values=intermediate,  # already in step order
            datetime_start=row.datetime_start,
            datetime_complete=row.datetime_complete,
            trial_id=row.trial_id,
            worker=row.worker,
            fail_reason=row.fail_reason,
            constraints=json.loads(row.constraints_json) if row.constraints_json else None,
            job_id=row.job_id,
            lease_expires_at=row.lease_expires_at,
        )

    def _distributions(self, text: str) -> dict[str, BaseDistribution]:
        # Most trials of a study share their distributions: parse each distinct text once.
        parsed = self._distribution_memo.get(text)
        if parsed is None:
            parsed = {k: distribution_from_dict(v) for k, v in json.loads(text).items()}
            if len(self._distribution_memo) < 10_000:
                self._distribution_memo[text] = parsed
        return dict(parsed)


def study_record(row: AnyRow) -> StudyRecord:
    """The study of a ``hq_studies`` row."""
    return StudyRecord(
        study_id=row.study_id,
        study_name=row.study_name,
        directions=tuple(StudyDirection[d] for d in json.loads(row.directions)),
        sampler_config=json.loads(row.sampler_config),
        pruner_config=json.loads(row.pruner_config),
        max_trials=row.max_trials,
        datetime_created=row.datetime_created,
        options=json.loads(row.options_json),
        lease_seconds=float(row.lease_seconds),
        cap_counts_failed=bool(row.cap_counts_failed),
    )


def job_record(row: AnyRow) -> JobRecord:
    """The job of a ``hq_jobs`` row."""
    return JobRecord(
        job_id=row.job_id,
        study_id=row.study_id,
        objective_ref=row.objective_ref,
        n_trials=row.n_trials,
        error_retries=row.error_retries,
        queue=row.queue,
        datetime_created=row.datetime_created,
        cancelled=bool(row.cancelled),
    )


def params_payload(
    params: dict[str, Any], distributions: dict[str, BaseDistribution]
) -> dict[str, str]:
    """The trial-row columns that hold a trial's parameters and their distributions."""
    return {
        "params_json": dumps_json(params),
        "distributions_json": dumps_json(
            {k: distribution_to_dict(d) for k, d in distributions.items()}
        ),
    }


def encode_float(value: float) -> tuple[int, float | None]:
    """(value_kind, value) for an intermediate value: MySQL's DOUBLE holds no inf or NaN."""
    if math.isnan(value):
        return schema.NAN, None
    if math.isinf(value):
        return (schema.POS_INF if value > 0 else schema.NEG_INF), None
    return schema.FINITE, value


def decode_float(kind: int, value: float | None) -> float:
    """The intermediate value stored as (value_kind, value)."""
    if kind == schema.FINITE:
        return float(value)  # type: ignore[arg-type]
    return {schema.POS_INF: math.inf, schema.NEG_INF: -math.inf}.get(kind, math.nan)


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just added."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
