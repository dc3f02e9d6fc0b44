"""Dashboard page load at 5,000 trials on SQLite: what a browser fetches when it opens a study.

Builds a SQLite study of N trials (4 params, 5 intermediate values each, some pruned and
failed, a few running), starts ``hpo-queue dashboard`` on it, and times, over real HTTP, one
page load: the HTML, the summary and trials JSON, and every plot SVG the page shows,
fetched in parallel as the page's script does. Cold (first load, plots rendered) and warm
(plots unchanged, served from the dashboard's cache) are reported separately.

    python benchmarks/dashboard_page_load.py --trials 5000 [--db /tmp/bench.db]

With ``--db`` the study is built once into that file and reused by later runs.
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import hpo_queue as hq
from hpo_queue import logging as hq_logging
from hpo_queue.visualization._svg import plot_kinds_for


def build(url: str, n_trials: int) -> None:
    hq_logging.set_verbosity(logging.WARNING)
    study = hq.create_study(
        storage=url, study_name="bench", sampler=hq.samplers.RandomSampler(seed=0)
    )
    rng = random.Random(0)

    def objective(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
        trial.suggest_int("layers", 1, 8)
        for step in range(5):
            trial.report(x * x + lr + 1.0 / (step + 1), step)
        if rng.random() < 0.05:
            raise ValueError("diverged")
        if rng.random() < 0.2:
            raise hq.TrialPruned()
        return x * x + lr

    study.optimize(objective, n_trials=n_trials, catch=(ValueError,))
    for _ in range(3):
        study.ask()


def page_urls(base: str, n_objectives: int) -> tuple[str, list[str]]:
    api = f"{base}/api/studies/bench"
    plots = [f"{api}/plots/{kind}.svg" for kind in plot_kinds_for(n_objectives)]
    return f"{base}/studies/bench", [api, f"{api}/trials?limit=100", *plots]


def _timed_get(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
    return time.perf_counter() - start


def load_page(page: str, parts: list[str]) -> tuple[float, dict[str, float]]:
    """The whole load's seconds, and each request's."""
    start = time.perf_counter()
    each = {page: _timed_get(page)}
    with ThreadPoolExecutor(max_workers=6) as pool:  # a browser's connections per host
        each.update(zip(parts, pool.map(_timed_get, parts), strict=True))
    return time.perf_counter() - start, each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", type=Path, help="SQLite file to build once and reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "bench.db"
        url = f"sqlite:///{db.resolve()}"
        if not db.exists():
            started = time.perf_counter()
            build(url, args.trials)
            print(f"built {args.trials} trials in {time.perf_counter() - started:.1f} s")
        log = Path(folder) / "dashboard.log"
        with open(log, "w") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "hpo_queue", "dashboard", "--storage", url, "--port", "0"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            match = None
            while match is None and server.poll() is None:
                time.sleep(0.1)
                match = re.search(r"Dashboard on (http://\S+?)/? ", log.read_text())
            assert match is not None, log.read_text()
            page, parts = page_urls(match.group(1), 1)
            cold, each = load_page(page, parts)
            warm = [load_page(page, parts)[0] for _ in range(args.rounds)]
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{len(parts) + 1} requests per page load ({len(parts) - 2} plots)")
    print(f"cold page load (plots rendered): {cold * 1000:.0f} ms")
    for url, seconds in each.items():
        print(f"  {url.split('/bench', 1)[1] or '/'}: {seconds * 1000:.0f} ms")
    print(
        f"warm page load (plots cached), median of {args.rounds}: "
        f"{statistics.median(warm) * 1000:.0f} ms (min {min(warm) * 1000:.0f}, "
        f"max {max(warm) * 1000:.0f})"
    )


if __name__ == "__main__":
    main()
