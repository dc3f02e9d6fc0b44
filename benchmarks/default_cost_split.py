"""Where the default sampler's time goes: wall time per trial in each GP and TPE step.

Runs the default (or another ``sampler_methods.py`` variant) through the asynchronous loop of
``sampler_methods.py`` with timers around the steps of a suggestion, after one untimed
30-trial run (imports, caches). Steps nest: ``maximize`` is inside ``suggest_gp``, and the
local search's evaluations (``Acquisition.value_and_grad``) and candidate scoring
(``Acquisition.value``) inside ``maximize``; ``hyperparameters`` holds the kernel fits
(``fit_theta``). The timers add a little to every figure.

    python benchmarks/default_cost_split.py [--problem 1] [--seeds 4] [--trials 100]
        [--in-flight 8] [--sampler "ours default"]
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sampler_methods as sm

from hpo_queue.samplers._gp import _acquisition, _sampler
from hpo_queue.samplers._tpe import _sampler as tpe_sampler

SECONDS: defaultdict[str, float] = defaultdict(float)
CALLS: Counter[str] = Counter()
LABELS: list[str] = []  # in the order of the table


def _timed(owner: Any, name: str, label: str) -> None:
    """Replaces ``owner.name`` by a wrapper adding its wall time to ``SECONDS[label]``."""
    original = getattr(owner, name)
    LABELS.append(label)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SECONDS[label] += time.perf_counter() - start
            CALLS[label] += 1

    setattr(owner, name, wrapper)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--problem", type=int, default=1, help="index in sampler_methods")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--sampler", default="ours default", choices=sorted(sm.OURS))
    args = parser.parse_args(argv)
    if not 0 <= args.problem < len(sm.PROBLEMS) or min(args.seeds, args.trials) < 1:
        parser.error(f"--problem in 0..{len(sm.PROBLEMS) - 1}; --seeds, --trials >= 1")
    _timed(_sampler, "suggest_gp", "suggest_gp (a GP turn's sampling)")
    _timed(_sampler, "maximize", "  maximize (the acquisition's)")
    _timed(_acquisition.Acquisition, "value_and_grad", "    local search evaluations")
    _timed(_acquisition.Acquisition, "value", "    candidate scoring")
    _timed(_sampler, "_prepare", "  data (encoding the history)")
    _timed(_sampler, "hyperparameters", "hyperparameters (kernel fits)")
    _timed(tpe_sampler.TPESampler, "sample_relative", "TPE turns")
    problem = sm.PROBLEMS[args.problem]
    sm.run_ours(sm.OURS[args.sampler](99), problem, 30, 99, args.in_flight)  # untimed
    SECONDS.clear()
    CALLS.clear()
    total = 0.0
    methods: Counter[str] = Counter()
    for seed in range(args.seeds):
        _, seconds, used = sm.run_ours(
            sm.OURS[args.sampler](seed), problem, args.trials, seed, args.in_flight
        )
        total += seconds
        methods.update(used)
    n = args.seeds * args.trials
    print(f"{args.sampler}, {problem.name}, {args.seeds} runs of {args.trials} trials")
    print(f"methods: {dict(methods)}; sampler ms per trial: {1000 * total / n:.2f}")
    print("| step | ms per trial | calls per run |")
    print("|---|---:|---:|")
    for label in LABELS:
        print(f"| {label} | {1000 * SECONDS[label] / n:.2f} | {CALLS[label] / args.seeds:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
