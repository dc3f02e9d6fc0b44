"""Enqueued points and retries of failed trials, through real worker processes and locally.

Every objective call leaves a file in ``runs/``, so what really ran is counted from the
objective's side, not only from what the store says.
"""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.samplers import RandomSampler
from hpo_queue.study import Study
from hpo_queue.trial import TrialState
from tests.support.objective_workers import celery_workers, coordinator_settings, worker_env
from tests.support.worker_processes import worker_logs

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]

MODULE = "hq_enqueue_objectives"
OBJECTIVES = """\
import os
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def _record_run(trial, x):
    runs = os.path.join(HERE, "runs", trial.study.study_name)
    os.makedirs(runs, exist_ok=True)
    open(os.path.join(runs, f"{x!r}__{trial.number}__{uuid.uuid4().hex}"), "w").close()


def quadratic(trial):
    x = trial.suggest_float("x", -10.0, 10.0)
    _record_run(trial, x)
    time.sleep(0.02)
    return (x - 2.0) ** 2


def fails_first_time_below_zero(trial):
    \"\"\"Raises on the first attempt at a negative x (across all processes), then succeeds.\"\"\"
    x = trial.suggest_float("x", -10.0, 10.0)
    _record_run(trial, x)
    if x < 0:
        seen = os.path.join(HERE, "seen", trial.study.study_name)
        os.makedirs(seen, exist_ok=True)
        try:
            os.close(os.open(os.path.join(seen, repr(x)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            pass
        else:
            raise RuntimeError(f"first attempt at x={x} fails")
    return x * x
"""
N_ENQUEUED = 30
N_TASKS = 60
FLAKY_POINTS = [-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0]  # the four negative ones fail once


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Holds the objective module; importable in this process too, for the local run."""
    (tmp_path / f"{MODULE}.py").write_text(OBJECTIVES)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop(MODULE, None)


def runs_by_x(workdir: Path, study: Study) -> Counter[float]:
    """How often the objective really ran at each x, from the files it left."""
    folder = workdir / "runs" / study.study_name
    return Counter(float(path.name.split("__")[0]) for path in folder.iterdir())


def test_enqueued_points_run_first_and_exactly_once_under_8_racing_processes(
    workdir: Path, mysql_url: str, redis_url: str
) -> None:
    env = worker_env(mysql_url, redis_url, MODULE)
    settings = coordinator_settings(env)
    study = hq.create_study(
        study_name="enqueue-race",
        storage=settings.storage_url,
        sampler=RandomSampler(seed=0),
        settings=settings,
    )
    points = [round(-7.25 + 0.5 * i, 2) for i in range(N_ENQUEUED)]
    for x in points:
        study.enqueue_trial({"x": x})
    # Two commands of four prefork processes each: eight processes race for the queue.
    with celery_workers(workdir, env, processes=2, concurrency=4):
        counts = study.submit(f"{MODULE}:quadratic", n_trials=N_TASKS).wait(timeout=90)
    assert counts == {"COMPLETE": N_TASKS}, f"{counts}\n{worker_logs(workdir)}"

    trials = study.trials
    assert len(trials) == N_TASKS
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.worker for t in trials}) >= 6  # the race was real
    enqueued = [t for t in trials if "fixed_params" in t.system_attrs]
    sampled = [t for t in trials if "fixed_params" not in t.system_attrs]
    assert sorted(t.params["x"] for t in enqueued) == points  # each point in one trial
    assert len(sampled) == N_TASKS - N_ENQUEUED
    # Each point ran exactly once (the objective's own record), sampled points once each too.
    runs = runs_by_x(workdir, study)
    assert all(runs[x] == 1 for x in points), runs
    assert sum(runs.values()) == N_TASKS
    # Enqueued points run first: no sampled trial started before the last one was claimed.
    last_enqueued_start = max(t.datetime_start for t in enqueued if t.datetime_start)
    assert all(t.datetime_start and t.datetime_start >= last_enqueued_start for t in sampled)


def _check_each_failure_retried_once(study: Study, runs: Counter[float]) -> None:
    trials = study.trials
    # 8 points + one retry for each of the 4 negative ones; nothing sampled at random.
    assert len(trials) == len(FLAKY_POINTS) + 4
    assert sorted(t.params["x"] for t in trials) == sorted(
        FLAKY_POINTS + [x for x in FLAKY_POINTS if x < 0]
    )
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert sorted(t.params["x"] for t in failed) == [x for x in FLAKY_POINTS if x < 0]
    for fail in failed:
        assert "first attempt" in (fail.fail_reason or "")
        retries = [t for t in trials if t.system_attrs.get("retry_of") == fail.number]
        assert len(retries) == 1
        (retry,) = retries
        assert retry.params == fail.params
        assert retry.system_attrs["retry_count"] == 1
        assert retry.state == TrialState.COMPLETE
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.params["x"] for t in complete) == sorted(FLAKY_POINTS)
    assert runs == Counter({x: 2 if x < 0 else 1 for x in FLAKY_POINTS})


def test_failed_trials_are_retried_once_with_the_same_params_through_workers(
    workdir: Path, mysql_url: str, redis_url: str
) -> None:
    env = worker_env(mysql_url, redis_url, MODULE)
    settings = coordinator_settings(env)
    study = hq.create_study(
        study_name=f"retry-queued-{uuid.uuid4().hex[:6]}",
        storage=settings.storage_url,
        sampler=RandomSampler(seed=0),
        failed_trial_max_retries=1,
        settings=settings,
    )
    for x in FLAKY_POINTS:
        study.enqueue_trial({"x": x})
    with celery_workers(workdir, env, processes=1, concurrency=4):
        job = study.submit(f"{MODULE}:fails_first_time_below_zero", n_trials=len(FLAKY_POINTS))
        counts = job.wait(timeout=60)
    # A task whose trial failed runs the retry (or another queued trial) before it ends.
    assert counts == {"COMPLETE": len(FLAKY_POINTS)}, f"{counts}\n{worker_logs(workdir)}"
    _check_each_failure_retried_once(study, runs_by_x(workdir, study))


def test_failed_trials_are_retried_the_same_way_by_local_optimize(
    workdir: Path, mysql_url: str
) -> None:
    import importlib

    objectives = importlib.import_module(MODULE)
    study = hq.create_study(
        study_name=f"retry-local-{uuid.uuid4().hex[:6]}",
        storage=mysql_url,
        sampler=RandomSampler(seed=0),
        failed_trial_max_retries=1,
    )
    for x in FLAKY_POINTS:
        study.enqueue_trial({"x": x})
    study.optimize(
        objectives.fails_first_time_below_zero,
        n_trials=len(FLAKY_POINTS) + 4,  # retries are trials too
        n_jobs=4,
        catch=(RuntimeError,),
    )
    _check_each_failure_retried_once(study, runs_by_x(workdir, study))
