"""Modules imported on first use, for dependencies that are slow to import.

SciPy and cmaes take about a second to import together; importing them when ``hpo_queue``
is imported made every process (each optimize() script, each CLI call, each worker) pay for
samplers and pruners most studies never use.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for a module; the module is imported at the first attribute read.

    Each attribute read is kept on the stand-in, so that later reads are plain attribute
    lookups, not a call of ``__getattr__`` (a few microseconds, which the GP's inner loops
    paid tens of times per evaluation). So a test that patches an attribute of the real
    module after a read must patch the stand-in (or replace it) instead.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None
        self._lock = threading.Lock()

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            with self._lock:
                if self._module is None:
                    self._module = importlib.import_module(self._name)
                module = self._module
        value = getattr(module, attribute)
        self.__dict__[attribute] = value
        return value

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"
