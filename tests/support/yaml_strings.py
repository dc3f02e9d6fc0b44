"""Walking parsed YAML: shared by the compose and Kubernetes checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def strings(node: Any) -> Iterator[str]:
    """Every string (mapping keys included) in a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
