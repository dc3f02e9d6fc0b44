"""printable(): every non-printable character becomes a visible escape; the rest is kept."""

from __future__ import annotations

import logging

import pytest

from hpo_queue._printable import printable, printable_lines
from hpo_queue.logging import TextFormatter


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1b]0;title\x07b", "a\\x1b]0;title\\x07b"),  # ESC and BEL: an OSC title sequence
        ("\x1b[31mred", "\\x1b[31mred"),
        ("del\x7f", "del\\x7f"),
        ("c1\x85\x9b", "c1\\x85\\x9b"),  # NEL and CSI, the 8-bit controls
        ("nul\x00", "nul\\x00"),
        ("line\nbreak\r", "line\\x0abreak\\x0d"),
        ("lone\ud800", "lone\\ud800"),
        ("rtl\u202eevil", "rtl\\u202eevil"),  # a bidi override
        ("tag\U000e0001", "tag\\U000e0001"),
    ],
)
def test_non_printable_characters_become_escapes(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(text).isprintable()
    printable(text).encode("utf-8")  # no surrogate is left to fail an encoder


@pytest.mark.parametrize("text", ["plain", "é✓ 😀 名前", "a b", "back\\slash", ""])
def test_printable_text_is_returned_unchanged(text: str) -> None:
    assert printable(text) == text


def test_non_strings_are_printed_as_their_str() -> None:
    assert printable(3.5) == "3.5"
    assert printable(None) == "None"


def test_printable_lines_keeps_line_breaks() -> None:
    assert printable_lines("one\x1b\ntwo\ud800") == "one\\x1b\ntwo\\ud800"


def test_text_log_lines_escape_a_name_from_the_store() -> None:
    record = logging.LogRecord(
        "hpo_queue.study", logging.INFO, __file__, 1, "Study %s loaded.", ("s\x1b]0;x\x07",), None
    )
    line = TextFormatter().format(record)
    assert "\x1b" not in line and "\x07" not in line
    assert line.endswith("Study s\\x1b]0;x\\x07 loaded.")
