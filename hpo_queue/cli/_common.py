"""What every command shares: the --storage and --format options, output rendering, errors."""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import json
import logging
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from hpo_queue._printable import printable
from hpo_queue.exceptions import (
    HpoQueueError,
    MissingDependencyError,
    StorageError,
    StorageURLError,
)
from hpo_queue.settings import Settings
from hpo_queue.storages import mask_url, normalize_url
from hpo_queue.storages._url import mask_urls_in_text

PROG = "hpo-queue"
# yaml and value are Optuna's (`optuna trials -f value|json|table|yaml`); csv is ours.
FORMATS = ("table", "json", "csv", "yaml", "value")
# Seconds to wait for a database server before giving up: a CLI should fail fast.
CONNECT_TIMEOUT = 5


class UsageError(HpoQueueError):
    """The command line is incomplete in a way argparse cannot see (exit status 2)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, "hpo-queue: error: ...", exit status 2.

    Abbreviated flags are refused (``--stat`` is not ``--status``): a shortened flag that
    works today would change meaning, or break, when a command gains a new option. The
    subcommands' parsers are of this class too (argparse builds them with the parent's).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # argparse declares NoReturn
        # argparse quotes what was typed (an unknown argument, a bad choice): a URL in it
        # must not show its password.
        message = printable(mask_urls_in_text(message))
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def add_command(
    subparsers: Any, name: str, *, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A subcommand parser with a one-line summary, a description and an examples epilog."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples.rstrip() + "\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # SUPPRESS: a flag before the command name must not be reset by the subparser's default.
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error (or set HPO_DEBUG=1)",
    )
    return parser


def add_storage_option(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    if default is None:
        help_text = "database URL, e.g. mysql://user:pass@host/db or sqlite:///hpo.db "
        help_text += "(default: $HPO_STORAGE_URL, or storage_url in the $HPO_CONFIG file)"
    else:
        help_text = f"database URL (default: {default})"
    # SUPPRESS: `hpo-queue --storage URL COMMAND` (Optuna's order) must not be reset by the
    # subcommand's default; the command's default applies when neither place gives one.
    parser.add_argument("--storage", metavar="URL", default=argparse.SUPPRESS, help=help_text)
    if default is not None:
        parser.set_defaults(storage_default=default)


def given_storage(args: argparse.Namespace) -> str | None:
    """--storage as given after the command or before it (Optuna's place), else the
    command's own default, else None."""
    return getattr(args, "storage", None) or getattr(args, "storage_default", None)


def add_study_name_option(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument(
        "--study-name", "--study", metavar="NAME", required=required, help="the study's name"
    )


def add_format_option(
    parser: argparse.ArgumentParser,
    choices: Sequence[str] = FORMATS,
    default: str = "table",
    *,
    flatten: bool = True,
) -> None:
    """``-f/--format`` and, as Optuna's commands have it, ``--flatten``."""
    parser.add_argument(
        "-f",
        "--format",
        choices=choices,
        default=default,
        help=f"output format (default: {default}); value: space-separated fields, no header",
    )
    if flatten:
        parser.add_argument(
            "--flatten",
            action="store_true",
            default=False,
            help="spread nested fields such as params into their own keys in json and yaml "
            "(tables, csv and value are always flat)",
        )


def integer_at_least(low: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number >= ``low``, with a one-line message otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}")
        return value

    return parse


def storage_url(args: argparse.Namespace) -> str:
    """--storage, else HPO_STORAGE_URL (or the config file) through Settings.load()."""
    given = given_storage(args)
    if given:
        return str(given)
    url = Settings.load().storage_url
    if not url:
        raise UsageError(
            "no storage given: pass --storage URL (e.g. --storage mysql://user@host/db) "
            "or set HPO_STORAGE_URL."
        )
    return url


def check_reachable(url: str, *, must_exist: bool = False) -> None:
    """Fail fast, with one clear message, when the database cannot be opened.

    The storage retries "can't connect" for several seconds (right for a worker riding out a
    database restart, too slow for a command typed by hand), so try one connection first with
    a short timeout. With ``must_exist``, a missing SQLite file is an error rather than being
    created empty by a read-only command.
    """
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if must_exist and database and database != ":memory:" and not Path(database).exists():
            raise StorageError(
                f"no SQLite database at {database}; check --storage "
                f"(create a study first with '{PROG} create-study')."
            )
        return
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    except ModuleNotFoundError as exc:
        raise StorageURLError(
            f"no driver for {mask_url(url)}: install the {exc.name!r} package."
        ) from None
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as exc:
        raise StorageError(f"cannot connect to {mask_url(url)}: {_db_reason(exc)}") from exc
    finally:
        engine.dispose()


def _db_reason(exc: Any) -> str:
    args: tuple[Any, ...] = tuple(getattr(exc.orig, "args", ()))
    if len(args) >= 2:
        return f"{args[1]} (error {args[0]})"
    text = str(exc.orig)
    return text.splitlines()[0] if text else type(exc.orig).__name__


@contextlib.contextmanager
def quiet_logger(name: str, level: int = logging.WARNING) -> Iterator[None]:
    """Raise a logger's level for a while, e.g. when the CLI prints the same line itself."""
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def hide_secrets(text: str, urls: Sequence[str | None]) -> str:
    """``text`` with the password of any of ``urls`` replaced by ***."""
    from sqlalchemy.engine import make_url

    for url in urls:
        if not url:
            continue
        try:
            password = make_url(url).password
        except Exception:
            continue
        if password:
            text = text.replace(str(password), "***")
    return text


# -- output -----------------------------------------------------------------------------------


def format_duration(delta: datetime.timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _text(value: Any, style: str) -> str:
    """A cell for a table (``style="table"``) or a CSV file (full precision)."""
    if value is None:
        return "-" if style == "table" else ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if style == "table" and math.isfinite(value):
            return f"{value:.6g}"
        return repr(value)
    if isinstance(value, datetime.datetime):
        if style == "table":
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return format_duration(value) if style == "table" else repr(value.total_seconds())
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v, style) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=str)  # ASCII: every control character escaped
    # Names and values from the store: an ESC must not reach the terminal raw.
    return printable(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _flatten(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows with each dict-valued field spread into ``field_key`` columns."""
    columns: list[str] = []
    flat_rows = []
    for row in rows:
        flat: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, dict):
                for sub, sub_value in value.items():
                    flat[f"{key}_{sub}"] = sub_value
            else:
                flat[key] = value
        for key in flat:
            if key not in columns:
                columns.append(key)
        flat_rows.append(flat)
    return columns, flat_rows


def render_table(rows: Sequence[dict[str, Any]]) -> str:
    """Aligned plain-text columns under a header; numbers right-aligned."""
    columns, flat_rows = _flatten(rows)
    cells = [[_text(row.get(c), "table") for c in columns] for row in flat_rows]
    columns = [printable(c) for c in columns]  # params_NAME holds a parameter's name
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row.get(c), (int, float)) or row.get(c) is None for row in flat_rows)
        for c in columns
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    lines = [line(columns), line(["-" * w for w in widths])]
    lines.extend(line(r) for r in cells)
    return "\n".join(lines) + "\n"


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    out: TextIO | None = None,
    *,
    json_value: Any = None,
    flatten: bool = False,
) -> None:
    """Write ``rows`` as a table, a JSON or YAML list (or ``json_value``), CSV or values.

    ``flatten`` spreads dict fields into ``field_key`` keys in JSON and YAML, as in tables.
    """
    out = out or sys.stdout
    if flatten:
        rows = _flatten(rows)[1]
        if isinstance(json_value, dict):
            json_value = _flatten([json_value])[1][0]
    if fmt == "yaml":
        try:
            import yaml
        except ImportError:
            raise MissingDependencyError(
                "-f yaml needs PyYAML: pip install 'hpo-queue[yaml]' (or use -f json)."
            ) from None
        payload = _jsonable(list(rows) if json_value is None else json_value)
        out.write(yaml.safe_dump(json.loads(json.dumps(payload, default=str)), sort_keys=False))
    elif fmt == "json":
        payload = _jsonable(list(rows) if json_value is None else json_value)
        out.write(json.dumps(payload, indent=2, default=str) + "\n")
    elif fmt == "csv":
        columns, flat_rows = _flatten(rows)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([printable(c) for c in columns])
        for row in flat_rows:
            writer.writerow([_text(row.get(c), "csv") for c in columns])
    elif fmt == "value":
        columns, flat_rows = _flatten(rows)
        for row in flat_rows:
            out.write(" ".join(_text(row.get(c), "csv") for c in columns).rstrip() + "\n")
    else:
        out.write(render_table(rows))
