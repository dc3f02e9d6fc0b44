"""Checks every storage applies to what it is asked to store: names, keys, JSON values."""

from __future__ import annotations

import datetime
import difflib
import json
import math
from collections.abc import Sequence
from typing import Any

from hpo_queue.exceptions import InvalidInputError, StudyNotFoundError

MAX_NAME_LENGTH = 512
# The largest attribute value (as JSON) a study or trial may hold: well under MySQL's
# default max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8), so a write never fails
# as a lost connection that would be retried.
MAX_ATTR_JSON_BYTES = 4 * 1024 * 1024
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


def check_name(kind: str, name: Any) -> str:
    """Validate a study name or attribute key: a non-empty str of bounded length."""
    if not isinstance(name, str):
        raise InvalidInputError(f"{kind} must be a string, got {type(name).__name__}.")
    if not name or not name.strip():
        raise InvalidInputError(f"{kind} must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"{kind} is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed."
        )
    if "\x00" in name:
        raise InvalidInputError(f"{kind} must not contain NUL characters.")
    return name


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


def check_attr_size(kind: str, key: str, text: str) -> None:
    """Refuse an attribute whose JSON is larger than MAX_ATTR_JSON_BYTES, naming the limit."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_ATTR_JSON_BYTES:
        raise InvalidInputError(
            f"{kind} {key!r} is {size:,} bytes as JSON, too large: the limit is "
            f"{MAX_ATTR_JSON_BYTES:,} bytes. Store large data elsewhere (a file or an artifact "
            "store) and keep its path in the attribute."
        )
