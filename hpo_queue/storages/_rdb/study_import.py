"""Writing a StudyCopy as a new study: its row, attributes, trials and reports, at once.

The caller runs :func:`insert_study_copy` in one transaction, so a failed import leaves
nothing behind. The study row's counters are set as the trials' own creation would have
left them: the next number follows the highest one copied, failed and WAITING trials are
counted, so the cap, numbering and WAITING claims go on as for any study.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from hpo_queue._limits import check_attr_size, check_name
from hpo_queue.exceptions import DuplicatedStudyError, InvalidInputError
from hpo_queue.storages._rdb import schema
from hpo_queue.storages._rdb.codec import encode_float, inserted_id, params_payload
from hpo_queue.storages._study_copy import StudyCopy
from hpo_queue.storages._validation import dumps_json as _dumps
from hpo_queue.storages._validation import utcnow
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState

_S = schema.studies
_T = schema.trials
_IV = schema.intermediate_values
_A = schema.study_attrs
# Rows per INSERT: well under any server's packet limit for ordinary trials.
_BATCH = 500
_MAX_STEP = 2**31 - 1


def check_study_copy(copy: StudyCopy) -> None:
    """Raise InvalidInputError for what the store cannot hold, before any write."""
    check_name("Study name", copy.study_name)
    for kind, attrs in (("user", copy.user_attrs), ("system", copy.system_attrs)):
        for key, value in attrs.items():
            check_name("Attribute key", key)
            check_attr_size(f"Study {kind} attr", key, _dumps(value))
    numbers = [t.number for t in copy.trials]
    if len(set(numbers)) != len(numbers) or any(n < 0 for n in numbers):
        raise InvalidInputError("The copied trials' numbers must be distinct and >= 0.")
    for trial in copy.trials:
        check_trial_copy(trial)


def check_trial_copy(trial: FrozenTrial) -> None:
    """Raise InvalidInputError if the store cannot hold ``trial`` as a finished or WAITING row."""
    if not (trial.state.is_finished() or trial.state == TrialState.WAITING):
        raise InvalidInputError(
            f"Trial {trial.number} is {trial.state.name}; an imported trial is finished or WAITING."
        )
    for kind, attrs in (("user", trial.user_attrs), ("system", trial.system_attrs)):
        for key, value in attrs.items():
            check_attr_size(f"Trial {trial.number}'s {kind} attr", key, _dumps(value))
    if any(not 0 <= step <= _MAX_STEP for step in trial.intermediate_values):
        raise InvalidInputError(
            f"Trial {trial.number} reported a step outside 0..{_MAX_STEP}; it cannot be stored."
        )


def insert_study_copy(
    conn: Connection,
    copy: StudyCopy,
    *,
    study_name: str,
    directions_json: str,
    sampler_config: dict[str, Any],
    pruner_config: dict[str, Any],
    max_trials: int | None,
    options: dict[str, Any],
    lease_seconds: float,
) -> int:
    """Insert the study ``study_name`` holding ``copy``; its id. The copy is checked already.

    Raises DuplicatedStudyError if the name is taken.
    """
    if conn.execute(select(_S.c.study_id).where(_S.c.study_name == study_name)).first():
        raise DuplicatedStudyError(_taken(study_name))
    trials = copy.trials
    study_id = inserted_id(
        conn.execute(
            insert(_S).values(
                study_name=study_name,
                directions=directions_json,
                sampler_config=_dumps(sampler_config),
                pruner_config=_dumps(pruner_config),
                options_json=_dumps(options),
                max_trials=max_trials,
                next_number=max((t.number for t in trials), default=-1) + 1,
                n_failed=sum(t.state == TrialState.FAIL for t in trials),
                n_waiting=sum(t.state == TrialState.WAITING for t in trials),
                datetime_created=utcnow(),
                lease_seconds=lease_seconds,
            )
        )
    )
    attr_rows = [
        {"study_id": study_id, "kind": kind, "attr_key": key, "value_json": _dumps(value)}
        for kind, attrs in (("user", copy.user_attrs), ("system", copy.system_attrs))
        for key, value in attrs.items()
    ]
    _insert_many(conn, _A, attr_rows)
    insert_trials(conn, study_id, trials)
    return study_id


def insert_trials(conn: Connection, study_id: int, trials: Sequence[FrozenTrial]) -> dict[int, int]:
    """Insert finished or WAITING ``trials`` (numbers kept) and their reports; number -> id."""
    _insert_many(conn, _T, [_trial_row(study_id, t) for t in trials])
    numbers = [t.number for t in trials]
    ids: dict[int, int] = {}
    for start in range(0, len(numbers), _BATCH):
        chunk = numbers[start : start + _BATCH]
        ids.update(
            conn.execute(
                select(_T.c.number, _T.c.trial_id).where(
                    _T.c.study_id == study_id, _T.c.number.in_(chunk)
                )
            ).all()
        )
    reports = []
    for trial in trials:
        for step, value in sorted(trial.intermediate_values.items()):
            kind, stored = encode_float(value)
            reports.append(
                {"trial_id": ids[trial.number], "step": step, "value": stored, "value_kind": kind}
            )
    _insert_many(conn, _IV, reports)
    return ids


def _trial_row(study_id: int, trial: FrozenTrial) -> dict[str, Any]:
    values = None if trial.values is None else _dumps(list(trial.values))
    constraints = None if trial.constraints is None else _dumps(list(trial.constraints))
    return {
        "study_id": study_id,
        "number": trial.number,
        "state": int(trial.state),
        "values_json": values,
        **params_payload(dict(trial.params), dict(trial.distributions)),
        "user_attrs_json": _dumps(dict(trial.user_attrs)),
        "system_attrs_json": _dumps(dict(trial.system_attrs)),
        "constraints_json": constraints,
        "fail_reason": trial.fail_reason,
        "worker": None,
        "task_key": None,
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
        "n_reports": len(trial.intermediate_values),
        "lease_expires_at": None,
        "lease_seconds": None,
        "job_id": None,
        "superseded": 0,
    }


def _insert_many(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert(table), rows[start : start + _BATCH])


def _taken(study_name: str) -> str:
    return (
        f"A study named {study_name!r} already exists in the target store; import under "
        "another name (new_study_name, --new-study-name) or delete that study first."
    )
