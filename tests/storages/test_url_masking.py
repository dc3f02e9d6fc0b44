"""Passwords never leave a URL shown to a user, however malformed the URL is."""

from __future__ import annotations

import pytest
from celery import Celery

from hpo_queue.broker.app import celery_config
from hpo_queue.exceptions import ConfigError, StorageURLError
from hpo_queue.execution import RUN_TRIAL_TASK
from hpo_queue.settings import Settings
from hpo_queue.storages import mask_url, normalize_url
from hpo_queue.worker.tasks import register_tasks


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("mysql://u:PASSWORD@h/db", "mysql://u:***@h/db"),
        ("mysql:/u:PASSWORD@h/db", "mysql:/u:***@h/db"),  # one slash: not parseable
        ("mysql:u:PASSWORD@h/db", "mysql:u:***@h/db"),
        ("mysql://u:PASS@WORD@h/db", "mysql://u:***@h/db"),  # an unencoded @
        ("redis://:PASSWORD@r:6379/0", "redis://:***@r:6379/0"),
        ("u:PASSWORD@h", "u:***@h"),  # no scheme at all
        ("sqlite:///hpo.db", "sqlite:///hpo.db"),
        ("mysql://u@h/db", "mysql://u@h/db"),
    ],
)
def test_mask_url_hides_the_password_of_any_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert "PASSWORD" not in mask_url(url) and "WORD" not in mask_url(url)


@pytest.mark.parametrize(
    "url", ["mysql:/u:PASSWORD@h/db", "mysql://u:PASS@WORD@h/db", "mysql://u:PASSWORD@h:33a06/d"]
)
def test_a_malformed_url_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(StorageURLError) as caught:
        normalize_url(url)
    assert "PASS" not in str(caught.value) and "WORD" not in str(caught.value)


def test_a_bad_broker_scheme_is_named_without_the_url() -> None:
    with pytest.raises(ConfigError) as caught:
        celery_config(Settings(broker_url="redis:/:PASSWORD@h:6379/0"))
    assert "PASSWORD" not in str(caught.value)


def test_settings_repr_masks_both_passwords() -> None:
    settings = Settings(
        storage_url="mysql://u:DBPASS@h/db",
        broker_url="redis://:REDISPASS@r/0",
        result_backend="redis://:BACKENDPASS@r/1",
    )
    shown = repr(settings)
    assert "DBPASS" not in shown and "REDISPASS" not in shown and "BACKENDPASS" not in shown
    assert "mysql://u:***@h/db" in shown


def test_a_malformed_storage_url_is_not_retried_by_the_task() -> None:
    app = Celery(set_as_current=False)
    register_tasks(app)
    assert StorageURLError in app.tasks[RUN_TRIAL_TASK].dont_autoretry_for
