"""Fixtures for the artifact tests: a moto S3 server for the module, a fresh bucket per test.

In CI (CI=true) a moto server that cannot start fails the S3 tests; elsewhere they are
skipped with the reason. boto3 and moto[server] are in the `test` extra, so CI has them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import services_required
from tests.support.s3_server import FAKE_AWS_ENV, MotoServer


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto S3 server started for this test module; stopped afterwards."""
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        server.start()
    except AssertionError as exc:
        message = f"A moto S3 server could not start ({exc}); pip install 'moto[server]'."
        if services_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield server.endpoint_url
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fake AWS credentials and the moto endpoint in os.environ; no ~/.aws file is read."""
    env = {
        **FAKE_AWS_ENV,
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def s3_client(s3_env: dict[str, str]) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=s3_env["AWS_ENDPOINT_URL_S3"])


@pytest.fixture
def s3_bucket(s3_client: Any) -> str:
    """A new, empty bucket on the moto server."""
    name = f"hq-artifacts-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name
