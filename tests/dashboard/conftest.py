"""A SQLite storage with real studies for the dashboard tests, and a dashboard server on it."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue import logging as hq_logging

# Every character a URL, HTML or JSON could trip over.
ODD_NAME = "a/b <i>x</i> & \"q\" 'é' 100% ?#"
DEMO_NAME = "demo"
N_TRIALS = 30
# A two-objective study with named objectives and failed trials of two kinds.
PARETO_NAME = "two <b>goals</b>"
METRIC_NAMES = ["loss <l>", "accuracy"]


def _objective(trial: hq.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
    layers = trial.suggest_int("layers", 1, 6)
    value = 0.0
    for step in range(12):
        base = (x - 1.0) ** 2 + abs(math.log10(lr) + 3.0) + (0.5 if optimizer == "sgd" else 0.0)
        value = base + 4.0 / (step + 1) + 0.01 * layers
        trial.report(value, step)
        if trial.should_prune():
            raise hq.TrialPruned()
    return value


def _two_objectives(trial: hq.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_categorical("optimizer", ["sgd", "adam"])
    if x > 0.85:
        raise ValueError("x is too big")
    if x < 0.1:
        raise RuntimeError("CUDA out of memory")
    return (x - 0.3) ** 2, 1.0 - (x - 0.7) ** 2


def build_storage(path: Path) -> str:
    """A SQLite file with two ~30-trial studies (with intermediate values), "demo" and
    ODD_NAME, and a two-objective PARETO_NAME with failed trials."""
    url = f"sqlite:///{path}"
    previous = logging.getLogger(hq_logging.ROOT_LOGGER_NAME).level
    hq_logging.set_verbosity(logging.WARNING)
    try:
        for name, seed in ((DEMO_NAME, 0), (ODD_NAME, 1)):
            study = hq.create_study(
                storage=url,
                study_name=name,
                sampler=hq.samplers.RandomSampler(seed=seed),
                pruner=hq.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
            )
            study.optimize(_objective, n_trials=N_TRIALS)
            # One trial still running, as a worker would leave it.
            trial = study.ask()
            trial.report(3.0, 0)
        pareto = hq.create_study(
            storage=url,
            study_name=PARETO_NAME,
            directions=["minimize", "maximize"],
            sampler=hq.samplers.RandomSampler(seed=2),
        )
        pareto.set_system_attr("study:metric_names", METRIC_NAMES)
        pareto.optimize(_two_objectives, n_trials=N_TRIALS, catch=(ValueError, RuntimeError))
    finally:
        logging.getLogger(hq_logging.ROOT_LOGGER_NAME).setLevel(previous)
    return url


@pytest.fixture(scope="package")
def demo_storage(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_storage(tmp_path_factory.mktemp("dashboard") / "studies.db")


@contextlib.contextmanager
def running_dashboard(
    storage_url: str, log_path: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``hpo-queue dashboard`` in a subprocess on a free port; its base URL.

    The server's output (stdout and stderr) is in ``log_path``.
    """
    command = [sys.executable, "-m", "hpo_queue", "dashboard", "--storage", storage_url]
    command += ["--port", "0", "--refresh", "1", *options]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    try:
        deadline = time.monotonic() + 20
        match = None
        while match is None and process.poll() is None and time.monotonic() < deadline:
            match = re.search(r"Dashboard on (http://\S+?)/? ", log_path.read_text())
            time.sleep(0.05)
        if match is None:
            pytest.fail(f"the dashboard did not start: {log_path.read_text()}", pytrace=False)
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def dashboard_url(demo_storage: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``hpo-queue dashboard`` on 127.0.0.1 in a subprocess on a free port; its base URL."""
    log_path = tmp_path_factory.mktemp("dashboard-log") / "dashboard.log"
    with running_dashboard(demo_storage, log_path) as url:
        yield url
