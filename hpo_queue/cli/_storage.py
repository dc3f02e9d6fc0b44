"""The storage commands: ``hpo-queue storage upgrade`` brings a store to this release's schema."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hpo_queue.cli import _common


def register(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "storage",
        summary="manage the store itself: upgrade its schema after installing a new release",
        description="Commands on the store itself rather than on a study.",
        examples="""\
  hpo-queue storage upgrade --storage mysql://user:pass@db-host/hpo
""",
    )
    parser.set_defaults(handler=lambda args: _missing_subcommand(parser))
    commands = parser.add_subparsers(title="storage commands", metavar="COMMAND")
    upgrade = _common.add_command(
        commands,
        "upgrade",
        summary="upgrade the store's schema to this release's version, in place",
        description=(
            "Bring a store written by an earlier hpo-queue release to this release's schema\n"
            "version, keeping every study and trial. Back the database up and stop every\n"
            "worker first. A store that is current already is left as it is."
        ),
        examples="""\
  hpo-queue storage upgrade --storage sqlite:///hpo.db
  HPO_STORAGE_URL=mysql://user:pass@db-host/hpo hpo-queue storage upgrade
""",
    )
    _common.add_storage_option(upgrade)
    upgrade.set_defaults(handler=_upgrade)


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _upgrade(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    # Imported here: alembic takes a fifth of a second to import, paid by this command only.
    from hpo_queue.storages._rdb.upgrade import upgrade_storage

    with _common.quiet_logger("hpo_queue.storage"):  # the line printed below says it
        result = upgrade_storage(url)
    if result.changed:
        print(
            f"Upgraded {result.url} from schema version {result.from_version} "
            f"to {result.to_version}."
        )
    else:
        print(f"{result.url} is at schema version {result.to_version} already; nothing to do.")
    return 0
