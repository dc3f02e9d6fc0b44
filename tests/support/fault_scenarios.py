"""The faults of the reliability promise, one function each: set up, inject, check.

Each scenario takes a fresh :class:`FaultCluster` and returns its :class:`Outcome`. The
short suite (tests/faults/) runs each once; benchmarks/faults.py runs them repeatedly and
writes the table in RELIABILITY.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

from hpo_queue.broker import app_for
from hpo_queue.broker.wakeups import send_wakeups
from hpo_queue.trial import TrialState
from tests.support.fault_cluster import FaultCluster, Outcome, store_clock
from tests.support.private_servers import wait_until

CAP = 24
# How long a scenario may take past its fault before the submit must have returned.
SUBMIT_TIMEOUT = 150.0

Scenario = Callable[[FaultCluster], Outcome]


def _two_workers(cluster: FaultCluster, **env: str) -> None:
    cluster.start_worker(2, **env)
    cluster.start_worker(2, **env)
    cluster.wait_for_workers_ready()


def _finish(cluster: FaultCluster, name: str, study: Any, started: float, **check: Any) -> Outcome:
    cluster.wait_for_submit(SUBMIT_TIMEOUT)
    return cluster.check(name, study, started=started, **check)


def _fault_mid_run(
    cluster: FaultCluster,
    name: str,
    inject: Callable[[], set[int]],
    *,
    complete_before: int,
    cap: int = CAP,
    **worker_env: str,
) -> Outcome:
    """Two workers run a job of ``cap`` trials; once ``complete_before`` are COMPLETE,
    ``inject()`` the fault, which returns the pids whose finished evaluations may be lost
    with them; then check the promise."""
    study = cluster.create_study(cap)
    _two_workers(cluster, **worker_env)
    started = time.monotonic()
    cluster.start_submit(cap)
    cluster.wait_for_complete(study, complete_before)
    fault_at = store_clock(study)
    lost = inject()
    return _finish(cluster, name, study, started, cap=cap, fault_at=fault_at, lost_pids=lost)


def _whole_worker(cluster: FaultCluster, index: int) -> set[int]:
    return {cluster.workers[index].pid, *cluster.pool_pids(index)}


def node_lost(cluster: FaultCluster) -> Outcome:
    """A whole worker node dies: kill -9 of its process group while it runs trials."""

    def inject() -> set[int]:
        lost = _whole_worker(cluster, 0)
        cluster.signal_worker(0, signal.SIGKILL)
        return lost

    return _fault_mid_run(cluster, "node lost (kill -9)", inject, complete_before=6)


def _signal_a_pool_process(cluster: FaultCluster, sig: str) -> Callable[[], set[int]]:
    def inject() -> set[int]:
        victim = cluster.pool_pids(0)[0]
        subprocess.run(["kill", f"-{sig}", str(victim)], check=False)
        return {victim}

    return inject


def pool_process_killed(cluster: FaultCluster) -> Outcome:
    """kill -9 of one pool process while it runs a trial."""
    inject = _signal_a_pool_process(cluster, "KILL")
    return _fault_mid_run(cluster, "pool process killed (kill -9)", inject, complete_before=4)


def pool_process_terminated(cluster: FaultCluster) -> Outcome:
    """SIGTERM to one pool process, as systemd or Kubernetes sends on stop."""
    inject = _signal_a_pool_process(cluster, "TERM")
    return _fault_mid_run(cluster, "SIGTERM to a pool process", inject, complete_before=4)


def warm_shutdown(cluster: FaultCluster) -> Outcome:
    """SIGTERM to a worker's main process (systemd stop, Kubernetes eviction): it finishes
    its running trials and exits; the other worker takes the rest."""

    def inject() -> set[int]:
        cluster.signal_worker(0, signal.SIGTERM, group=False)
        return set()

    outcome = _fault_mid_run(
        cluster, "warm shutdown (SIGTERM to a worker)", inject, complete_before=6
    )
    outcome.checks["the stopped worker exited by itself"] = cluster.workers[0].poll() is not None
    return outcome


def cold_shutdown_and_restart(cluster: FaultCluster) -> Outcome:
    """SIGQUIT (a cold shutdown) of one worker, then a new worker in its place."""

    def inject() -> set[int]:
        lost = _whole_worker(cluster, 0)
        cluster.signal_worker(0, signal.SIGQUIT, group=False)
        cluster.workers[0].wait(timeout=30)
        cluster.start_worker(2)
        return lost

    return _fault_mid_run(
        cluster, "cold shutdown (SIGQUIT), then a restart", inject, complete_before=6
    )


def worker_frozen_past_its_lease(cluster: FaultCluster) -> Outcome:
    """SIGSTOP of a whole worker past the lease, then SIGCONT: its late results are refused."""

    def inject() -> set[int]:
        frozen = _whole_worker(cluster, 0)  # a frozen trial's late result is refused, by design
        os.killpg(cluster.workers[0].pid, signal.SIGSTOP)
        time.sleep(cluster.grace * 2)
        os.killpg(cluster.workers[0].pid, signal.SIGCONT)
        return frozen

    return _fault_mid_run(
        cluster, "worker frozen (SIGSTOP) past its lease, resumed", inject, complete_before=4
    )


def redis_restart(downtime: float) -> Scenario:
    def scenario(cluster: FaultCluster) -> Outcome:
        """Redis restarted without persistence: its queued wake-ups are gone."""

        def inject() -> set[int]:
            cluster.redis.kill()
            time.sleep(downtime)
            cluster.redis.start()
            return set()

        name = f"Redis restarted empty (down {downtime:g} s)"
        return _fault_mid_run(cluster, name, inject, complete_before=4)

    scenario.__name__ = f"redis_restart_{str(downtime).replace('.', '_')}s"
    return scenario


def mariadb_outage(downtime: float) -> Scenario:
    def scenario(cluster: FaultCluster) -> Outcome:
        """MariaDB stopped while objectives run; the results that finish meanwhile wait."""

        def inject() -> set[int]:
            cluster.mariadb.stop()
            time.sleep(downtime)
            cluster.mariadb.start()
            return set()

        name = f"MariaDB stopped for {downtime:g} s"
        return _fault_mid_run(
            cluster, name, inject, complete_before=2, cap=12, HQ_FAULT_SLEEP="2.0"
        )

    scenario.__name__ = f"mariadb_outage_{int(downtime)}s"
    return scenario


def copy_of_a_running_message(cluster: FaultCluster) -> Outcome:
    """A second copy of the wake-up whose trial is running (a redelivery past the timeout)."""
    study = cluster.create_study(8)
    _two_workers(cluster, HQ_FAULT_SLEEP="1.5")
    started = time.monotonic()
    cluster.start_submit(8)
    wait_until(
        lambda: study.storage.count_trials_by_state(study.study_id).get(TrialState.RUNNING, 0) > 0,
        30,
        "a trial runs",
    )
    running = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING]
    job = study.storage.get_job(running[0].job_id or "")
    app = app_for(cluster.settings())
    # Copies of every first delivery (the running trials' among them), and a few more.
    originals = [f"{job.job_id}-{i:06d}" for i in range(job.n_trials)]
    send_wakeups(app, study.study_name, job, len(originals), task_ids=originals)
    send_wakeups(app, study.study_name, job, 3)
    return _finish(cluster, "copies of a running trial's message", study, started, cap=8)


def result_too_large_for_a_float(cluster: FaultCluster) -> Outcome:
    """An objective returns the int 10**400: a FAIL that says why, nothing left RUNNING."""
    study = cluster.create_study(4)
    _two_workers(cluster)
    started = time.monotonic()
    cluster.start_submit(4, "hq_fault_objectives:huge")
    outcome = _finish(
        cluster, "objective returns 10**400", study, started, cap=4, expect_exit=1,
        expect_complete=0,
    )  # fmt: skip
    reasons = [t.fail_reason or "" for t in study.get_trials(deepcopy=False)]
    outcome.checks["each FAIL says the number is too large"] = bool(reasons) and all(
        "too large for a float" in r for r in reasons
    )
    return outcome


def hard_time_limit(cluster: FaultCluster) -> Outcome:
    """An objective ignores the soft time limit and is killed at the hard one."""
    study = cluster.create_study(2)
    cluster.start_worker(2, extra=["--soft-time-limit=1", "--time-limit=3"])
    cluster.wait_for_workers_ready()
    started = time.monotonic()
    cluster.start_submit(2, "hq_fault_objectives:ignores_soft_limit")
    outcome = _finish(
        cluster, "killed at the hard time limit", study, started, cap=2, expect_exit=1,
        expect_complete=0,
    )  # fmt: skip
    trials = study.get_trials(deepcopy=False)
    outcome.checks["FAILed as killed, not re-run as lost work"] = len(trials) == 2 and all(
        t.state == TrialState.FAIL and "hard time limit" in (t.fail_reason or "") for t in trials
    )
    return outcome


def gil_held_past_the_lease(cluster: FaultCluster) -> Outcome:
    """A C call holds the GIL for longer than the lease: the trial is alive, not reaped."""
    study = cluster.create_study(4)
    loops = _loops_for_seconds(cluster.grace * 1.6)
    _two_workers(cluster, HQ_FAULT_GIL_LOOP=str(loops))
    started = time.monotonic()
    cluster.start_submit(4, "hq_fault_objectives:holds_the_gil")
    outcome = _finish(cluster, "the GIL held past the lease", study, started, cap=4)
    outcome.checks["no live trial reaped"] = not any(
        t.state == TrialState.FAIL for t in study.get_trials(deepcopy=False)
    )
    return outcome


def _loops_for_seconds(seconds: float) -> int:
    start = time.perf_counter()
    sum(range(5_000_000))
    per_loop = (time.perf_counter() - start) / 5_000_000
    return int(seconds / per_loop)


def clock_off_by_30_s(cluster: FaultCluster) -> Outcome:
    """One node's clock is 30 s ahead (faketime): leases are judged on the store's clock."""
    study = cluster.create_study(CAP)
    cluster.start_worker(2)
    cluster.start_worker(2, prefix=["faketime", "-f", "+30s"])
    cluster.wait_for_workers_ready()
    started = time.monotonic()
    cluster.start_submit(CAP)
    outcome = _finish(cluster, "one node's clock 30 s ahead", study, started, cap=CAP)
    outcome.checks["no live trial reaped"] = not any(
        t.state == TrialState.FAIL for t in study.get_trials(deepcopy=False)
    )
    return outcome


def heartbeat_settings_differ(cluster: FaultCluster) -> Outcome:
    """Nodes with other heartbeat settings judge a trial by the study's lease, not theirs."""
    study = cluster.create_study(8)
    cluster.start_worker(
        2, HPO_HEARTBEAT_INTERVAL="4", HPO_HEARTBEAT_GRACE="30", HQ_FAULT_SLEEP="3"
    )
    cluster.start_worker(
        2, HPO_HEARTBEAT_INTERVAL="0.5", HPO_HEARTBEAT_GRACE="1", HQ_FAULT_SLEEP="3"
    )
    cluster.wait_for_workers_ready()
    started = time.monotonic()
    cluster.start_submit(8)
    outcome = _finish(cluster, "heartbeat settings differ between nodes", study, started, cap=8)
    outcome.checks["no live trial reaped"] = not any(
        t.state == TrialState.FAIL for t in study.get_trials(deepcopy=False)
    )
    return outcome


def wrong_or_unreachable_store(cluster: FaultCluster) -> Outcome:
    """Workers with a wrong or unreachable store fail at start; a healthy one runs the job."""
    study = cluster.create_study(6)
    port = cluster.mariadb.port
    wrong = cluster.start_worker(
        1, HPO_STORAGE_URL=f"mysql://root@127.0.0.1:{port}/no_such_database"
    )
    unreachable = cluster.start_worker(1, HPO_STORAGE_URL="mysql://root@127.0.0.1:1/hq")
    for index in (0, 1):
        cluster.ended.add(index)
    exits = []
    for process in (wrong, unreachable):
        try:
            exits.append(process.wait(timeout=60))
        except subprocess.TimeoutExpired:
            exits.append(None)
    cluster.start_worker(2)
    cluster.wait_for_workers_ready()
    started = time.monotonic()
    cluster.start_submit(6)
    outcome = _finish(cluster, "a worker with a wrong or unreachable store", study, started, cap=6)
    logs = [(cluster.workdir / f"worker-{i}.log").read_text(errors="replace") for i in (0, 1)]
    outcome.checks["bad workers exited at start"] = all(code not in (None, 0) for code in exits)
    outcome.checks["with one clear line"] = all("cannot use the store" in log for log in logs)
    return outcome


def attr_over_the_packet_limit(cluster: FaultCluster) -> Outcome:
    """A 20 MB user attr: a named error on the trial, not a store outage retried."""
    study = cluster.create_study(2)
    cluster.start_worker(2)
    cluster.wait_for_workers_ready()
    started = time.monotonic()
    cluster.start_submit(2, "hq_fault_objectives:big_attr")
    outcome = _finish(
        cluster, "a 20 MB user attr", study, started, cap=2, expect_exit=1, expect_complete=0
    )
    trials = study.get_trials(deepcopy=False)
    outcome.checks["FAILed with the size named, not retried"] = len(trials) == 2 and all(
        t.state == TrialState.FAIL and "too large" in (t.fail_reason or "") for t in trials
    )
    return outcome


def bursts_racing_for_the_cap(cluster: FaultCluster) -> Outcome:
    """Two submits of 60 trials each race for a cap of 50."""
    study = cluster.create_study(50)
    _two_workers(cluster, HQ_FAULT_SLEEP="0.05")
    started = time.monotonic()
    first = cluster.start_submit(60)
    cluster.submit = None
    second = cluster.start_submit(60)
    first.wait(timeout=SUBMIT_TIMEOUT)
    outcome = _finish(cluster, "two bursts racing for the cap", study, started, cap=50)
    outcome.checks["the first submit returned 0 too"] = first.returncode == 0
    del second
    return outcome


SHORT: list[Scenario] = [
    node_lost,
    pool_process_terminated,
    warm_shutdown,
    cold_shutdown_and_restart,
    redis_restart(5.0),
    mariadb_outage(10.0),
    copy_of_a_running_message,
    result_too_large_for_a_float,
    hard_time_limit,
    gil_held_past_the_lease,
    clock_off_by_30_s,
    heartbeat_settings_differ,
    wrong_or_unreachable_store,
    attr_over_the_packet_limit,
]

LONG: list[Scenario] = [
    *SHORT,
    pool_process_killed,
    worker_frozen_past_its_lease,
    redis_restart(0.1),
    bursts_racing_for_the_cap,
]
