"""Small known studies the plot tests draw."""

from __future__ import annotations

import hpo_queue as hq

N_TRIALS = 20


def _quiet_optimize(study: hq.Study, objective: object, n_trials: int) -> None:
    hq.logging.set_verbosity(hq.logging.WARNING)
    try:
        study.optimize(objective, n_trials=n_trials)  # type: ignore[arg-type]
    finally:
        hq.logging.set_verbosity(hq.logging.INFO)


def single_objective_study() -> hq.Study:
    """x (linear), lr (log) and c (categorical); every third trial pruned at step 1."""

    def objective(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        c = trial.suggest_categorical("c", ["a", "b"])
        value = x * x + (1.0 if c == "a" else 0.0) + lr
        for step in range(3):
            trial.report(value + 2 - step, step)
            if step == 1 and trial.number % 3 == 2:
                raise hq.TrialPruned()
        return value

    study = hq.create_study(sampler=hq.samplers.RandomSampler(seed=0))
    _quiet_optimize(study, objective, N_TRIALS)
    return study


def multi_objective_study(n_objectives: int = 2) -> hq.Study:
    def objective(trial: hq.Trial) -> tuple[float, ...]:
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        return (x, 1 - x + y, x + y)[:n_objectives]

    study = hq.create_study(
        directions=["minimize"] * n_objectives, sampler=hq.samplers.RandomSampler(seed=1)
    )
    _quiet_optimize(study, objective, N_TRIALS)
    return study


def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether a dominates b when every objective is minimized."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and a != b
