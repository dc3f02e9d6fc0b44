"""A two-objective study through real worker processes: best_trials is the right Pareto front.

The problem: minimize f1 = x^2 and f2 = (x - 2)^2 for x in [-1, 3]. Every x in [0, 2] is
Pareto-optimal (moving x lowers one objective only by raising the other); every x outside
is dominated by the nearer end of that interval. The Pareto front is the curve
f2 = (2 - sqrt(f1))^2 for f1 in [0, 4].
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import hpo_queue as hq
from hpo_queue.samplers import TPESampler
from hpo_queue.trial import FrozenTrial, TrialState
from tests.support.objective_workers import celery_workers, coordinator_settings, worker_env
from tests.support.worker_processes import worker_logs

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]

MODULE = "hq_two_objectives"
OBJECTIVES = """\
import time


def two_parabolas(trial):
    x = trial.suggest_float("x", -1.0, 3.0)
    time.sleep(0.01)
    return x * x, (x - 2.0) ** 2
"""
N_TRIALS = 48


def _dominates(a: FrozenTrial, b: FrozenTrial) -> bool:
    assert a.values is not None and b.values is not None
    return all(p <= q for p, q in zip(a.values, b.values, strict=True)) and any(
        p < q for p, q in zip(a.values, b.values, strict=True)
    )


def test_pareto_front_of_two_parabolas_from_four_workers(
    tmp_path: Path, mysql_url: str, redis_url: str
) -> None:
    (tmp_path / f"{MODULE}.py").write_text(OBJECTIVES)
    env = worker_env(mysql_url, redis_url, MODULE)
    settings = coordinator_settings(env)
    study = hq.create_study(
        study_name="two-parabolas",
        storage=settings.storage_url,
        directions=["minimize", "minimize"],
        sampler=TPESampler(seed=1),
        max_trials=N_TRIALS,
        settings=settings,
    )
    with celery_workers(tmp_path, env, processes=4):
        counts = study.submit(f"{MODULE}:two_parabolas", n_trials=N_TRIALS).wait(timeout=90)
    assert counts == {"COMPLETE": N_TRIALS}, f"{counts}\n{worker_logs(tmp_path)}"

    trials = study.get_trials(states=[TrialState.COMPLETE])
    assert len({t.worker for t in trials}) == 4
    front = study.best_trials

    # best_trials is exactly the non-dominated subset, computed the slow, obvious way.
    expected = {t.number for t in trials if not any(_dominates(o, t) for o in trials)}
    assert {t.number for t in front} == expected
    # Every sampled point of the true front is on it, and nothing far from it is.
    assert {t.number for t in trials if 0.0 <= t.params["x"] <= 2.0} <= expected
    for trial in front:
        assert -0.35 <= trial.params["x"] <= 2.35
        assert trial.values is not None
        f1, f2 = trial.values
        # On the true front sqrt(f1) + sqrt(f2) = 2; off it (x < 0 or x > 2) it is larger.
        assert math.sqrt(f1) + math.sqrt(f2) - 2.0 < 0.7

    # The front covers the true front from end to end, without large holes.
    xs = np.sort([t.params["x"] for t in front])
    assert len(xs) >= 10
    assert xs[0] < 0.3 and xs[-1] > 1.7
    assert float(np.max(np.diff(xs))) < 0.75
