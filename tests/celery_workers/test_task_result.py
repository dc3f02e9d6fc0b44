"""What Flower shows of a trial task: its result with the outcome first, the same keys."""

from __future__ import annotations

from hpo_queue.broker.app import celery_config
from hpo_queue.settings import Settings
from hpo_queue.worker.tasks import readable_result


def test_result_reads_outcome_study_trial_first_and_keeps_every_key() -> None:
    raw = {
        "study": "demo",
        "task_key": "job-000001",
        "trial": 7,
        "state": "COMPLETE",
        "values": [0.25],
        "worker": "host:42",
        "status": "finished",
        "elapsed_seconds": 0.023723543999949,
        "objective_seconds": 0.011109560000022611,
    }
    shown = readable_result(raw)
    assert repr(shown).startswith(
        "{'status': 'finished', 'study': 'demo', 'trial': 7, 'state': 'COMPLETE', "
        "'values': [0.25], 'worker': 'host:42'"
    )
    assert shown.keys() == raw.keys()
    assert shown["elapsed_seconds"] == 0.023724
    assert readable_result({"study": "s", "task_key": "k", "status": "cap_reached"}) == {
        "status": "cap_reached",
        "study": "s",
        "task_key": "k",
    }


def test_task_events_are_on_for_flower() -> None:
    config = celery_config(Settings(broker_url="redis://127.0.0.1:6379/0"))
    assert config["worker_send_task_events"] is True
    assert config["task_send_sent_event"] is True
