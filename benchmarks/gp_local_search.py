"""How the default sampler's GP local searches end: L-BFGS-B's evaluations and outcomes.

Runs the default (AutoSampler) through the asynchronous loop of ``sampler_methods.py`` and
records every L-BFGS-B run of the acquisition's local search: its evaluations and how it
stopped. An "ABNORMAL" stop is a line search that found no decrease along a descent
direction, the sign of an acquisition whose value is noisier than its gradient says.

    python benchmarks/gp_local_search.py [--problem 0] [--seeds 2] [--trials 100] [--in-flight 8]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sampler_methods as sm

from hpo_queue.samplers import AutoSampler
from hpo_queue.samplers._gp import _acquisition


class _Recording:
    """Stands in for scipy.optimize in the acquisition module and records each minimize."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.runs: list[tuple[int, str]] = []

    def minimize(self, *args: Any, **kwargs: Any) -> Any:
        result = self.real.minimize(*args, **kwargs)
        message = result.message if isinstance(result.message, str) else str(result.message)
        self.runs.append((int(result.nfev), message.split(":")[0]))
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--problem", type=int, default=0, help="index in sampler_methods")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=8)
    args = parser.parse_args(argv)
    import scipy.optimize

    recording = _Recording(scipy.optimize)
    _acquisition.scipy_optimize = recording  # type: ignore[assignment]
    problem = sm.PROBLEMS[args.problem]
    for seed in range(args.seeds):
        sm.run_ours(AutoSampler(seed=seed), problem, args.trials, seed, args.in_flight)
    evaluations = np.array([n for n, _ in recording.runs])
    outcomes = Counter(m for _, m in recording.runs)
    print(
        f"{problem.name}, {args.seeds} runs of {args.trials} trials: {len(evaluations)} local "
        f"searches, {evaluations.mean():.1f} evaluations each (median {np.median(evaluations):g}, "
        f"max {evaluations.max()}); stopped by: "
        + ", ".join(f"{m} {c}" for m, c in outcomes.most_common())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
