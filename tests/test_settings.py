"""Settings: defaults < config file < environment < arguments; the example configs load."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hpo_queue.exceptions import ConfigError
from hpo_queue.settings import ENV_VARS, Settings

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_configs_load_and_hold_no_secret(path: Path) -> None:
    settings = Settings.load(config_file=path, env={})
    assert settings.source  # something came from the file
    for url in (settings.storage_url, settings.broker_url, settings.result_backend):
        assert url is None or urlsplit(url).password is None, f"{path.name} holds a password"


def test_examples_cover_local_docker_and_production() -> None:
    assert {p.stem for p in CONFIGS} >= {"local", "docker", "production"}


def test_precedence(tmp_path: Path) -> None:
    config = tmp_path / "hq.toml"
    config.write_text(
        '[hpo_queue]\nstorage_url = "sqlite:///file.db"\nheartbeat_interval = 5\n'
        'heartbeat_grace = 30\nobjective_modules = ["a", "b"]\n'
    )
    env = {"HPO_CONFIG": str(config), "HPO_HEARTBEAT_GRACE": "45"}
    settings = Settings.load(env=env, max_retries=4)
    assert settings.storage_url == "sqlite:///file.db"  # file
    assert settings.heartbeat_interval == 5.0  # file
    assert settings.heartbeat_grace == 45.0  # environment beats file
    assert settings.max_retries == 4  # argument
    assert settings.objective_modules == ("a", "b")
    assert settings.task_time_limit is None  # default
    assert settings.source["heartbeat_grace"] == "HPO_HEARTBEAT_GRACE"


def test_every_setting_has_an_environment_variable() -> None:
    env = {
        "HPO_STORAGE_URL": "mysql://u@h/db",
        "HPO_BROKER_URL": "redis://h:6379/0",
        "HPO_RESULT_BACKEND": "redis://h:6379/1",
        "HPO_OBJECTIVE_MODULES": "foo, bar.baz",
        "HPO_HEARTBEAT_INTERVAL": "2",
        "HPO_HEARTBEAT_GRACE": "9",
        "HPO_MAX_RETRIES": "1",
        "HPO_DB_POOL_SIZE": "1",
        "HPO_TASK_TIME_LIMIT": "60",
        "HPO_LOG_LEVEL": "DEBUG",
        "HPO_LOG_FORMAT": "json",
        "HPO_DASHBOARD_ALLOWED_HOSTS": "dash.example.com, 10.0.0.5",
    }
    assert set(env) == set(ENV_VARS.values())
    settings = Settings.load(env=env)
    assert settings.objective_modules == ("foo", "bar.baz")
    assert settings.task_time_limit == 60.0 and settings.log_format == "json"
    assert settings.db_pool_size == 1
    assert settings.dashboard_allowed_hosts == ("dash.example.com", "10.0.0.5")
    assert set(settings.source.values()) == set(env)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HPO_HEARTBEAT_INTERVAL": "abc"}, "invalid value"),
        ({"HPO_HEARTBEAT_INTERVAL": "10", "HPO_HEARTBEAT_GRACE": "5"}, "must exceed"),
        ({"HPO_LOG_FORMAT": "xml"}, "log_format"),
        ({"HPO_DB_POOL_SIZE": "0"}, "db_pool_size"),
        ({"HPO_CONFIG": "/nonexistent/hq.toml"}, "does not exist"),
    ],
)
def test_bad_settings_name_the_problem(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.load(env=env)


def test_unknown_key_in_config_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[hpo_queue]\nstorage = "x"\n')
    with pytest.raises(ConfigError, match="unknown settings: storage"):
        Settings.load(config_file=config, env={})
