"""The Celery configuration derived from Settings: JSON only, late acks, consistent timeouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpo_queue.broker.app import celery_config, visibility_timeout_for
from hpo_queue.exceptions import ConfigError
from hpo_queue.settings import Settings
from hpo_queue.worker import create_worker_app


def test_reliability_settings() -> None:
    config = celery_config(Settings(broker_url="redis://127.0.0.1:6379/0"))
    assert config["accept_content"] == ["json"]
    assert config["task_serializer"] == config["result_serializer"] == "json"
    assert config["result_accept_content"] == ["json"]
    assert config["task_acks_late"] is False  # a wake-up; the store re-queues lost work
    assert config["worker_prefetch_multiplier"] == 1
    assert config["broker_connection_max_retries"] is None


def test_visibility_timeout_outlasts_the_hard_time_limit() -> None:
    settings = Settings(broker_url="redis://h/0", task_time_limit=7200, heartbeat_grace=60)
    config = celery_config(settings)
    assert config["task_soft_time_limit"] == 7200
    assert config["task_time_limit"] > 7200
    visibility = config["broker_transport_options"]["visibility_timeout"]
    assert visibility == visibility_timeout_for(settings)
    assert visibility > config["task_time_limit"] + settings.heartbeat_grace


def test_embedded_broker_sits_beside_a_sqlite_storage(tmp_path: Path) -> None:
    settings = Settings(storage_url=f"sqlite:///{tmp_path / 'study.db'}")
    config = celery_config(settings)
    assert config["broker_url"] == f"sqla+sqlite:///{tmp_path / 'hpo-queue-broker.sqlite'}"
    assert config["result_backend"].startswith("db+sqlite:///")


def test_rediss_gets_certificate_checks_and_amqp_uses_rpc_results() -> None:
    assert "broker_use_ssl" in celery_config(Settings(broker_url="rediss://:pw@h:6380/0"))
    assert (
        celery_config(Settings(broker_url="amqp://guest:guest@h//"))["result_backend"] == "rpc://"
    )


def test_unknown_broker_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="broker scheme"):
        celery_config(Settings(broker_url="kafka://h"))


def test_storage_url_stays_out_of_celery_conf() -> None:
    secret = "s3cr3t-pw"
    app = create_worker_app(
        Settings(
            broker_url=f"redis://:{secret}@127.0.0.1:6379/0", storage_url=f"mysql://u:{secret}@db/x"
        )
    )
    shown = str(app.conf.humanize(with_defaults=False, censored=True))
    assert secret not in shown
    assert "mysql" not in shown
    assert secret not in app.connection().as_uri()
    assert app.tasks["hpo_queue.run_trial"].name == "hpo_queue.run_trial"
