"""Test-only libraries (pandas, plotly, matplotlib, Optuna): skipped on a laptop without them,
a failure in CI (CI=true), where the `test` extra installs them all."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def import_or_skip(name: str) -> ModuleType:
    """``name`` imported; without it, skip with the reason, or fail under CI."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return importlib.import_module(name)  # an ImportError fails the test module
    return pytest.importorskip(name, reason=f"{name} is not installed (pip install -e '.[test]')")
