"""ArtifactMeta: what is recorded about one artifact, as a system attr of its study or trial."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

# The system attr key of an artifact is this prefix and its id, as in Optuna, so stores
# written by either library list the same artifacts.
ARTIFACTS_ATTR_PREFIX = "artifacts:"
DEFAULT_MIME_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class ArtifactMeta:
    """One artifact of a study or trial, as :func:`get_all_artifact_meta` lists it.

    Attributes:
        artifact_id: the id to pass to :func:`download_artifact`.
        filename: the base name of the file that was uploaded.
        mimetype: given at upload, else guessed from the file name's extension.
        encoding: a Content-Encoding such as ``gzip``, given or guessed; None if none.
    """

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None

    @property
    def attr_key(self) -> str:
        """The system attr key the metadata is stored under."""
        return ARTIFACTS_ATTR_PREFIX + self.artifact_id

    def to_attr_value(self) -> str:
        """The stored value: a JSON string, the form Optuna stores (and its dashboard reads)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_attr_value(cls, value: Any) -> ArtifactMeta:
        """Rebuild from a stored value (a JSON string, or the object it encodes)."""
        fields = json.loads(value) if isinstance(value, str) else value
        return cls(
            artifact_id=str(fields["artifact_id"]),
            filename=str(fields["filename"]),
            mimetype=str(fields["mimetype"]),
            encoding=None if fields.get("encoding") is None else str(fields["encoding"]),
        )
