"""The documented limits on what a study may hold, and the checks that name each one.

docs/operations.md ("Limits") lists every limit with its value and its error. A name that
breaks a rule raises InvalidNameError; a size or count above a limit raises
LimitExceededError, whose message names the limit and the size given.
"""

from __future__ import annotations

import re
from typing import Any

from hpo_queue.exceptions import InvalidInputError, InvalidNameError, LimitExceededError

# Study names and study attribute keys are VARCHAR(512) columns (storages/_rdb/schema.py);
# parameter names and trial attribute keys live inside JSON and take the same bound (as
# Optuna's VARCHAR(512) param_name).
MAX_NAME_LENGTH = 512
# The largest attribute value (as JSON) a study or trial may hold, and the most a trial's user
# (or system) attributes may hold together, since they are one JSON column written in one
# statement: well under MySQL's default max_allowed_packet (16 MiB on MariaDB, 64 MiB on
# MySQL 8), so a write never fails as a lost connection that would be retried.
MAX_ATTR_JSON_BYTES = 4 * 1024 * 1024
# trial.report calls (distinct steps) one trial may store: each is a row, and every pruning
# decision of every worker reads them.
MAX_REPORTS_PER_TRIAL = 100_000
# Trials one submit may ask for: each is a wake-up message held by the broker until a worker
# takes it (1.4 KB each in Redis, benchmarks/wakeup_memory.py). Submit more in several jobs.
MAX_TRIALS_PER_SUBMIT = 100_000

# C0 controls, DEL, C1 controls, and surrogates: in a Python string a surrogate is always
# lone (a pair is one code point), and no UTF-8 stream or utf8mb4 column can hold one.
_FORBIDDEN_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# What no store can hold, even in the name of a study made before the rule above.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Parameter names already checked in this process: the check runs once per name, not once
# per suggest. Cleared when it grows past this many (a study with generated names).
_checked_param_names: set[str] = set()
_MAX_CACHED_PARAM_NAMES = 10_000


def _shown(name: str) -> str:
    """The start of a (possibly huge or unprintable) name, as a Python literal."""
    return repr(name if len(name) <= 40 else name[:40] + "...")


def _utf8_size(text: str) -> int:
    # The stores' JSON is ASCII (json.dumps escapes the rest): no encoding needed then.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def check_name(kind: str, name: Any, *, existing: bool = False) -> str:
    """``name`` unchanged if it is a valid study name, parameter name or attribute key.

    Valid: a string, not empty nor only spaces, of at most MAX_NAME_LENGTH characters,
    without control characters (U+0000-U+001F, U+007F-U+009F) or lone surrogates. With
    ``existing`` (a name looked up, not created), control characters other than NUL pass: a
    study made before this rule can still be loaded and deleted by its name.

    Raises:
        InvalidNameError: saying which rule ``name`` breaks.
    """
    if not isinstance(name, str):
        raise InvalidNameError(f"{kind} must be a string, got {type(name).__name__}.")
    if not name or not name.strip():
        raise InvalidNameError(f"{kind} must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"{kind} {_shown(name)} is {len(name):,} characters long; at most "
            f"{MAX_NAME_LENGTH} are allowed (MAX_NAME_LENGTH)."
        )
    found = (_UNSTORABLE if existing else _FORBIDDEN_IN_NAMES).search(name)
    if found is not None:
        char = found.group()
        what = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
        raise InvalidNameError(
            f"{kind} {_shown(name)} holds {what} (U+{ord(char):04X}) at index {found.start()}; "
            "names may not hold control characters "
            "(U+0000-U+001F, U+007F-U+009F) or lone surrogates."
        )
    return name


def check_param_name(name: Any) -> str:
    """:func:`check_name` for a parameter name, cached: a name seen before costs a set lookup."""
    if isinstance(name, str) and name in _checked_param_names:
        return name
    check_name("Parameter name", name)
    if len(_checked_param_names) >= _MAX_CACHED_PARAM_NAMES:
        _checked_param_names.clear()
    _checked_param_names.add(name)
    return name


def check_trial_attrs(kind: str, attrs: dict[str, Any], text: str) -> None:
    """Check the keys of a trial's ``kind`` attributes and the size of their JSON ``text``.

    Raises:
        InvalidNameError: a key breaks the name rules.
        LimitExceededError: the attributes are larger than MAX_ATTR_JSON_BYTES together.
    """
    for key in attrs:
        check_name(f"{kind.capitalize()} attribute key", key)
    check_trial_attrs_size(kind, text)


def check_attr_size(kind: str, key: str, text: str) -> None:
    """Refuse an attribute whose JSON ``text`` is larger than MAX_ATTR_JSON_BYTES.

    Raises:
        LimitExceededError: naming the attribute, its size and the limit.
    """
    size = _utf8_size(text)
    if size > MAX_ATTR_JSON_BYTES:
        raise LimitExceededError(
            f"{kind} {_shown(key)} is {size:,} bytes as JSON, too large: the limit is "
            f"{MAX_ATTR_JSON_BYTES:,} bytes (MAX_ATTR_JSON_BYTES). Store large data elsewhere "
            "(a file or an artifact store) and keep its path in the attribute."
        )


def check_trial_attrs_size(kind: str, text: str) -> None:
    """Refuse a trial's ``kind`` ("user" or "system") attributes whose JSON, together, is
    larger than MAX_ATTR_JSON_BYTES: they are stored and written as one document.

    Raises:
        LimitExceededError: naming the size and the limit.
    """
    size = _utf8_size(text)
    if size > MAX_ATTR_JSON_BYTES:
        raise LimitExceededError(
            f"A trial's {kind} attributes are {size:,} bytes as JSON together, too large: the "
            f"limit is {MAX_ATTR_JSON_BYTES:,} bytes (MAX_ATTR_JSON_BYTES). Store large data "
            "elsewhere (a file or an artifact store) and keep its path in an attribute."
        )


def check_report_count(trial_number: int, n_reports: int) -> None:
    """Refuse a trial that would hold more than MAX_REPORTS_PER_TRIAL reported values.

    Raises:
        LimitExceededError: naming the trial, the count and the limit.
    """
    if n_reports > MAX_REPORTS_PER_TRIAL:
        raise LimitExceededError(
            f"Trial {trial_number} would hold {n_reports:,} reported values; the limit "
            f"is {MAX_REPORTS_PER_TRIAL:,} per trial (MAX_REPORTS_PER_TRIAL). Report every "
            "k-th step, or keep a long curve in a file."
        )


def check_trials_per_submit(n_trials: Any) -> int:
    """``n_trials`` of one submit, if it is an integer from 1 to MAX_TRIALS_PER_SUBMIT.

    Raises:
        InvalidInputError: not an integer, or below 1.
        LimitExceededError: above MAX_TRIALS_PER_SUBMIT.
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise InvalidInputError(f"n_trials must be an integer >= 1, got {n_trials!r}.")
    if n_trials > MAX_TRIALS_PER_SUBMIT:
        raise LimitExceededError(
            f"n_trials={n_trials:,} is too many for one submit: the limit is "
            f"{MAX_TRIALS_PER_SUBMIT:,} (MAX_TRIALS_PER_SUBMIT), as each trial is a message "
            "the broker holds until a worker takes it. Submit several jobs, one after another "
            "finished."
        )
    return n_trials
