"""Checks every storage applies to what it is asked to store: JSON values, leases, jobs.

The limits on names and sizes live in hpo_queue/_limits.py.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
from collections.abc import Sequence
from typing import Any

from hpo_queue._limits import MAX_TRIALS_PER_SUBMIT
from hpo_queue.exceptions import InvalidInputError, LimitExceededError, StudyNotFoundError

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


def study_not_found(study_name: str, where: str, existing: Sequence[str]) -> StudyNotFoundError:
    """The error for a missing study, naming the closest existing name when one is close."""
    message = f"No study named {study_name!r} in {where}."
    close = difflib.get_close_matches(study_name, existing, n=1, cutoff=0.6)
    if not close:
        lowered = {name.lower().strip(): name for name in existing}
        close = [lowered[k] for k in (study_name.lower().strip(),) if k in lowered]
    if close:
        message += f" Did you mean {close[0]!r}?"
    elif not existing:
        message += " It holds no study yet."
    return StudyNotFoundError(message)


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
