"""hpo-queue's loggers: Optuna-style lines by default, one JSON object per line on request."""

from __future__ import annotations

import json
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

from hpo_queue._printable import printable_lines

if TYPE_CHECKING:
    from hpo_queue.settings import Settings

ROOT_LOGGER_NAME = "hpo_queue"

# Optuna's names, so that `hq.logging.set_verbosity(hq.logging.WARNING)` reads the same.
CRITICAL = logging.CRITICAL
ERROR = logging.ERROR
WARNING = logging.WARNING
INFO = logging.INFO
DEBUG = logging.DEBUG
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


class TextFormatter(logging.Formatter):
    """Optuna-style text lines, each non-printable character shown as an escape.

    A study name stored before the name limits may hold an ESC; written raw, it would act
    on the terminal (set its title, its colours) instead of being read.
    """

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return printable_lines(super().format(record))


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
        _handler.setFormatter(TextFormatter())
        root = logging.getLogger(ROOT_LOGGER_NAME)
        root.addHandler(_handler)
        root.setLevel(logging.INFO)
        root.propagate = False


def set_verbosity(level: int | str) -> None:
    """Set the level of hpo-queue's logs (logging.INFO, "WARNING", ...)."""
    _configure_default_handler()
    logging.getLogger(ROOT_LOGGER_NAME).setLevel(level)


def get_verbosity() -> int:
    """The current level of hpo-queue's logs."""
    _configure_default_handler()
    return logging.getLogger(ROOT_LOGGER_NAME).getEffectiveLevel()


def use_json_format(enabled: bool = True) -> None:
    """Switch the default handler to JSON lines (or back to text)."""
    _configure_default_handler()
    assert _handler is not None
    _handler.setFormatter(JsonFormatter() if enabled else TextFormatter())


def json_format_enabled() -> bool:
    """Whether the default handler writes JSON lines."""
    return isinstance(_handler, logging.Handler) and isinstance(_handler.formatter, JsonFormatter)


def configure_from_settings(settings: Settings) -> None:
    """Apply ``settings.log_level`` and ``settings.log_format`` to hpo-queue's logs.

    A value that was neither configured (environment, config file, argument) nor changed
    from its default leaves the logger alone, so that loading default settings does not
    undo an application's own :func:`set_verbosity` or :func:`use_json_format`.

    Raises:
        ConfigError: ``log_level`` is not a logging level name.
    """
    from hpo_queue.exceptions import ConfigError

    defaults = type(settings)()
    if "log_level" in settings.source or settings.log_level != defaults.log_level:
        try:
            set_verbosity(settings.log_level.upper())
        except ValueError:
            raise ConfigError(
                f"log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                f"got {settings.log_level!r}."
            ) from None
    if "log_format" in settings.source or settings.log_format != defaults.log_format:
        use_json_format(settings.log_format == "json")


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
