"""Text from the store made safe to print: control characters shown as visible escapes.

A study or parameter name written before the limits (hpo_queue/_limits.py), or straight into
the database, may hold an ESC (which lets a name set the terminal's title or colours), other
control characters or a lone surrogate (which no UTF-8 stream can encode). Everything the
CLI and the text log lines print from the store goes through :func:`printable`.
"""

from __future__ import annotations


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: object) -> str:
    """``text`` with each non-printable character (C0 and C1 controls, ESC, DEL, lone
    surrogates, format and separator characters other than the space) written as a Python
    escape such as ``\\x1b`` or ``\\ud800``; printable text is returned as it is.

    Backslashes are kept as they are, as in a name: the output is for reading, not parsing.
    """
    string = text if isinstance(text, str) else str(text)
    if string.isprintable():  # the usual case, in C
        return string
    return "".join(char if char.isprintable() else _escape(char) for char in string)


def printable_lines(text: str) -> str:
    """:func:`printable` applied to each line of ``text``, its line breaks kept."""
    if text.isprintable():
        return text
    return "\n".join(printable(line) for line in text.split("\n"))
