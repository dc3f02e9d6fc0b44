"""Pruning across real worker processes: ASHA and Hyperband decide from every worker's reports."""

from __future__ import annotations

from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.pruners import BasePruner, HyperbandPruner, SuccessiveHalvingPruner
from hpo_queue.samplers import TPESampler
from hpo_queue.trial import TrialState
from tests.support.objective_workers import (
    LEARNING_CURVE_SOURCE,
    celery_workers,
    coordinator_settings,
    worker_env,
)
from tests.support.worker_processes import worker_logs

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]

MODULE = "hq_learning_curves"
N_TRIALS = 40
N_STEPS = 30  # LEARNING_CURVE_SOURCE's N_STEPS
OPTIMUM_X = 1.0


@pytest.mark.parametrize(
    "pruner",
    [
        SuccessiveHalvingPruner(),
        HyperbandPruner(min_resource=1, max_resource=N_STEPS),
    ],
    ids=["asha", "hyperband"],
)
def test_four_workers_prune_most_of_40_trials_and_keep_the_optimum(
    pruner: BasePruner, tmp_path: Path, mysql_url: str, redis_url: str
) -> None:
    (tmp_path / f"{MODULE}.py").write_text(LEARNING_CURVE_SOURCE)
    env = worker_env(mysql_url, redis_url, MODULE)
    settings = coordinator_settings(env)
    study = hq.create_study(
        study_name=f"prune-{type(pruner).__name__}",
        storage=settings.storage_url,
        pruner=pruner,
        # A seeded TPE fixes the ten random start-up points (each trial number gets its own
        # stream); unseeded, an unlucky start left Hyperband with 19 of 40 pruned in CI.
        sampler=TPESampler(seed=0),
        max_trials=N_TRIALS,
        settings=settings,
    )
    with celery_workers(tmp_path, env, processes=4):
        job = study.submit(f"{MODULE}:learning_curve", n_trials=N_TRIALS)
        counts = job.wait(timeout=90)
    assert counts.get("COMPLETE", 0) + counts.get("PRUNED", 0) == N_TRIALS, (
        f"{counts}\n{worker_logs(tmp_path)}"
    )

    trials = study.trials
    assert len(trials) == N_TRIALS
    assert len({t.worker for t in trials}) == 4  # four processes shared the work
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(pruned) > N_TRIALS // 2, f"only {len(pruned)} of {N_TRIALS} pruned"
    for trial in pruned:
        last_step = max(trial.intermediate_values)
        assert last_step < N_STEPS  # stopped early...
        assert trial.value == trial.intermediate_values[last_step]  # ...with its last value
    assert all(max(t.intermediate_values) == N_STEPS for t in complete)

    # Pruning only stopped bad trials: the best one is close to the optimum x = 1.
    assert study.best_value < 0.25
    assert abs(study.best_params["x"] - OPTIMUM_X) < 0.5
    steps_used = sum(len(t.intermediate_values) for t in trials)
    assert steps_used < 0.6 * N_TRIALS * N_STEPS
