"""CPU time of get_param_importances (fANOVA, 64 trees) for studies of several sizes.

A random-sampled study of five float parameters, f = sum((i + 1) * x_i), for each size.

Usage:
    python benchmarks/importance_cost.py [--trials 100 500 3000]
"""

from __future__ import annotations

import argparse
import time

import hpo_queue as hq


def objective(trial: hq.Trial) -> float:
    return sum(trial.suggest_float(f"x{i}", 0, 1) * (i + 1) for i in range(5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[100, 500, 3000])
    args = parser.parse_args()
    hq.logging.set_verbosity(hq.logging.WARNING)
    for n_trials in args.trials:
        study = hq.create_study(sampler=hq.samplers.RandomSampler(seed=0))
        study.optimize(objective, n_trials=n_trials)
        start = time.process_time()
        importances = hq.importance.get_param_importances(study)
        seconds = time.process_time() - start
        top = max(importances, key=importances.__getitem__)
        print(f"{n_trials} trials: {seconds:.2f} s CPU (most important: {top})")


if __name__ == "__main__":
    main()
