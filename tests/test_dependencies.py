"""A plain install (no extras) brings everything the library, the CLI and the workers import.

The test environment has more installed than a user's (pytest, the test extras), so an
import that only works here would pass every other test: kombu's Redis transport imports
``packaging`` without declaring it, and pytest brought it here while `celery -A
workers worker` failed on a plain install. This test starts a fresh interpreter in which only the
distributions a plain `pip install hpo-queue` installs (its dependencies and theirs, extras
excluded) can be imported, and imports what `hpo-queue`, `celery -A hpo_queue.worker worker`
(each supported broker's transport, the results backends) and its `flower` import.
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
    "hpo_queue.visualization.matplotlib",  # plotly and matplotlib load at the first plot
    "hpo_queue.importance",
    "hpo_queue.broker",
    "hpo_queue.worker",
    "hpo_queue.worker.tasks",
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
    """Canonical names of ``distribution`` and everything a plain install of it pulls in.

    Extras named inside a requirement (``pymysql[rsa]``) count; the top level's do not.
    """
    seen: set[tuple[str, frozenset[str]]] = set()
    pending: list[tuple[str, frozenset[str]]] = [(distribution, frozenset())]
    while pending:
        name, extras = pending.pop()
        key = (canonicalize_name(name), extras)
        if key in seen:
            continue
        seen.add(key)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed here
        for text in requirements:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in {"", *extras}):
                pending.append((requirement.name, frozenset(requirement.extras)))
    return {name for name, _ in seen}


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
    # Imported only at run time, so the import test cannot see them: packaging by kombu's
    # Redis transport, cryptography by PyMySQL for MySQL 8's default authentication.
    assert {"packaging", "cryptography"} <= closure
    assert "pytest" not in closure  # a test extra is not part of a plain install
