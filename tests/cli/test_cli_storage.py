"""hpo-queue storage upgrade: an old store upgraded from the command line, then a no-op; the
errors for an old store opened by another command and for a newer store, passwords hidden."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from hpo_queue.cli import main
from hpo_queue.storages import RDBStorage, normalize_url
from hpo_queue.storages._rdb import schema
from tests.support.old_stores import create_old_store


def test_upgrade_reports_the_versions_then_is_a_no_op(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create_old_store(sqlite_url, "a2bbaee")
    assert main(["storage", "upgrade", "--storage", sqlite_url]) == 0
    out, err = capsys.readouterr()
    assert out == f"Upgraded {sqlite_url} from schema version 1 to {schema.SCHEMA_VERSION}.\n"
    assert err == ""
    assert main(["studies", "--storage", sqlite_url, "-f", "json"]) == 0
    assert '"old-study"' in capsys.readouterr().out

    assert main(["storage", "upgrade", "--storage", sqlite_url]) == 0
    out, err = capsys.readouterr()
    assert out == (
        f"{sqlite_url} is at schema version {schema.SCHEMA_VERSION} already; nothing to do.\n"
    )


def test_the_storage_defaults_to_hpo_storage_url(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    create_old_store(sqlite_url, "a2bbaee")
    monkeypatch.setenv("HPO_STORAGE_URL", sqlite_url)
    assert main(["storage", "upgrade"]) == 0
    assert capsys.readouterr().out.startswith(f"Upgraded {sqlite_url} from schema version 1")


def test_an_old_store_opened_by_another_command_names_the_upgrade(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create_old_store(sqlite_url, "a2bbaee")
    assert main(["studies", "--storage", sqlite_url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"run: hpo-queue storage upgrade --storage {sqlite_url}" in err


def test_a_newer_store_is_an_error_naming_both_versions(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    RDBStorage(sqlite_url)
    engine = sa.create_engine(normalize_url(sqlite_url))
    with engine.begin() as conn:
        conn.execute(sa.update(schema.version_info).values(schema_version=99))
    engine.dispose()
    assert main(["storage", "upgrade", "--storage", sqlite_url]) == 1
    err = capsys.readouterr().err
    assert "schema version 99" in err and f"version {schema.SCHEMA_VERSION} of hpo-queue" in err


def test_storage_without_a_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["storage"]) == 2
    assert "upgrade" in capsys.readouterr().err


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HPO_STORAGE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "hpo_queue", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_upgrade_end_to_end_never_prints_the_password(postgres_url: str) -> None:
    # The test server trusts local connections, so any password is accepted.
    url = normalize_url(postgres_url).set(password="s3cret-pw").render_as_string(False)
    create_old_store(url, "a2bbaee")

    refused = _run_cli("studies", "--storage", url)
    assert refused.returncode == 1
    assert "hpo-queue storage upgrade --storage postgresql" in refused.stderr
    assert ":***@" in refused.stderr

    upgraded = _run_cli("storage", "upgrade", "--storage", url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"from schema version 1 to {schema.SCHEMA_VERSION}." in upgraded.stdout
    again = _run_cli("storage", "upgrade", "--storage", url)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    for result in (refused, upgraded, again):
        assert "s3cret-pw" not in result.stdout + result.stderr
