"""Errors hpo-queue raises on purpose are HpoQueueError subclasses, never a bare builtin.

A user who catches ``HpoQueueError`` catches every mistake the library reports; the named
subclasses that Optuna users might catch as builtins (``InvalidInputError`` is a ValueError too)
derive from both. This walks the package's source, so a new ``raise ValueError(...)`` fails here.
"""

from __future__ import annotations

import ast
import builtins
import inspect
from pathlib import Path

from hpo_queue import exceptions
from hpo_queue.exceptions import HpoQueueError

PACKAGE = Path(__file__).resolve().parent.parent / "hpo_queue"
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)

# (file under hpo_queue/, enclosing function, builtin raised) -> why a builtin is right there.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("pruners/_hyperband.py", "_bracket_of", "AssertionError"): (
        "an unreachable branch (the slot is always below the budgets' sum), not a user mistake"
    ),
    ("storages/_rdb/retry.py", "run_with_retry", "AssertionError"): (
        "an unreachable branch after the last attempt re-raised, not a user mistake"
    ),
    ("worker/__init__.py", "__getattr__", "AttributeError"): (
        "a module __getattr__ (PEP 562) must raise AttributeError for names it does not have"
    ),
    ("worker/__init__.py", "__getattr__", "SystemExit"): (
        "`celery -A hpo_queue.worker` with settings that cannot build an app (no broker URL "
        "for a MySQL store) exits with the one-line message instead of a traceback"
    ),
    ("worker/node.py", "_on_worker_init", "SystemExit"): (
        "a worker whose store is wrong ends at start: SystemExit is how a Celery signal "
        "handler stops the worker (Celery logs and ignores an Exception there)"
    ),
    ("broker/job.py", "wait", "TimeoutError"): (
        "Job.wait(timeout=...) ran out of time: not a mistake, and the builtin TimeoutError is "
        "what a wait with a timeout raises (concurrent.futures, asyncio)"
    ),
}


class _BuiltinRaises(ast.NodeVisitor):
    """Collects (enclosing function, builtin name, line) for each ``raise <builtin>``."""

    def __init__(self) -> None:
        self.functions: list[str] = ["<module>"]
        self.found: list[tuple[str, str, int]] = []

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(exc, ast.Name) and exc.id in BUILTIN_EXCEPTIONS:
            self.found.append((self.functions[-1], exc.id, node.lineno))
        self.generic_visit(node)


def _builtin_raises() -> dict[tuple[str, str, str], list[int]]:
    raises: dict[tuple[str, str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        visitor = _BuiltinRaises()
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        relative = path.relative_to(PACKAGE).as_posix()
        for function, name, line in visitor.found:
            raises.setdefault((relative, function, name), []).append(line)
    return raises


def test_the_package_raises_no_bare_builtin_outside_the_allowlist() -> None:
    unexpected = {
        f"hpo_queue/{path}:{lines[0]} in {function}(): raise {name}"
        for (path, function, name), lines in _builtin_raises().items()
        if (path, function, name) not in ALLOWED
    }
    assert not unexpected, (
        "raise a named HpoQueueError subclass from hpo_queue/exceptions.py instead (one that "
        "also subclasses the builtin where callers may catch that), or add the raise to ALLOWED "
        "with the reason a builtin is right:\n" + "\n".join(sorted(unexpected))
    )


def test_every_allowlist_entry_is_still_needed_and_says_why() -> None:
    raises = _builtin_raises()
    # An entry whose file is gone is skipped rather than failed: a module may be mid-move.
    stale = [key for key in ALLOWED if (PACKAGE / key[0]).exists() and key not in raises]
    assert not stale, f"no longer raised; remove from ALLOWED: {stale}"
    assert all(reason.strip() for reason in ALLOWED.values())


def test_the_visitor_finds_bare_builtin_raises() -> None:
    visitor = _BuiltinRaises()
    visitor.visit(
        ast.parse(
            "def f(x):\n"
            "    if x:\n"
            "        raise ValueError(f'bad {x}')\n"
            "    raise KeyError\n"
            "def g():\n"
            "    raise InvalidInputError('fine')\n"
        )
    )
    assert [(function, name) for function, name, _ in visitor.found] == [
        ("f", "ValueError"),
        ("f", "KeyError"),
    ]


def test_every_library_error_derives_from_hpo_queue_error() -> None:
    errors = [
        value
        for value in vars(exceptions).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == exceptions.__name__
    ]
    assert len(errors) > 10
    assert all(issubclass(error, HpoQueueError) for error in errors)
