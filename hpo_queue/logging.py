"""hpo-queue's loggers: Optuna-style lines by default, one JSON object per line on request."""

from __future__ import annotations

import json
import logging
import sys
import threading
from typing import Any

ROOT_LOGGER_NAME = "hpo_queue"
_TEXT_FORMAT = "[%(levelname)1.1s %(asctime)s] %(message)s"
_lock = threading.Lock()
_handler: logging.Handler | None = None


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the study/trial/worker fields a record carries."""

    FIELDS = ("study", "trial", "state", "value", "worker", "event")

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                payload[name] = getattr(record, name)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test runners and notebooks swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def get_logger(name: str) -> logging.Logger:
    """A logger under "hpo_queue", with the default handler installed on first use."""
    _configure_default_handler()
    return logging.getLogger(name)


def _configure_default_handler() -> None:
    global _handler
    with _lock:
        if _handler is not None:
            return
        _handler = _CurrentStderrHandler()
        _handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
        root = logging.getLogger(ROOT_LOGGER_NAME)
        root.addHandler(_handler)
        root.setLevel(logging.INFO)
        root.propagate = False


def set_verbosity(level: int | str) -> None:
    """Set the level of hpo-queue's logs (logging.INFO, "WARNING", ...)."""
    _configure_default_handler()
    logging.getLogger(ROOT_LOGGER_NAME).setLevel(level)


def use_json_format(enabled: bool = True) -> None:
    """Switch the default handler to JSON lines (or back to text)."""
    _configure_default_handler()
    assert _handler is not None
    _handler.setFormatter(JsonFormatter() if enabled else logging.Formatter(_TEXT_FORMAT))


def disable_default_handler() -> None:
    """Let records propagate to the application's own logging configuration instead."""
    _configure_default_handler()
    root = logging.getLogger(ROOT_LOGGER_NAME)
    if _handler is not None:
        root.removeHandler(_handler)
    root.propagate = True


def enable_default_handler() -> None:
    """Undo :func:`disable_default_handler`."""
    _configure_default_handler()
    root = logging.getLogger(ROOT_LOGGER_NAME)
    if _handler is not None and _handler not in root.handlers:
        root.addHandler(_handler)
    root.propagate = False
