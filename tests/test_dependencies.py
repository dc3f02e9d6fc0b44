"""A plain install (no extras) brings everything the library, the CLI and the workers import.

The test environment has more installed than a user's (pytest, the test extras), so an
import that only works here would pass every other test: kombu's Redis transport imports
``packaging`` without declaring it, and pytest brought it here while `celery -A workers
worker` failed on a plain install. This test starts a fresh interpreter in which only the
distributions a plain `pip install hpo-queue` installs (its dependencies and theirs, extras
excluded) can be imported, and imports what `hpo-queue`, `celery -A workers worker` (each
supported broker's transport, the results backends) and `celery -A workers flower` import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

IMPORTS = [
    "hpo_queue",
    "hpo_queue.cli",
    "hpo_queue.dashboard.app",
    "hpo_queue.visualization",
    "workers",
    "workers.celery_app",
    "workers.tasks",
    "kombu.transport.redis",  # redis:// and rediss://
    "kombu.transport.pyamqp",  # amqp://
    "kombu.transport.sqlalchemy",  # the embedded broker, sqla+sqlite://
    "celery.backends.redis",
    "celery.backends.database",  # the embedded results backend, db+sqlite://
    "flower.command",
]

# Runs in a fresh interpreter: top-level modules that only a distribution outside a plain
# install provides cannot be imported, as on a user's machine; optional imports guarded by
# ``except ImportError`` still work, a hard import fails with ModuleNotFoundError.
IMPORT_AS_A_PLAIN_INSTALL = """
import importlib, importlib.abc, json, sys
blocked = set(json.loads(sys.argv[1]))

class PlainInstall(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} in a plain install", name=name)
        return None

sys.meta_path.insert(0, PlainInstall())
for name in json.loads(sys.argv[2]):
    importlib.import_module(name)
"""


def install_closure(distribution: str) -> set[str]:
    """Canonical names of ``distribution`` and everything a plain install of it pulls in."""
    seen: set[str] = set()
    pending = [distribution]
    while pending:
        name = canonicalize_name(pending.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed here
        for text in requirements:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


def test_a_plain_install_has_every_module_the_entry_points_import() -> None:
    closure = install_closure("hpo-queue")
    blocked = sorted(
        module
        for module, dists in metadata.packages_distributions().items()
        if module not in sys.stdlib_module_names
        and not {canonicalize_name(d) for d in dists} & closure
    )
    assert "pytest" in blocked  # the test environment has more than a plain install

    result = subprocess.run(
        [sys.executable, "-c", IMPORT_AS_A_PLAIN_INSTALL, json.dumps(blocked), json.dumps(IMPORTS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        "an entry point imports a module that `pip install hpo-queue` does not install; "
        f"declare its distribution in pyproject.toml's dependencies:\n{result.stderr}"
    )


def test_the_closure_walk_sees_through_extras() -> None:
    closure = install_closure("hpo-queue")
    assert {"celery", "kombu", "sqlalchemy", "amqp", "tornado"} <= closure
    assert "pytest" not in closure  # a test extra is not part of a plain install
