"""The ``hpo-queue`` command line: one subcommand module per topic, errors as one line."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from hpo_queue import __version__
from hpo_queue._printable import printable
from hpo_queue.cli import (
    _ask_tell,
    _dashboard,
    _import_optuna,
    _plot,
    _quickstart,
    _status,
    _storage,
    _studies,
    _submit,
    _trials,
)
from hpo_queue.cli._common import PROG, Parser, UsageError, hide_secrets
from hpo_queue.exceptions import HpoQueueError
from hpo_queue.storages._url import mask_urls_in_text

# Each module adds its subcommands with ``register(subparsers)``; add new modules here.
_COMMAND_MODULES = (
    _quickstart,
    _studies,
    _trials,
    _ask_tell,
    _submit,
    _status,
    _plot,
    _dashboard,
    _storage,
    _import_optuna,
)

_DESCRIPTION = """\
Distributed hyperparameter optimization on a shared SQL store.

Every command that reads or writes a study takes --storage URL, or reads the
HPO_STORAGE_URL environment variable when it is not given."""

_EXAMPLES = """\
examples:
  hpo-queue quickstart                       # a demo on a local SQLite file, no servers
  export HPO_STORAGE_URL=mysql://user:pass@db-host/hpo
  hpo-queue create-study --study-name mnist --direction maximize --max-trials 200
  hpo-queue studies
  hpo-queue trials --study-name mnist -f csv > trials.csv
  hpo-queue best-trial --study-name mnist -f json

Run 'hpo-queue COMMAND --help' for the options and examples of each command.
"""


def _wide_help(prog: str) -> argparse.HelpFormatter:
    # Wide enough that each command summary stays on one line.
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=24, width=100)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = Parser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=_wide_help,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False,
        help="show the full traceback of an error (or set HPO_DEBUG=1)",
    )
    parser.add_argument(
        "--storage",
        metavar="URL",
        default=None,
        help="database URL for any command, as Optuna's CLI takes it before the command",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in _COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status (0 ok, 1 error, 2 usage error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return 2
    debug = bool(args.debug) or os.environ.get("HPO_DEBUG", "") in ("1", "true", "yes")
    urls = [getattr(args, "storage", None), os.environ.get("HPO_STORAGE_URL")]
    urls.append(getattr(args, "from_storage", None))  # import-optuna's source
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except UsageError as exc:
        return _fail(exc, debug, urls, status=2)
    except HpoQueueError as exc:
        return _fail(exc, debug, urls)
    except BrokenPipeError:  # e.g. `hpo-queue trials | head`
        return 0
    except Exception as exc:  # a bug, or an error from a library we did not translate
        return _fail(exc, debug, urls, unexpected=True)


def _fail(
    exc: BaseException,
    debug: bool,
    urls: Sequence[str | None],
    *,
    status: int = 1,
    unexpected: bool = False,
) -> int:
    if debug:
        traceback.print_exc()
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if unexpected:
        message = f"{type(exc).__name__}: {message}"
        if not debug:
            message += " (run with --debug for the traceback)"
    # A message may quote a name from the store: its control characters are shown escaped.
    message = mask_urls_in_text(hide_secrets(message, urls))  # also URLs no option named
    print(f"{PROG}: error: {printable(message)}", file=sys.stderr)
    return status


__all__ = ["build_parser", "main"]
