"""Checks every storage applies to what it is asked to store: names, keys, JSON values."""

from __future__ import annotations

import datetime
import json
from typing import Any

from hpo_queue.exceptions import InvalidInputError

MAX_NAME_LENGTH = 512


def utcnow() -> datetime.datetime:
    """Naive UTC, the form every timestamp is stored in."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def dumps_json(value: Any) -> str:
    """``value`` as compact JSON (NaN and infinities allowed), or a named error."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"Value {value!r} cannot be stored as JSON: {exc}.") from None


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
