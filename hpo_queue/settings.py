"""Settings: one object built from defaults, a TOML config file and environment variables.

Precedence, highest first: explicit arguments > environment variables (HPO_*) > the config
file named by HPO_CONFIG (or passed as ``config_file``) > built-in defaults.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_queue.exceptions import ConfigError
from hpo_queue.storages._url import mask_url

# setting name -> environment variable
ENV_VARS = {
    "storage_url": "HPO_STORAGE_URL",
    "broker_url": "HPO_BROKER_URL",
    "result_backend": "HPO_RESULT_BACKEND",
    "objective_modules": "HPO_OBJECTIVE_MODULES",
    "heartbeat_interval": "HPO_HEARTBEAT_INTERVAL",
    "heartbeat_grace": "HPO_HEARTBEAT_GRACE",
    "max_retries": "HPO_MAX_RETRIES",
    "db_pool_size": "HPO_DB_POOL_SIZE",
    "task_time_limit": "HPO_TASK_TIME_LIMIT",
    "log_level": "HPO_LOG_LEVEL",
    "log_format": "HPO_LOG_FORMAT",
    "dashboard_allowed_hosts": "HPO_DASHBOARD_ALLOWED_HOSTS",
}
CONFIG_ENV_VAR = "HPO_CONFIG"


@dataclass(frozen=True)
class Settings:
    """Everything a coordinator or worker may be told; see configs/*.toml for examples.

    Attributes:
        storage_url: the shared database (mysql://..., sqlite:///..., postgresql://...).
        broker_url: the Celery broker (redis://, rediss://, amqp://); None means the
            embedded, server-less broker (SQLite through kombu) next to the storage.
        result_backend: Celery's result backend; None means the broker (Redis) or none.
        objective_modules: the modules a worker may import objectives from.
        heartbeat_interval: seconds between heartbeats (lease renewals) of a running trial.
        heartbeat_grace: the lease of the trials of a study created with these settings:
            seconds without a heartbeat after which a trial is declared lost. Stored with the
            study, so every node judges its trials by the same grace.
        max_retries: how often a trial whose worker died is re-run with the same params.
        db_pool_size: database connections one process opens at most (a worker node opens
            this many per pool process plus this many for its main process).
        task_time_limit: soft time limit of one trial task in seconds (None: no limit): it
            raises inside the objective; the hard limit, which kills the task, is 30 s later.
        log_level: the level of hpo-queue's own logger.
        log_format: "text" (Optuna-style lines) or "json" (one JSON object per line).
        dashboard_allowed_hosts: extra Host names ``hpo-queue dashboard`` answers (the names
            a proxy serves it as; comma-separated in the environment; ``*`` for any).
    """

    storage_url: str | None = None
    broker_url: str | None = None
    result_backend: str | None = None
    objective_modules: tuple[str, ...] = ()
    heartbeat_interval: float = 10.0
    heartbeat_grace: float = 60.0
    max_retries: int = 2
    db_pool_size: int = 2
    task_time_limit: float | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    dashboard_allowed_hosts: tuple[str, ...] = ()
    source: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        # Settings are logged and shown in errors: their URLs carry passwords.
        shown = []
        for f in dataclasses.fields(self):
            if not f.repr:
                continue
            value = getattr(self, f.name)
            if f.name in _URL_FIELDS and value is not None:
                shown.append(f"{f.name}={mask_url(value)!r}")
            else:
                shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    def __post_init__(self) -> None:
        if self.heartbeat_interval <= 0:
            raise ConfigError(f"heartbeat_interval must be > 0, got {self.heartbeat_interval}.")
        if self.heartbeat_grace <= self.heartbeat_interval:
            raise ConfigError(
                f"heartbeat_grace ({self.heartbeat_grace}) must exceed heartbeat_interval "
                f"({self.heartbeat_interval}), or live trials would be declared dead."
            )
        if self.db_pool_size < 1:
            raise ConfigError(f"db_pool_size must be >= 1, got {self.db_pool_size}.")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries}.")
        if self.task_time_limit is not None and self.task_time_limit <= 0:
            raise ConfigError(f"task_time_limit must be > 0, got {self.task_time_limit}.")
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"log_format must be 'text' or 'json', got {self.log_format!r}.")

    @classmethod
    def load(
        cls,
        config_file: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Build settings from defaults, the config file, the environment and ``overrides``."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        source: dict[str, str] = {}
        path = config_file or env.get(CONFIG_ENV_VAR)
        if path:
            for key, value in _read_config_file(Path(path)).items():
                values[key] = value
                source[key] = str(path)
        for key, var in ENV_VARS.items():
            if env.get(var, "").strip():
                values[key] = env[var].strip()
                source[key] = var
        for key, value in overrides.items():
            if key not in ENV_VARS:
                raise ConfigError(f"Unknown setting {key!r}.")
            if value is not None:
                values[key] = value
                source[key] = "argument"
        return cls(**{k: _coerce(k, v) for k, v in values.items()}, source=source)

    def with_overrides(self, **overrides: Any) -> Settings:
        given = {k: _coerce(k, v) for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **given)


_URL_FIELDS = ("storage_url", "broker_url", "result_backend")
_FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}


def _coerce(key: str, value: Any) -> Any:
    kind = str(_FIELD_TYPES[key])
    try:
        if key in ("objective_modules", "dashboard_allowed_hosts"):
            if isinstance(value, str):
                return tuple(m.strip() for m in value.split(",") if m.strip())
            return tuple(str(m) for m in value)
        if kind.startswith("float"):
            return None if value in (None, "", "none") else float(value)
        if kind == "int":
            return int(value)
        return None if value is None else str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"Setting {key} has an invalid value {value!r}.") from None


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from None
    section = data.get("hpo_queue", data)
    unknown = set(section) - set(ENV_VARS)
    if unknown:
        raise ConfigError(
            f"Config file {path} has unknown settings: {', '.join(sorted(unknown))}; "
            f"known: {', '.join(ENV_VARS)}."
        )
    return dict(section)
