"""Boto3ArtifactStore: artifacts as objects in an S3 (or S3-compatible) bucket, via boto3."""

from __future__ import annotations

import importlib
import io
import shutil
from types import ModuleType
from typing import Any, BinaryIO, NoReturn, cast

from hpo_queue.artifacts._ids import check_artifact_id
from hpo_queue.exceptions import (
    ArtifactNotFound,
    ArtifactStoreError,
    InvalidInputError,
    MissingDependencyError,
)

S3_EXTRA_HINT = "pip install 'hpo-queue[s3]'"
# Error codes S3 and compatible servers use for a missing key (a bucket's are different).
_MISSING_KEY_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _import(name: str) -> ModuleType:
    # boto3 is an optional extra and takes ~0.3 s to import: only a Boto3ArtifactStore loads it.
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingDependencyError(
            f"Boto3ArtifactStore needs boto3, which is not installed: {S3_EXTRA_HINT}."
        ) from None


class Boto3ArtifactStore:
    """Keeps each artifact as the object ``<artifact_id>`` in ``bucket_name``.

    Every node with access to the bucket shares the store. Without ``client`` a default
    ``boto3.client("s3")`` is made, configured as boto3 is: ``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION`` and, for MinIO or another
    S3-compatible server, ``AWS_ENDPOINT_URL_S3`` (or ``~/.aws/config``).

    Args:
        bucket_name: the bucket, which must exist.
        client: a boto3 S3 client to use instead of the default one.
        avoid_buf_copy: upload the source file object as it is instead of a copy in memory
            (boto3's ``upload_fileobj`` may close the object it is given).

    Raises:
        MissingDependencyError: boto3 is not installed (``pip install 'hpo-queue[s3]'``).
    """

    def __init__(
        self, bucket_name: str, client: Any | None = None, *, avoid_buf_copy: bool = False
    ) -> None:
        if not isinstance(bucket_name, str) or not bucket_name:
            raise InvalidInputError(
                f"Boto3ArtifactStore's bucket_name must be a non-empty string, got {bucket_name!r}."
            )
        boto3 = _import("boto3")
        botocore_exceptions = _import("botocore.exceptions")
        self.bucket = bucket_name
        self.client = client if client is not None else boto3.client("s3")
        self._avoid_buf_copy = avoid_buf_copy
        self._client_error: type[Exception] = botocore_exceptions.ClientError
        self._errors: tuple[type[Exception], ...] = (
            botocore_exceptions.ClientError,
            botocore_exceptions.BotoCoreError,
            _import("boto3.exceptions").Boto3Error,
        )

    def open_reader(self, artifact_id: str) -> BinaryIO:
        key = check_artifact_id(artifact_id)
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=key)
        except self._errors as exc:
            if isinstance(exc, self._client_error) and _error_code(exc) in _MISSING_KEY_CODES:
                raise ArtifactNotFound(
                    f"No artifact {artifact_id!r} in S3 bucket {self.bucket!r}."
                ) from None
            self._fail("read", artifact_id, exc)
        return cast(BinaryIO, found["Body"])

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        key = check_artifact_id(artifact_id)
        source = content_body
        if not self._avoid_buf_copy:
            source = io.BytesIO()
            shutil.copyfileobj(content_body, source)
            source.seek(0)
        try:
            self.client.upload_fileobj(source, self.bucket, key)
        except self._errors as exc:
            self._fail("write", artifact_id, exc)

    def remove(self, artifact_id: str) -> None:
        """Delete the object; S3 reports no error for a key that does not exist."""
        key = check_artifact_id(artifact_id)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except self._errors as exc:
            self._fail("remove", artifact_id, exc)

    def _fail(self, action: str, artifact_id: str, exc: Exception) -> NoReturn:
        raise ArtifactStoreError(
            f"Could not {action} artifact {artifact_id!r} in S3 bucket {self.bucket!r}: "
            f"{exc}. Check that the bucket exists, the endpoint and credentials "
            "(AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID) are right, and they allow this."
        ) from exc

    def __repr__(self) -> str:
        return f"Boto3ArtifactStore({self.bucket!r})"


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
