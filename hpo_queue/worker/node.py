"""What a worker's main process does at start, when ready, when a pool process is lost, at stop.

- At start (``worker_init``, before any task is taken) it opens the store: a wrong or
  unreachable store ends the worker with one clear line instead of a worker that reports
  ready and then fails every task.
- When ready (``worker_ready``) it starts the :class:`~hpo_queue.worker.agent.NodeAgent`,
  which renews its pool processes' leases and re-queues lost work.
- When Celery kills a pool process at the hard time limit (``task_failure`` with
  TimeLimitExceeded) the trial is failed at once, as the objective's own failure (the study's
  retry policy applies): it would otherwise wait for its lease and be re-run as lost work.
- At shutdown (``worker_shutdown``) the agent stops.

The handlers are connected by :func:`connect` when a worker app is built, never at import,
and each acts only for an app that carries hpo-queue Settings.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from celery import Celery
from celery.exceptions import TimeLimitExceeded
from celery.signals import task_failure, worker_init, worker_ready, worker_shutdown

from hpo_queue.exceptions import HpoQueueError
from hpo_queue.settings import Settings
from hpo_queue.storages import BaseStorage, get_storage, mask_url
from hpo_queue.study import _lifecycle as lifecycle
from hpo_queue.study._study import load_study
from hpo_queue.trial._state import TrialState
from hpo_queue.worker.agent import NodeAgent, RunningTrialsFile

_logger = logging.getLogger("hpo_queue.worker")
# The pid of the process whose node agent renews leases, and the directory where each pool
# process lists its running trials; pool processes forked from it inherit both, and then run
# no heartbeat thread of their own.
_agent_pid: int | None = None
_running_dir: Path | None = None
_running_file: RunningTrialsFile | None = None
_agents: dict[int, NodeAgent] = {}
_storages: dict[int, BaseStorage] = {}


def leases_renewed_by_agent() -> bool:
    """True in a worker process whose leases the node agent renews (it or its parent)."""
    return _agent_pid is not None and _agent_pid in (os.getpid(), os.getppid())


def running_trials_file() -> RunningTrialsFile | None:
    """This process's list of running trials for its node agent, or None without an agent."""
    global _running_file
    if not leases_renewed_by_agent() or _running_dir is None:
        return None
    if _running_file is None or _running_file.pid != os.getpid():
        _running_file = RunningTrialsFile(_running_dir)
    return _running_file


def connect() -> None:
    """Connect the handlers (once per process, whatever the number of apps)."""
    worker_init.connect(_on_worker_init, weak=False, dispatch_uid="hpo_queue.node.init")
    worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="hpo_queue.node.ready")
    worker_shutdown.connect(_on_shutdown, weak=False, dispatch_uid="hpo_queue.node.shutdown")
    task_failure.connect(_on_task_failure, weak=False, dispatch_uid="hpo_queue.node.failure")


def open_worker_store(settings: Settings) -> BaseStorage:
    """The worker's store, opened and checked; raises HpoQueueError with what is wrong."""
    if not settings.storage_url:
        raise HpoQueueError("no store is configured: set HPO_STORAGE_URL")
    storage = get_storage(settings.storage_url, pool_size=settings.db_pool_size)
    storage.ping()
    return storage


def _settings_of(app: Any) -> Settings | None:
    settings = getattr(app, "hpo_settings", None)
    return settings if isinstance(settings, Settings) else None


def _on_worker_init(sender: Any = None, **_: Any) -> None:
    global _agent_pid
    app = getattr(sender, "app", None)
    settings = _settings_of(app)
    if settings is None:
        return
    try:
        storage = open_worker_store(settings)
    except HpoQueueError as exc:
        where = mask_url(settings.storage_url) if settings.storage_url else "(none)"
        reason = str(exc)
        # The storage's own errors often name the URL already: say it once.
        reason = reason.replace(f" on {where}", "").replace(f" in {where}", "")
        message = f"hpo-queue worker: cannot use the store at {where}: {reason}"
        if _logger.hasHandlers():  # Celery's logging is set up: one line, through it
            _logger.critical(message)
        else:
            print(message, file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    _storages[id(app)] = storage
    global _running_dir
    _running_dir = Path(tempfile.mkdtemp(prefix="hpo-queue-running-"))
    _agent_pid = os.getpid()


def _on_worker_ready(sender: Any = None, **_: Any) -> None:
    app = getattr(sender, "app", None)
    settings = _settings_of(app)
    storage = _storages.get(id(app))
    if settings is None or storage is None or app is None:
        return
    controller = getattr(sender, "controller", None)
    assert _running_dir is not None
    agent = NodeAgent(app, storage, settings, lambda: _live_pids(controller), _running_dir)
    _agents[id(app)] = agent
    agent.start()
    _logger.info("hpo-queue node agent started: renewing leases, re-queueing lost work.")


def _on_shutdown(sender: Any = None, **_: Any) -> None:
    for agent in list(_agents.values()):
        agent.stop()
    _agents.clear()
    if _running_dir is not None and os.getpid() == _agent_pid:
        shutil.rmtree(_running_dir, ignore_errors=True)


def _live_pids(controller: Any) -> set[int]:
    """The pool processes' pids, and this process's own (a solo or threads pool runs here)."""
    pids = {os.getpid()}
    pool = getattr(getattr(controller, "pool", None), "_pool", None)
    for process in getattr(pool, "_pool", None) or ():
        try:
            if process.is_alive():
                pids.add(int(process.pid))
        except (AssertionError, OSError, ValueError):
            continue  # a process being replaced
    return pids


def _on_task_failure(
    sender: Any = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    kwargs: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    if not isinstance(exception, TimeLimitExceeded) or task_id is None:
        return
    app: Celery | None = getattr(sender, "app", None)
    settings = _settings_of(app)
    storage = _storages.get(id(app))
    if settings is None or storage is None or not kwargs:
        return
    try:
        fail_killed_trial(storage, settings, str(kwargs.get("study_name")), task_id, exception)
    except HpoQueueError as exc:
        _logger.warning("Could not record the trial of task %s as killed: %s", task_id, exc)


def fail_killed_trial(
    storage: BaseStorage,
    settings: Settings,
    study_name: str,
    task_id: str,
    exception: BaseException,
) -> int | None:
    """FAIL the RUNNING trial a task was running when its process was killed; its number."""
    study = load_study(study_name=study_name, storage=storage, settings=settings)
    trial = storage.get_trial_by_task_key(study.study_id, task_id)
    # A task runs the retries of its own lost work under derived keys: follow them.
    for attempt in range(1, 64):
        if trial is None or trial.state == TrialState.RUNNING:
            break
        trial = storage.get_trial_by_task_key(study.study_id, f"{task_id}#{attempt}")
    if trial is None or trial.state != TrialState.RUNNING:
        return None
    reason = (
        f"Killed at the hard time limit ({exception}): the objective ignored the soft time "
        "limit (HPO_TASK_TIME_LIMIT)."
    )
    lifecycle.finish(study, trial, lifecycle.Outcome(TrialState.FAIL, fail_reason=reason))
    return trial.number
