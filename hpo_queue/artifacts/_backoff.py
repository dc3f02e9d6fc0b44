"""Backoff: a store middleware that retries failed reads and writes with growing delays."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import BinaryIO, TypeVar

from hpo_queue.artifacts._protocol import ArtifactStore
from hpo_queue.exceptions import ArtifactNotFound, InvalidInputError

_logger = logging.getLogger("hpo_queue.artifacts")
_R = TypeVar("_R")


class Backoff:
    """Wraps a store so that a failed call is tried again, as Optuna's ``Backoff`` does.

    Meant for a remote store many workers share (an S3 bucket that throttles, a network
    blip). A missing artifact and a malformed id are answers, not failures: they are raised
    at once. The delay after the n-th failure (from 0) is ``min_delay * multiplier**n``,
    at most ``max_delay`` seconds.

    Args:
        backend: the store to call.
        max_retries: how many calls in all before the last failure is raised.
        multiplier: how much longer each delay is than the one before.
        min_delay: the first delay, in seconds.
        max_delay: the longest delay, in seconds.

    Raises:
        InvalidInputError: a count or delay out of range.
    """

    def __init__(
        self,
        backend: ArtifactStore,
        *,
        max_retries: int = 10,
        multiplier: float = 2,
        min_delay: float = 0.1,
        max_delay: float = 30,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 1:
            raise InvalidInputError(f"max_retries must be an integer >= 1, got {max_retries!r}.")
        for name, value in (("multiplier", multiplier), ("min_delay", min_delay)):
            if not _positive(value):
                raise InvalidInputError(f"{name} must be a number > 0, got {value!r}.")
        if not _positive(max_delay) or max_delay < min_delay:
            raise InvalidInputError(
                f"max_delay must be a number >= min_delay ({min_delay!r}), got {max_delay!r}."
            )
        self._backend = backend
        self._max_retries = max_retries
        self._multiplier = float(multiplier)
        self._min_delay = float(min_delay)
        self._max_delay = float(max_delay)

    def delay(self, n_failures: int) -> float:
        """Seconds to wait after the ``n_failures``-th failure (counted from 0)."""
        return min(self._min_delay * self._multiplier**n_failures, self._max_delay)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        return self._call("read", artifact_id, lambda: self._backend.open_reader(artifact_id))

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        # A retry sends the content again from where the first attempt started; a source
        # that cannot seek cannot be sent twice, so its first failure is final.
        start = content_body.tell() if content_body.seekable() else None

        def write_once() -> None:
            self._backend.write(artifact_id, content_body)

        def rewind() -> bool:
            if start is None:
                return False
            content_body.seek(start)
            return True

        self._call("write", artifact_id, write_once, before_retry=rewind)

    def remove(self, artifact_id: str) -> None:
        self._call("remove", artifact_id, lambda: self._backend.remove(artifact_id))

    def _call(
        self,
        action: str,
        artifact_id: str,
        call: Callable[[], _R],
        before_retry: Callable[[], bool] = lambda: True,
    ) -> _R:
        n_failures = 0
        while True:
            try:
                return call()
            except (ArtifactNotFound, InvalidInputError):
                raise
            except Exception as exc:
                if n_failures + 1 >= self._max_retries or not before_retry():
                    raise
                wait = self.delay(n_failures)
                _logger.warning(
                    "Could not %s artifact %s (%s: %s); trying again in %.2f s.",
                    action,
                    artifact_id,
                    type(exc).__name__,
                    exc,
                    wait,
                )
                n_failures += 1
                time.sleep(wait)

    def __repr__(self) -> str:
        return f"Backoff({self._backend!r}, max_retries={self._max_retries})"


def _positive(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and value > 0
    )
