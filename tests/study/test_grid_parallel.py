"""GridSampler across racing processes: every point once, and the study stops when it is used up."""

from __future__ import annotations

import multiprocessing
import time

import pytest

import hpo_queue as hq
from hpo_queue.samplers import GridSampler
from hpo_queue.trial import TrialState

pytestmark = pytest.mark.mysql

GRID = {"x": [-2.0, -1.0, 0.0, 1.0, 2.0], "kind": ["a", "b", "c"]}


def _objective(trial: hq.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    time.sleep(0.1)  # long enough that the grid is not used up before every process started
    return x * x + {"a": 0.0, "b": 1.0, "c": 2.0}[kind]


def _worker(url: str) -> None:
    hq.logging.set_verbosity(hq.logging.WARNING)
    study = hq.load_study(study_name="grid", storage=url)
    study.optimize(_objective)  # no n_trials: runs until the grid is used up


def test_racing_processes_run_each_grid_point_once(mysql_url: str) -> None:
    hq.create_study(study_name="grid", storage=mysql_url, sampler=GridSampler(GRID))
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_worker, args=(mysql_url,)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0  # each stopped by itself once the grid was exhausted
    trials = hq.load_study(study_name="grid", storage=mysql_url).trials
    points = [(t.params["x"], t.params["kind"]) for t in trials]
    assert len(trials) == 15 and len(set(points)) == 15
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.worker for t in trials}) > 1
