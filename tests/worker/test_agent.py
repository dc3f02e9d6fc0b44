"""The node agent: renews what its processes list, reaps lapsed leases, waits after an outage."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import hpo_queue as hq
from hpo_queue.settings import Settings
from hpo_queue.trial import TrialState
from hpo_queue.worker.agent import NodeAgent, RunningTrialsFile, read_running_trials

SETTINGS = Settings(heartbeat_interval=0.05, heartbeat_grace=0.3)


def _agent(storage: Any, running_dir: Path) -> NodeAgent:
    # No Celery app: these studies have no jobs, so the agent sends no wake-up.
    return NodeAgent(None, storage, SETTINGS, lambda: {os.getpid()}, running_dir)  # type: ignore[arg-type]


def test_only_the_trials_a_live_process_lists_are_renewed(tmp_path: Path) -> None:
    study = hq.create_study(storage=f"sqlite:///{tmp_path}/a.db", settings=SETTINGS)
    listed = study.storage.claim_trial(study.study_id, worker="here").trial
    orphan = study.storage.claim_trial(study.study_id, worker="here").trial  # never ran
    assert listed is not None and orphan is not None
    RunningTrialsFile(tmp_path).add(listed.trial_id)
    (tmp_path / "999999999").write_text(str(orphan.trial_id))  # a process that is gone
    agent = _agent(study.storage, tmp_path)

    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        agent.tick()
        time.sleep(0.02)

    states = {t.number: t.state for t in study.trials}
    assert states[listed.number] == TrialState.RUNNING  # kept alive by its process's list
    assert states[orphan.number] == TrialState.FAIL  # nobody lists it: its lease ran out
    assert not (tmp_path / "999999999").exists()  # the dead process's list is cleared
    assert read_running_trials(tmp_path, {os.getpid()}) == {listed.trial_id}


def test_after_a_late_renewal_reaping_waits_one_lease(tmp_path: Path) -> None:
    study = hq.create_study(storage=f"sqlite:///{tmp_path}/b.db", settings=SETTINGS)
    lapsed = study.storage.claim_trial(study.study_id, worker="elsewhere").trial
    assert lapsed is not None
    agent = _agent(study.storage, tmp_path)
    agent.tick()
    time.sleep(0.4)  # the lease runs out, and this agent's renewals came late (an outage)

    agent.tick()  # renews late: reaping is held for one lease
    held_until = time.monotonic() + SETTINGS.heartbeat_grace - 0.05
    while time.monotonic() < held_until:  # the agent's own rhythm from now on
        assert study.trials[0].state == TrialState.RUNNING
        agent.tick()
        time.sleep(0.02)
    deadline = time.monotonic() + 1.0
    while study.trials[0].state == TrialState.RUNNING and time.monotonic() < deadline:
        agent.tick()
        time.sleep(0.02)
    assert study.trials[0].state == TrialState.FAIL
    assert "presumed dead" in (study.trials[0].fail_reason or "")
