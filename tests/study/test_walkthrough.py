"""The README walkthrough end to end: the CLI creates a study, two processes optimize it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.trial import TrialState

pytestmark = pytest.mark.mysql

FOO = textwrap.dedent(
    """
    import sys
    import hpo_queue as hq

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        # Which processes' trials did the sampler step see? (proves the shared history)
        seen = {t.worker for t in trial._get_history().trials if t.worker}
        trial.set_user_attr("workers_seen", len(seen - {None}))
        return (x - 2) ** 2

    if __name__ == "__main__":
        study = hq.load_study(study_name="distributed-example", storage=sys.argv[1])
        study.optimize(objective, n_trials=int(sys.argv[2]))
    """
)

LOG_LINE = re.compile(
    r"^\[I \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] Trial (\d+) finished with value: \S+ and "
    r"parameters: \{'x': \S+\}\. Best is trial (\d+) with value: \S+\.$"
)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hpo_queue", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_two_processes_share_one_study(mysql_url: str, tmp_path: Path) -> None:
    created = _cli("create-study", "--study-name", "distributed-example", "--storage", mysql_url)
    assert created.returncode == 0, created.stderr
    assert created.stdout == "distributed-example\n"
    assert "A new study created with name: distributed-example" in created.stderr

    script = tmp_path / "foo.py"
    script.write_text(FOO)
    n = 40
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), mysql_url, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err

    study = hq.load_study(study_name="distributed-example", storage=mysql_url)
    trials = study.trials
    assert [t.number for t in trials] == list(range(2 * n))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    workers = {t.worker for t in trials}
    assert len(workers) == 2
    # Each process's later trials were sampled from a history holding the other's trials.
    for worker in workers:
        late = [t for t in trials if t.worker == worker][-5:]
        assert all(t.user_attrs["workers_seen"] == 2 for t in late)

    lines = [line for _, err in outputs for line in err.splitlines() if "finished" in line]
    assert len(lines) == 2 * n
    assert all(LOG_LINE.match(line) for line in lines), lines[:3]
    assert study.best_value < 0.5


def test_killed_process_leaves_no_trial_running(mysql_url: str, tmp_path: Path) -> None:
    # The lease is the study's: 1.5 s, whatever each process's own settings say.
    hq.create_study(
        study_name="distributed-example",
        storage=mysql_url,
        max_trials=12,
        settings=hq.Settings(heartbeat_interval=0.2, heartbeat_grace=1.5),
    )
    hang = tmp_path / "hang.py"
    hang.write_text(
        textwrap.dedent(
            """
            import sys, time
            import hpo_queue as hq

            def objective(trial):
                trial.suggest_float("x", -10, 10)
                print("started", flush=True)
                time.sleep(600)
                return 0.0

            hq.load_study(study_name="distributed-example", storage=sys.argv[1]).optimize(objective)
            """
        )
    )
    env = {**os.environ, "HPO_HEARTBEAT_INTERVAL": "0.2", "HPO_HEARTBEAT_GRACE": "1.5"}
    victim = subprocess.Popen(
        [sys.executable, str(hang), mysql_url], stdout=subprocess.PIPE, text=True, env=env
    )
    assert victim.stdout is not None
    assert victim.stdout.readline().strip() == "started"
    watcher = hq.load_study(study_name="distributed-example", storage=mysql_url)
    deadline = time.monotonic() + 10
    while not watcher.trials[0].params and time.monotonic() < deadline:
        time.sleep(0.05)  # parameters reach the store a moment after they are suggested
    killed = watcher.trials[0]
    assert killed.params
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    victim.stdout.close()
    time.sleep(2.0)

    script = tmp_path / "foo.py"
    script.write_text(FOO)
    survivor = subprocess.run(
        [sys.executable, str(script), mysql_url, "100"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert survivor.returncode == 0, survivor.stderr
    assert "presumed dead" in survivor.stderr

    trials = hq.load_study(study_name="distributed-example", storage=mysql_url).trials
    states = [t.state for t in trials]
    assert TrialState.RUNNING not in states
    assert states.count(TrialState.COMPLETE) == 12  # the cap is still reached
    assert trials[0].state == TrialState.FAIL and "presumed dead" in (trials[0].fail_reason or "")
    retry = next(t for t in trials if t.system_attrs.get("retry_of") == 0)
    assert retry.params == killed.params  # the lost work re-ran with the same parameters
