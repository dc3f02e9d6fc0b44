"""A small cluster for fault injection: private MariaDB and Redis, real workers, one submit.

``FaultCluster`` starts worker processes (``celery -A hpo_queue.worker worker``) against a
private MariaDB and a private Redis, submits a job with ``hpo-queue submit --wait`` as a
user would, lets a test inject a fault, and checks the promises against the objective's own
log of finished evaluations: exactly the cap COMPLETE, numbers unique and gap-free, nothing
RUNNING or WAITING, no finished result lost, the submit returned with the right exit status,
the other workers alive. Used by tests/faults/ (short runs, in CI) and benchmarks/faults.py
(longer runs, the table in RELIABILITY.md).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hpo_queue as hq
from hpo_queue.settings import Settings
from hpo_queue.study import Study
from hpo_queue.trial import FrozenTrial, TrialState
from tests.support.private_servers import PrivateMariaDB, PrivateRedis, wait_until

OBJECTIVES = textwrap.dedent(
    '''
    """Objectives for fault tests; each finished evaluation is logged before it returns."""
    import json
    import os
    import time

    def _log(trial, value):
        line = json.dumps(
            {"trial": trial.number, "value": value, "pid": os.getpid(), "t": time.time()}
        )
        fd = os.open(os.environ["HQ_FAULT_EVAL_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, (line + "\\n").encode())
        finally:
            os.close(fd)

    def sleepy(trial):
        x = trial.suggest_float("x", -10, 10)
        time.sleep(float(os.environ.get("HQ_FAULT_SLEEP", "0.3")))
        value = (x - 2) ** 2
        _log(trial, value)
        return value

    def huge(trial):
        trial.suggest_float("x", -10, 10)
        return 10 ** 400

    def ignores_soft_limit(trial):
        trial.suggest_float("x", -10, 10)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                time.sleep(0.05)
            except BaseException:  # the soft limit's exception, swallowed
                pass
        return 0.0

    def holds_the_gil(trial):
        x = trial.suggest_float("x", -10, 10)
        sum(range(int(os.environ["HQ_FAULT_GIL_LOOP"])))  # one C call, the GIL held
        value = (x - 2) ** 2
        _log(trial, value)
        return value

    def big_attr(trial):
        trial.suggest_float("x", -10, 10)
        trial.set_user_attr("blob", "x" * 20_000_000)
        return 0.0
    '''
)


@dataclasses.dataclass
class Outcome:
    """What a scenario ended with, and which promise held."""

    name: str
    exit_code: int | None
    submit_output: str
    counts: dict[str, int]
    checks: dict[str, bool]
    notes: list[str]
    seconds: float
    recovery_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return all(self.checks.values())

    def explain(self) -> str:
        failed = [name for name, good in self.checks.items() if not good]
        return (
            f"{self.name}: failed {failed}; counts {self.counts}; exit {self.exit_code}\n"
            + "\n".join(self.notes)
            + f"\n--- submit output\n{self.submit_output[-3000:]}"
        )


class FaultCluster:
    """Private servers, workers and a submitted job for one fault scenario.

    Args:
        workdir: holds the objective module, the evaluation log and the worker logs.
        mariadb: a started private MariaDB (its database ``hq`` is used).
        redis: a started private Redis.
        grace: the study's lease (HPO_HEARTBEAT_GRACE at creation) in seconds.
        interval: the workers' heartbeat interval.
    """

    def __init__(
        self,
        workdir: Path,
        mariadb: PrivateMariaDB,
        redis: PrivateRedis,
        *,
        grace: float = 5.0,
        interval: float = 1.0,
        max_retries: int = 3,
    ) -> None:
        self.workdir = workdir
        self.mariadb = mariadb
        self.redis = redis
        self.grace = grace
        self.interval = interval
        self.max_retries = max_retries
        (workdir / "hq_fault_objectives.py").write_text(OBJECTIVES)
        self.eval_log = workdir / "evaluations.jsonl"
        self.eval_log.touch()
        database = f"hq_{uuid.uuid4().hex[:10]}"
        mariadb.create_database(database)
        self.storage_url = f"mysql://root@127.0.0.1:{mariadb.port}/{database}"
        self.workers: list[subprocess.Popen[bytes]] = []
        self.ended: set[int] = set()  # indexes of workers a scenario stopped on purpose
        self.submit: subprocess.Popen[bytes] | None = None
        self.study_name = f"fault-{uuid.uuid4().hex[:8]}"

    # -- environment -----------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
        env.update(
            HPO_STORAGE_URL=self.storage_url,
            HPO_BROKER_URL=self.redis.url,
            HPO_OBJECTIVE_MODULES="hq_fault_objectives",
            HPO_HEARTBEAT_INTERVAL=str(self.interval),
            HPO_HEARTBEAT_GRACE=str(self.grace),
            HPO_MAX_RETRIES=str(self.max_retries),
            HQ_FAULT_EVAL_LOG=str(self.eval_log),
            PYTHONPATH=os.pathsep.join(
                p for p in (str(self.workdir), os.environ.get("PYTHONPATH", "")) if p
            ),
        )
        env.update(overrides)
        return env

    def settings(self) -> Settings:
        return Settings.load(env={k: v for k, v in self.env().items() if k.startswith("HPO_")})

    # -- workers ---------------------------------------------------------------------------

    def start_worker(
        self,
        concurrency: int = 2,
        *,
        prefix: list[str] | None = None,
        extra: list[str] | None = None,
        **env: str,
    ) -> subprocess.Popen[bytes]:
        index = len(self.workers)
        command = [
            *(prefix or []),
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hpo_queue.worker",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
            "-n",
            f"fault{index}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
            *(extra or []),
        ]
        with open(self.workdir / f"worker-{index}.log", "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=self.env(**env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(process)
        return process

    def wait_for_workers_ready(self, timeout: float = 30.0) -> None:
        def ready() -> bool:
            logs = [
                (self.workdir / f"worker-{i}.log").read_text(errors="replace")
                for i in range(len(self.workers))
                if i not in self.ended
            ]
            return all("ready." in text for text in logs)

        wait_until(ready, timeout, "the workers report ready")

    def pool_pids(self, index: int) -> list[int]:
        """The pool processes of worker ``index`` (children of its main process)."""
        main = self.workers[index].pid
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(main)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def signal_worker(self, index: int, sig: int, *, group: bool = True) -> None:
        process = self.workers[index]
        if group:
            os.killpg(process.pid, sig)
        else:
            os.kill(process.pid, sig)
        if sig in (signal.SIGKILL, signal.SIGQUIT, signal.SIGTERM):
            self.ended.add(index)

    def stop(self) -> None:
        for process in [*self.workers, *([self.submit] if self.submit else [])]:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGCONT)
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in [*self.workers, *([self.submit] if self.submit else [])]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def worker_logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.workdir.glob("worker-*.log"))
        )

    # -- the job ---------------------------------------------------------------------------

    def create_study(self, max_trials: int) -> Study:
        return hq.create_study(
            study_name=self.study_name,
            storage=self.storage_url,
            sampler=hq.samplers.RandomSampler(seed=0),
            max_trials=max_trials,
            settings=self.settings(),
        )

    def start_submit(
        self, n_trials: int, objective: str = "hq_fault_objectives:sleepy", timeout: float = 180
    ) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "hpo_queue",
            "submit",
            "--study-name",
            self.study_name,
            "--objective",
            objective,
            "--n-trials",
            str(n_trials),
            "--wait",
            "--no-progress",
            "--timeout",
            str(timeout),
        ]
        with open(self.workdir / "submit.log", "wb") as log:
            self.submit = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.submit

    def wait_for_submit(self, timeout: float) -> int | None:
        assert self.submit is not None
        try:
            return self.submit.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def submit_output(self) -> str:
        path = self.workdir / "submit.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def evaluations(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.eval_log.read_text().splitlines() if line]

    def wait_for_complete(self, study: Study, n: int, timeout: float = 60) -> None:
        wait_until(
            lambda: (
                study.storage.count_trials_by_state(study.study_id).get(TrialState.COMPLETE, 0) >= n
            ),
            timeout,
            f"{n} trials complete",
        )

    # -- the promises ----------------------------------------------------------------------

    def check(
        self,
        name: str,
        study: Study,
        *,
        cap: int,
        expect_exit: int = 0,
        fault_at: float | None = None,
        started: float,
        lost_pids: set[int] = frozenset(),  # type: ignore[assignment]
        expect_complete: int | None = None,
    ) -> Outcome:
        """Check every promise once the submit has returned; see the module docstring."""
        fresh = hq.load_study(
            study_name=study.study_name, storage=self.storage_url, settings=self.settings()
        )
        trials = fresh.get_trials(deepcopy=False)
        counts: dict[str, int] = {}
        for trial in trials:
            counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
        by_number = {t.number: t for t in trials}
        evaluations = self.evaluations()
        notes: list[str] = []
        lost_results = []
        for evaluation in evaluations:
            trial = by_number.get(evaluation["trial"])
            kept = (
                trial is not None
                and trial.state == TrialState.COMPLETE
                and trial.values == [evaluation["value"]]
            )
            if not kept and evaluation["pid"] not in lost_pids:
                lost_results.append(evaluation)
        if lost_results:
            notes.append(f"finished results not stored as COMPLETE: {lost_results[:5]}")
        unexplained = [
            t.number
            for t in trials
            if t.state == TrialState.COMPLETE
            and not any(e["trial"] == t.number and [e["value"]] == t.values for e in evaluations)
        ]
        alive = [i for i, process in enumerate(self.workers) if i not in self.ended]
        dead = [i for i in alive if self.workers[i].poll() is not None]
        if dead:
            notes.append(f"workers that should be alive exited: {dead}")
        exit_code = self.submit.poll() if self.submit is not None else None
        want_complete = cap if expect_complete is None else expect_complete
        checks = {
            "cap reached exactly": counts.get("COMPLETE", 0) == want_complete,
            "numbers unique and gap-free": sorted(by_number) == list(range(len(trials))),
            "nothing RUNNING or WAITING": not counts.get("RUNNING") and not counts.get("WAITING"),
            "no finished result lost": not lost_results,
            "every COMPLETE value is the objective's": not unexplained,
            "submit returned": exit_code is not None,
            f"submit exit status {expect_exit}": exit_code == expect_exit,
            "other workers alive": not dead,
        }
        recovery = None
        if fault_at is not None:
            recovery = _recovery_seconds(trials, fault_at, study)
        return Outcome(
            name=name,
            exit_code=exit_code,
            submit_output=self.submit_output(),
            counts=counts,
            checks=checks,
            notes=notes,
            seconds=time.monotonic() - started,
            recovery_seconds=recovery,
        )


def _recovery_seconds(trials: list[FrozenTrial], fault_at: float, study: Study) -> float | None:
    """The longest stretch after the fault in which no trial was claimed (store clock).

    ``fault_at`` is the store's clock at the fault, as seconds since the epoch.
    """
    starts = sorted(
        t.datetime_start.timestamp()
        for t in trials
        if t.datetime_start is not None and t.datetime_start.timestamp() >= fault_at - 1
    )
    if not starts:
        return None
    gaps = [starts[0] - fault_at] + [b - a for a, b in itertools.pairwise(starts)]
    return max(gaps)


def store_clock(study: Study) -> float:
    """The store's clock now, as epoch seconds (naive UTC read as UTC... via timestamp())."""
    return study.storage.db_now().timestamp()


def run_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    wait_until(condition, timeout, what)
