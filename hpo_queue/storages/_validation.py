"""Checks every storage applies to what it is asked to store: JSON values, leases, jobs.

The limits on names and sizes live in hpo_queue/_limits.py.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from hpo_queue._limits import MAX_TRIALS_PER_SUBMIT
from hpo_queue.exceptions import InvalidInputError, LimitExceededError

MAX_JOB_ID_LENGTH = 64


def utcnow() -> datetime.datetime:
    """Naive UTC, the form every timestamp is stored in."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def dumps_json(value: Any) -> str:
    """``value`` as compact JSON (NaN and infinities allowed), or a named error."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"Value {value!r} cannot be stored as JSON: {exc}.") from None


def check_lease_seconds(lease_seconds: Any) -> float:
    """A study's lease_seconds as a float, or a named error unless it is a positive number."""
    if isinstance(lease_seconds, bool) or not isinstance(lease_seconds, (int, float)):
        raise InvalidInputError(f"lease_seconds must be a number, got {lease_seconds!r}.")
    if not math.isfinite(lease_seconds) or lease_seconds <= 0:
        raise InvalidInputError(
            f"lease_seconds must be a positive number of seconds, got {lease_seconds!r}."
        )
    return float(lease_seconds)


def check_job(job_id: Any, n_trials: Any, error_retries: Any) -> None:
    """Raise InvalidInputError unless a job's id and counts can be stored."""
    if not isinstance(job_id, str) or not job_id.strip() or len(job_id) > MAX_JOB_ID_LENGTH:
        raise InvalidInputError(
            f"A job id must be a non-empty string of at most {MAX_JOB_ID_LENGTH} characters, "
            f"got {job_id!r}."
        )
    for name, value in (("n_trials", n_trials), ("error_retries", error_retries)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInputError(f"A job's {name} must be an integer >= 0, got {value!r}.")
    if n_trials > MAX_TRIALS_PER_SUBMIT:
        raise LimitExceededError(
            f"A job's n_trials must be at most {MAX_TRIALS_PER_SUBMIT:,}, got {n_trials:,}."
        )
