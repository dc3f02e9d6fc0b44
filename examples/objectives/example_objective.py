"""An example objective for hpo-queue workers: tune a small logistic regression on toy data.

Workers import it as ``example_objective`` (the worker image puts this folder on
PYTHONPATH, and HPO_OBJECTIVE_MODULES=example_objective allows it). Run as a script,
it is the coordinator side: it creates (or loads) a study and submits trials to the workers::

    python -m example_objective --study-name demo --n-trials 40

It needs only numpy, trains for a few milliseconds per trial, and reports the
validation loss after every epoch, so the study's pruner can stop bad trials early.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

import hpo_queue as hq

OBJECTIVE_REF = "example_objective:objective"
N_FEATURES = 12
N_SAMPLES = 600
N_EPOCHS = 20
DATA_SEED = 7  # the same data in every worker, so trials are comparable


def make_dataset(seed: int = DATA_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A noisy, linearly separable binary problem split into train and validation halves."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=N_FEATURES)
    x = rng.normal(size=(N_SAMPLES, N_FEATURES))
    logits = x @ weights + rng.normal(scale=2.0, size=N_SAMPLES)
    y = (logits > 0).astype(np.float64)
    half = N_SAMPLES // 2
    return x[:half], y[:half], x[half:], y[half:]


def log_loss(weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of a logistic model."""
    p = 1.0 / (1.0 + np.exp(-np.clip(x @ weights, -30.0, 30.0)))
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def objective(trial: hq.Trial) -> float:
    """Train with the trial's hyperparameters; return the final validation log-loss.

    Raises:
        hq.TrialPruned: the pruner judged the learning curve hopeless.
    """
    learning_rate = trial.suggest_float("learning_rate", 1e-3, 1.0, log=True)
    l2 = trial.suggest_float("l2", 1e-6, 1e-1, log=True)
    batch_size = trial.suggest_int("batch_size", 16, 128, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "momentum"])

    x_train, y_train, x_valid, y_valid = make_dataset()
    rng = np.random.default_rng(trial.number)
    weights = np.zeros(N_FEATURES)
    velocity = np.zeros(N_FEATURES)
    momentum = 0.9 if optimizer == "momentum" else 0.0
    valid_loss = log_loss(weights, x_valid, y_valid)
    for epoch in range(N_EPOCHS):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            xb, yb = x_train[batch], y_train[batch]
            p = 1.0 / (1.0 + np.exp(-np.clip(xb @ weights, -30.0, 30.0)))
            gradient = xb.T @ (p - yb) / len(batch) + l2 * weights
            velocity = momentum * velocity - learning_rate * gradient
            weights = weights + velocity
        valid_loss = log_loss(weights, x_valid, y_valid)
        trial.report(valid_loss, step=epoch)
        if trial.should_prune():
            raise hq.TrialPruned(f"pruned at epoch {epoch} with validation loss {valid_loss:.4f}")
    return valid_loss


def main(argv: Sequence[str] | None = None) -> int:
    """Create or load a study and submit trials of :func:`objective` to the workers."""
    parser = argparse.ArgumentParser(
        prog="python -m example_objective",
        description="Submit trials of the example objective to hpo-queue workers.",
    )
    parser.add_argument("--study-name", default="example")
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument(
        "--storage", default=None, help="storage URL (default: HPO_STORAGE_URL / HPO_CONFIG)"
    )
    args = parser.parse_args(argv)
    storage = args.storage or hq.Settings.load().storage_url
    if not storage:
        parser.error("no storage: pass --storage or set HPO_STORAGE_URL")
    study = hq.create_study(
        storage=storage, study_name=args.study_name, direction="minimize", load_if_exists=True
    )
    job = study.submit(OBJECTIVE_REF, n_trials=args.n_trials)
    counts = job.wait(progress=True)
    print(f"finished: {counts}")
    try:
        print(f"best value {study.best_value:.4f} with {study.best_params}")
    except hq.exceptions.NoCompletedTrialsError:
        print("no trial completed yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
