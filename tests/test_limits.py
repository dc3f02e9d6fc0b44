"""Each documented limit (hpo_queue/_limits.py): accepted at the boundary, refused past it
with a named error that says the limit and the size, on the in-memory store, SQLite and
MariaDB."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import hpo_queue as hq
from hpo_queue import _limits
from hpo_queue._limits import (
    MAX_ATTR_JSON_BYTES,
    MAX_NAME_LENGTH,
    MAX_REPORTS_PER_TRIAL,
    MAX_TRIALS_PER_SUBMIT,
    check_attr_size,
    check_report_count,
    check_trials_per_submit,
)
from hpo_queue.cli import main
from hpo_queue.distributions import FloatDistribution
from hpo_queue.exceptions import (
    InvalidInputError,
    InvalidNameError,
    JobNotFoundError,
    LimitExceededError,
)
from hpo_queue.storages import get_storage
from hpo_queue.trial import TrialState

# Names no rule allows: C0 controls (ESC, newline, tab, NUL), DEL, a C1 control, surrogates.
BAD_CHARACTERS = ["\x1b", "\n", "\t", "\x00", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"]


@pytest.fixture(params=["memory", "sqlite", "mysql"])
def storage(request: pytest.FixtureRequest) -> Any:
    """The in-memory store (None), a SQLite file and a MariaDB database."""
    if request.param == "memory":
        return None
    return request.getfixturevalue(f"{request.param}_url")


def _json_string(n_bytes: int) -> str:
    """A string whose JSON (with its two quotes) is exactly ``n_bytes`` bytes."""
    return "x" * (n_bytes - 2)


# -- names ------------------------------------------------------------------------------------


def test_a_study_name_of_the_maximum_length_is_stored_and_one_more_is_refused(
    storage: Any,
) -> None:
    # Four-byte characters: the column holds 512 characters, not 512 bytes (utf8mb4).
    name = "\U0001f600" * MAX_NAME_LENGTH
    study = hq.create_study(storage=storage, study_name=name)
    loaded = hq.load_study(study_name=name, storage=study.storage)
    assert loaded.study_name == name
    with pytest.raises(
        InvalidNameError, match=f"is 513 characters long; at most {MAX_NAME_LENGTH}"
    ):
        hq.create_study(storage=study.storage, study_name=name + "a")


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
def test_a_study_name_with_a_control_character_or_surrogate_is_refused(
    bad: str, storage: Any
) -> None:
    resolved = get_storage(storage)
    with pytest.raises(InvalidNameError, match=f"U\\+{ord(bad):04X}\\) at index 3"):
        hq.create_study(storage=resolved, study_name=f"abc{bad}def")
    assert resolved.list_study_names() == []


def test_printable_unicode_names_are_accepted() -> None:
    for name in ["é✓ 😀", "名前", "a b", "a\u00a0b", "x" * MAX_NAME_LENGTH]:
        assert hq.create_study(study_name=name).study_name == name


@pytest.mark.parametrize(
    "suggest",
    [
        lambda trial, name: trial.suggest_float(name, 0, 1),
        lambda trial, name: trial.suggest_int(name, 0, 3),
        lambda trial, name: trial.suggest_categorical(name, ["a", "b"]),
    ],
)
def test_a_parameter_name_is_checked_by_every_suggest(
    suggest: Callable[[Any, str], Any], storage: Any
) -> None:
    study = hq.create_study(storage=storage)
    trial = study.ask()
    longest = "p" * MAX_NAME_LENGTH
    first = suggest(trial, longest)
    assert suggest(trial, longest) == first  # a name seen before takes the fast path
    with pytest.raises(InvalidNameError, match=r"Parameter name .* is 513 characters long"):
        suggest(trial, longest + "p")
    with pytest.raises(InvalidNameError, match="Parameter name 'a\\\\x1bb' holds a control"):
        suggest(trial, "a\x1bb")
    with pytest.raises(InvalidNameError, match="lone surrogate \\(U\\+D800\\)"):
        suggest(trial, "\ud800")
    with pytest.raises(InvalidNameError, match="must not be empty"):
        suggest(trial, "")
    with pytest.raises(InvalidNameError, match="must be a string, got int"):
        suggest(trial, 3)
    study.tell(trial, 1.0)
    assert list(study.trials[0].params) == [longest]


def test_parameter_names_are_checked_when_enqueued_added_or_fixed(storage: Any) -> None:
    study = hq.create_study(storage=storage)
    with pytest.raises(InvalidNameError, match="holds a control character"):
        study.enqueue_trial({"ok": 1.0, "a\x1b": 2.0})
    made = hq.create_trial(
        params={"\ud800": 0.5},
        distributions={"\ud800": FloatDistribution(0, 1)},
        value=1.0,
    )
    with pytest.raises(InvalidNameError, match="lone surrogate"):
        study.add_trial(made)
    with pytest.raises(InvalidNameError, match="holds a control character"):
        study.ask(fixed_distributions={"x\x07": FloatDistribution(0, 1)})
    assert all(t.state == TrialState.RUNNING for t in study.trials)  # only the ask's trial
    assert all(not t.params for t in study.trials)


def test_attribute_keys_follow_the_name_rules(storage: Any) -> None:
    study = hq.create_study(storage=storage)
    trial = study.ask()
    longest = "k" * MAX_NAME_LENGTH
    study.set_user_attr(longest, 1)
    trial.set_user_attr(longest, 2)
    for setter, label in [
        (study.set_user_attr, "Attribute key"),
        (study.set_system_attr, "Attribute key"),
        (trial.set_user_attr, "User attribute key"),
        (trial.set_system_attr, "System attribute key"),
    ]:
        with pytest.raises(InvalidNameError, match=f"{label} .* is 513 characters long"):
            setter(longest + "k", 1)
        with pytest.raises(InvalidNameError, match=f"{label} 'a\\\\x1b' holds a control"):
            setter("a\x1b", 1)
        with pytest.raises(InvalidNameError, match="lone surrogate"):
            setter("\udc80", 1)
    assert study.user_attrs == {longest: 1}
    assert study.trials[0].user_attrs == {longest: 2}


def test_attributes_are_checked_when_enqueued_or_added(storage: Any) -> None:
    study = hq.create_study(storage=storage)
    with pytest.raises(InvalidNameError, match="User attribute key 'a\\\\x1b' holds"):
        study.enqueue_trial({"x": 0.5}, user_attrs={"a\x1b": 1})
    too_large = {
        "a": _json_string(MAX_ATTR_JSON_BYTES // 2),
        "b": _json_string(MAX_ATTR_JSON_BYTES // 2),
    }
    with pytest.raises(LimitExceededError, match=r"user attributes are .* bytes as JSON together"):
        study.enqueue_trial({"x": 0.5}, user_attrs=too_large)
    with pytest.raises(InvalidNameError, match="System attribute key '\\\\ud800' holds"):
        study.add_trial(hq.create_trial(value=1.0, system_attrs={"\ud800": 1}))
    with pytest.raises(LimitExceededError, match="together"):
        study.add_trial(hq.create_trial(value=1.0, user_attrs=too_large))
    assert study.trials == []


# -- attribute sizes --------------------------------------------------------------------------


def test_a_study_attribute_of_the_maximum_json_size_is_stored_and_one_byte_more_is_refused(
    storage: Any,
) -> None:
    study = hq.create_study(storage=storage)
    largest = _json_string(MAX_ATTR_JSON_BYTES)
    study.set_user_attr("big", largest)
    study.set_system_attr("big", largest)
    too_large = largest + "x"
    for setter in (study.set_user_attr, study.set_system_attr):
        with pytest.raises(
            LimitExceededError,
            match=f"is {MAX_ATTR_JSON_BYTES + 1:,} bytes as JSON, too large: the limit is "
            f"{MAX_ATTR_JSON_BYTES:,}",
        ):
            setter("big", too_large)
    assert hq.load_study(study_name=study.study_name, storage=study.storage).user_attrs == {
        "big": largest
    }


def test_a_trials_attributes_together_are_bounded_as_one_json_document(storage: Any) -> None:
    study = hq.create_study(storage=storage)
    trial = study.ask()
    # {"big":"xx...x"}: the value's JSON plus 8 bytes of braces, key, quotes and colon.
    largest_value = _json_string(MAX_ATTR_JSON_BYTES - 8)
    trial.set_user_attr("big", largest_value)
    with pytest.raises(
        LimitExceededError,
        match=f"user attributes are {MAX_ATTR_JSON_BYTES + 1:,} bytes as JSON together",
    ):
        trial.set_user_attr("big", largest_value + "x")
    with pytest.raises(LimitExceededError, match="together, too large"):
        trial.set_user_attr("more", 1)  # each value is small; the document is not
    assert trial.user_attrs == {"big": largest_value}
    study.tell(trial, 1.0)
    assert study.trials[0].user_attrs == {"big": largest_value}


def test_a_trial_attribute_value_above_the_limit_is_refused_before_any_write(
    storage: Any,
) -> None:
    study = hq.create_study(storage=storage)
    trial = study.ask()
    with pytest.raises(LimitExceededError, match="User attribute 'curve' is"):
        trial.set_user_attr("curve", _json_string(MAX_ATTR_JSON_BYTES + 1))
    with pytest.raises(LimitExceededError, match="System attribute 'curve' is"):
        trial.set_system_attr("curve", _json_string(MAX_ATTR_JSON_BYTES + 1))
    assert study.trials[0].user_attrs == {}


def test_attribute_sizes_are_counted_in_utf8_bytes_not_characters() -> None:
    two_byte = "\u00e9" * (MAX_ATTR_JSON_BYTES // 2)  # exactly the limit, in half the characters
    check_attr_size("User attribute", "k", two_byte)
    with pytest.raises(LimitExceededError, match=f"is {MAX_ATTR_JSON_BYTES + 2:,} bytes"):
        check_attr_size("User attribute", "k", two_byte + "\u00e9")


# -- reports per trial ------------------------------------------------------------------------


def test_the_report_count_check_allows_exactly_the_limit() -> None:
    check_report_count(0, MAX_REPORTS_PER_TRIAL)
    with pytest.raises(LimitExceededError, match=f"would hold {MAX_REPORTS_PER_TRIAL + 1:,}"):
        check_report_count(7, MAX_REPORTS_PER_TRIAL + 1)


def test_a_trial_takes_reports_up_to_the_limit_and_refuses_the_next(
    storage: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rule with a limit of 5 (the real 100,000 costs 100,000 writes per test).
    monkeypatch.setattr(_limits, "MAX_REPORTS_PER_TRIAL", 5)
    study = hq.create_study(storage=storage)
    trial = study.ask()
    for step in range(5):
        trial.report(float(step), step)
    trial.report(9.0, 4)  # a step already reported is ignored, not counted
    with pytest.raises(LimitExceededError, match="Trial 0 would hold 6 reported values"):
        trial.report(5.0, 5)
    assert study.trials[0].intermediate_values == {s: float(s) for s in range(5)}
    made = hq.create_trial(value=1.0, intermediate_values={s: 0.0 for s in range(6)})
    with pytest.raises(LimitExceededError, match="would hold 6 reported values"):
        study.add_trial(made)


# -- trials per submit ------------------------------------------------------------------------


def test_the_submit_check_allows_exactly_the_limit() -> None:
    assert check_trials_per_submit(MAX_TRIALS_PER_SUBMIT) == MAX_TRIALS_PER_SUBMIT
    assert check_trials_per_submit(1) == 1
    with pytest.raises(LimitExceededError, match="n_trials=100,001 is too many for one submit"):
        check_trials_per_submit(MAX_TRIALS_PER_SUBMIT + 1)
    for bad in (0, -1, True, 2.0, "3"):
        with pytest.raises(InvalidInputError, match="integer >= 1"):
            check_trials_per_submit(bad)


def test_a_submit_above_the_limit_is_refused_before_anything_is_stored(
    sqlite_url: str,
) -> None:
    study = hq.create_study(storage=sqlite_url)
    with pytest.raises(LimitExceededError, match=f"the limit is {MAX_TRIALS_PER_SUBMIT:,}"):
        study.submit("foo:objective", n_trials=MAX_TRIALS_PER_SUBMIT + 1)
    with pytest.raises(LimitExceededError, match="at most 100,000"):
        study.storage.create_job(
            study.study_id, "j" * 32, "foo:objective", MAX_TRIALS_PER_SUBMIT + 1
        )
    with pytest.raises(JobNotFoundError):
        study.storage.get_job("j" * 32)


# -- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["submit", "--objective", "foo:objective", "--n-trials", "100001"],
            "n_trials=100,001 is too many for one submit: the limit is 100,000",
        ),
        (
            [
                "ask",
                "--search-space",
                '{"x\\u001b": {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1}}}',
            ],
            "Parameter name 'x\\x1b' holds a control character (U+001B) at index 1",
        ),
        (
            ["study", "set-user-attr", "--key", "k" * 513, "--value", "v"],
            "is 513 characters long; at most 512 are allowed",
        ),
    ],
)
def test_the_command_line_prints_a_limit_as_one_named_line(
    argv: list[str],
    message: str,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("HPO_CONFIG", raising=False)
    monkeypatch.setenv("HPO_STORAGE_URL", sqlite_url)
    assert main(["create-study", "--study-name", "s"]) == 0
    capsys.readouterr()
    if argv[0] == "study":
        argv = [*argv[:2], "--study-name", "s", *argv[2:]]
    else:
        argv = [argv[0], "--study-name", "s", *argv[1:]]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("hpo-queue: error: ") and err.count("\n") == 1, err
    assert message in err
