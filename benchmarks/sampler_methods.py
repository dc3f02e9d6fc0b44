"""Sampler methods benchmark: our GP, CMA-ES, QMC, NSGA-II, TPE and default samplers vs Optuna 5's.

Each run simulates an asynchronous worker pool, as ``sampler_quality.py`` does: ``--in-flight``
trials are always running, a random one of them finishes next, is told, and a new trial is
asked, until ``--trials`` have finished; a RUNNING trial is visible with its params. A run's
score is its regret (best value found minus the known optimum). Six problems: the five of
``sampler_quality.py`` (Branin, Hartmann6, Rosenbrock, Styblinski-Tang, a mixed log/int/
categorical space) and a conditional space.

    pip install -e .[bench]; pip install torch  # Optuna's GPSampler needs torch
    python benchmarks/sampler_methods.py quality [--seeds 20] [--first-seed 0] [--in-flight 8]
        [--samplers "ours GP,Optuna GP"] [--out results.json]
    python benchmarks/sampler_methods.py speed [--sizes 100 500]
    python benchmarks/sampler_methods.py compare results.json [--a "ours default"]
        [--b "Optuna TPE"] [--seeds 40] [--first-seed 0] [--in-flight 8] [--trials 100]
    python benchmarks/sampler_methods.py pareto [--seeds 20] [--first-seed 10] [--in-flight 1 8]
        [--trials 500] [--population 50] [--out pareto.json] [--speed 500 2000 5000]

``pareto`` compares NSGA-II variants on ZDT1 (30-D) and ZDT2 (10-D), two objectives in
[0, 1] boxes: the hypervolume of the finished trials' front (reference point (1.1, 11)) in
the same asynchronous loop, our trials recording their system attrs (the generation) as a
worker's do.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sampler_quality as sq

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.samplers import (
    AutoSampler,
    BaseSampler,
    CmaEsSampler,
    GPSampler,
    NSGAIISampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from hpo_queue.samplers._nsga2 import GENERATION_KEY
from hpo_queue.samplers._random import sample_uniform
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

Suggest = Callable[[str, BaseDistribution], Any]


@dataclass(frozen=True)
class Problem:
    name: str
    objective: Callable[[Suggest], float]
    optimum: float


def _flat(problem: sq.Problem) -> Problem:
    def objective(suggest: Suggest) -> float:
        return problem.func({name: suggest(name, d) for name, d in problem.space.items()})

    return Problem(problem.name, objective, problem.optimum)


def _conditional(suggest: Suggest) -> float:
    # Three model families with their own parameters; only "quadratic" reaches 0.
    kind = suggest("kind", CategoricalDistribution(["quadratic", "log", "int"]))
    if kind == "quadratic":
        x = suggest("q_x", FloatDistribution(-5.0, 5.0))
        y = suggest("q_y", FloatDistribution(-5.0, 5.0))
        return (x - 1.0) ** 2 + (y + 2.0) ** 2
    if kind == "log":
        u = suggest("l_u", FloatDistribution(1e-3, 1e3, log=True))
        return (math.log10(u) - 1.0) ** 2 + 0.5
    n = suggest("i_n", IntDistribution(1, 20))
    w = suggest("i_w", FloatDistribution(0.0, 1.0))
    return ((n - 13) / 4) ** 2 + (w - 0.3) ** 2 + 1.0


PROBLEMS = [_flat(p) for p in sq.PROBLEMS] + [
    Problem("Conditional (3 branches, 1-2 params each)", _conditional, 0.0)
]


def _auto_with_tpe(seed: int, interval: int, multivariate: bool, n_local: int) -> AutoSampler:
    """An AutoSampler variant whose TPE turns use another TPESampler configuration."""
    sampler = AutoSampler(seed=seed, tpe_interval=interval)
    sampler._tpe = TPESampler(seed=seed, multivariate=multivariate, n_local_candidates=n_local)
    return sampler


def _auto_with_gp(seed: int, **kwargs: Any) -> AutoSampler:
    """An AutoSampler variant whose GP turns use another GPSampler configuration."""
    sampler = AutoSampler(seed=seed)
    sampler._gp = GPSampler(seed=seed, **kwargs)
    return sampler


OURS: dict[str, Callable[[int], BaseSampler]] = {
    "ours default": lambda seed: AutoSampler(seed=seed),
    # Variants compared on held-out seeds (BENCHMARKS.md, "Sampler methods").
    "ours default GP only": lambda seed: AutoSampler(seed=seed, tpe_interval=0),
    "ours default tpe/4": lambda seed: AutoSampler(seed=seed, tpe_interval=4),
    "ours default tpe/3": lambda seed: AutoSampler(seed=seed, tpe_interval=3),
    "ours default xtpe/4": lambda seed: _auto_with_tpe(seed, 4, False, 0),
    "ours default xtpe/2": lambda seed: _auto_with_tpe(seed, 2, False, 0),
    "ours default utpe/2": lambda seed: _auto_with_tpe(seed, 2, False, 4),
    "ours default utpe/3": lambda seed: _auto_with_tpe(seed, 3, False, 4),
    # Cheaper GP turns (BENCHMARKS.md, "Cost per suggestion"): fewer local searches, fewer
    # candidates.
    "ours default 3 local": lambda seed: _auto_with_gp(seed, n_local_search=3),
    "ours default 3 local 512": lambda seed: _auto_with_gp(
        seed, n_local_search=3, n_candidates=512
    ),
    # Long studies (BENCHMARKS.md, "Long studies"): the GP's share of the trials halved at
    # each doubling from 100 or 200 trials; TPE alone from 200; every candidate scored.
    "ours default thin 100": lambda seed: AutoSampler(seed=seed, gp_thinning_trials=100),
    "ours default thin 200": lambda seed: AutoSampler(seed=seed, gp_thinning_trials=200),
    "ours default GP to 200": lambda seed: AutoSampler(seed=seed, gp_max_trials=200),
    "ours default all candidates": lambda seed: _auto_with_gp(seed, candidates_halving_trials=0),
    "ours default 512 candidates": lambda seed: _auto_with_gp(seed, n_candidates=512),
    "ours GP": lambda seed: GPSampler(seed=seed),
    # Past the GP's caps (BENCHMARKS.md, "Past the caps"): no subsampled fit; no hand-over.
    "ours GP fit all": lambda seed: GPSampler(seed=seed, max_fit_trials=10**9),
    "ours default GP to 1000": lambda seed: AutoSampler(seed=seed, gp_max_trials=1000),
    "ours GP liar": lambda seed: GPSampler(seed=seed, running_trials="constant_liar"),
    "ours GP ignore": lambda seed: GPSampler(seed=seed, running_trials="ignore"),
    "ours GP refit always": lambda seed: GPSampler(seed=seed, refit_growth=1.0),
    "ours GP refit 1.5": lambda seed: GPSampler(seed=seed, refit_growth=1.5),
    "ours TPE": lambda seed: TPESampler(seed=seed),
    "ours CMA-ES": lambda seed: CmaEsSampler(seed=seed),
    "ours QMC": lambda seed: QMCSampler(seed=seed, scramble=True),
    "ours NSGA-II": lambda seed: NSGAIISampler(seed=seed, population_size=20),
    "ours Random": lambda seed: RandomSampler(seed=seed),
}
OPTUNA = ("Optuna GP", "Optuna TPE", "Optuna CMA-ES", "Optuna Random")


class _OursTrial:
    """What an objective sees, driven the way Trial drives a sampler."""

    def __init__(self, sampler: BaseSampler, history: TrialHistory, number: int) -> None:
        self.sampler, self.history = sampler, history
        self.frozen = FrozenTrial(number=number, state=TrialState.RUNNING)
        self.relative: dict[str, Any] | None = None
        self.space: dict[str, BaseDistribution] = {}
        self.method = ""

    def suggest(self, name: str, dist: BaseDistribution) -> Any:
        if self.relative is None:
            self.space = self.sampler.infer_relative_search_space(self.history, self.frozen)
            attrs = self.sampler.trial_system_attrs(self.history, self.frozen)
            self.method = attrs.get("sampler_method", "")
            self.frozen = replace(self.frozen, system_attrs=dict(attrs))
            self.relative = (
                self.sampler.sample_relative(self.history, self.frozen, self.space)
                if self.space
                else {}
            )
        if name in self.relative and self.space.get(name) == dist:
            value = self.relative[name]
        else:
            value = self.sampler.sample_independent(self.history, self.frozen, name, dist)
        self.frozen = replace(
            self.frozen,
            params={**self.frozen.params, name: value},
            distributions={**self.frozen.distributions, name: dist},
        )
        return value


def run_ours(
    sampler: BaseSampler, problem: Problem, n_trials: int, seed: int, n_in_flight: int
) -> tuple[float, float, dict[str, int]]:
    """(best value, sampler seconds, trials per method) of one async run."""
    order_rng = np.random.default_rng([seed, 999])
    trials: list[FrozenTrial] = []
    values: dict[int, float] = {}
    in_flight: list[int] = []
    methods: dict[str, int] = {}
    clock = 0
    sampler_seconds = 0.0
    finished = 0
    best = math.inf
    epoch = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    while finished < n_trials:
        while len(in_flight) < n_in_flight and len(trials) < n_trials:
            number = len(trials)
            history = TrialHistory((StudyDirection.MINIMIZE,), list(trials))
            trial = _OursTrial(sampler, history, number)
            start = time.perf_counter()
            values[number] = problem.objective(trial.suggest)
            sampler_seconds += time.perf_counter() - start
            methods[trial.method] = methods.get(trial.method, 0) + 1
            trials.append(trial.frozen)
            in_flight.append(number)
        number = in_flight.pop(int(order_rng.integers(len(in_flight))))
        clock += 1
        trials[number] = replace(
            trials[number],
            state=TrialState.COMPLETE,
            values=[values[number]],
            datetime_complete=epoch + datetime.timedelta(seconds=clock),
        )
        best = min(best, values[number])
        finished += 1
    return best, sampler_seconds, methods


def _optuna_sampler(name: str, seed: int) -> Any:
    import optuna

    if name == "Optuna GP":
        return optuna.samplers.GPSampler(seed=seed)
    if name == "Optuna TPE":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "Optuna CMA-ES":
        return optuna.samplers.CmaEsSampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def _to_optuna(dist: BaseDistribution) -> Any:
    import optuna

    if isinstance(dist, CategoricalDistribution):
        return optuna.distributions.CategoricalDistribution(list(dist.choices))
    if isinstance(dist, IntDistribution):
        return optuna.distributions.IntDistribution(
            dist.low, dist.high, log=dist.log, step=dist.step
        )
    return optuna.distributions.FloatDistribution(dist.low, dist.high, log=dist.log, step=dist.step)


def run_optuna(
    name: str, problem: Problem, n_trials: int, seed: int, n_in_flight: int
) -> tuple[float, float, dict[str, int]]:
    """The same async loop on an in-memory Optuna study (ask, suggest at once, tell later)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    study = optuna.create_study(sampler=_optuna_sampler(name, seed))
    order_rng = np.random.default_rng([seed, 999])
    in_flight: list[tuple[Any, float]] = []
    asked = finished = 0
    best = math.inf
    sampler_seconds = 0.0
    while finished < n_trials:
        while len(in_flight) < n_in_flight and asked < n_trials:
            start = time.perf_counter()
            trial = study.ask()

            def suggest(param: str, dist: BaseDistribution, trial: Any = trial) -> Any:
                return trial._suggest(param, _to_optuna(dist))

            value = problem.objective(suggest)
            sampler_seconds += time.perf_counter() - start
            in_flight.append((trial, value))
            asked += 1
        trial, value = in_flight.pop(int(order_rng.integers(len(in_flight))))
        study.tell(trial, value)
        best = min(best, value)
        finished += 1
    return best, sampler_seconds, {}


def _one_run(job: tuple[str, int, int, int, int]) -> dict[str, Any]:
    name, index, seed, n_trials, n_in_flight = job
    problem = PROBLEMS[index]
    if name in OURS:
        best, seconds, methods = run_ours(OURS[name](seed), problem, n_trials, seed, n_in_flight)
    else:
        best, seconds, methods = run_optuna(name, problem, n_trials, seed, n_in_flight)
    return {
        "sampler": name,
        "problem": index,
        "seed": seed,
        "in_flight": n_in_flight,
        "trials": n_trials,
        "regret": best - problem.optimum,
        "seconds": seconds,
        "methods": methods,
    }


def run_resumable(
    jobs: list[Any],
    run: Callable[[Any], dict[str, Any]],
    out: str | None,
    n_processes: int,
    *,
    job_key: Callable[[Any], tuple[Any, ...]],
    result_key: Callable[[dict[str, Any]], tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """Every result: those already in ``out`` and those of the jobs not there yet, run in
    ``n_processes`` processes and saved to ``out`` after each one (so a stopped run resumes)."""
    results: list[dict[str, Any]] = []
    if out and Path(out).exists():
        results = json.loads(Path(out).read_text())
    done = {result_key(r) for r in results}
    todo = [j for j in jobs if job_key(j) not in done]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=n_processes) as pool:
        for result in pool.map(run, todo):
            results.append(result)
            if out:
                Path(out).write_text(json.dumps(results))
    print(f"{len(todo)} runs in {time.perf_counter() - start:.0f} s")
    return results


def quality(args: argparse.Namespace) -> None:
    names = [s.strip() for s in args.samplers.split(",")]
    for name in names:
        if name not in OURS and name not in OPTUNA:
            raise SystemExit(f"unknown sampler {name!r}; known: {', '.join([*OURS, *OPTUNA])}")
    problems = range(len(PROBLEMS)) if args.problems is None else args.problems
    jobs = [
        (name, p, seed, args.trials, args.in_flight)
        for p in problems
        for seed in range(args.first_seed, args.first_seed + args.seeds)
        for name in names
    ]
    results = run_resumable(
        jobs,
        _one_run,
        args.out,
        args.jobs,
        job_key=lambda j: (j[0], j[1], j[2], j[4], j[3]),
        result_key=lambda r: (r["sampler"], r["problem"], r["seed"], r["in_flight"], _trials(r)),
    )
    print(table(results, names, args.first_seed, args.seeds, args.in_flight, args.trials))


def _trials(result: dict[str, Any]) -> int:
    """A result's trial count. Files saved before c02d409 did not record it and are read as
    100-trial runs, which is wrong for those made with ``--trials 500``: re-run those."""
    return int(result.get("trials", 100))


def table(
    results: list[dict[str, Any]],
    names: list[str],
    first_seed: int,
    n_seeds: int,
    in_flight: int,
    n_trials: int = 100,
) -> str:
    """Median regret per problem and sampler (markdown), plus mean sampler ms per trial."""
    seeds = range(first_seed, first_seed + n_seeds)
    results = [r for r in results if _trials(r) == n_trials]
    lines = ["| Function | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for index, problem in enumerate(PROBLEMS):
        cells = []
        for name in names:
            regrets = [
                r["regret"]
                for r in results
                if r["sampler"] == name
                and r["problem"] == index
                and r["seed"] in seeds
                and r["in_flight"] == in_flight
            ]
            cells.append(f"{np.median(regrets):.3g}" if regrets else "-")
        lines.append(f"| {problem.name} | " + " | ".join(cells) + " |")
    cells = []
    for name in names:
        runs = [
            r
            for r in results
            if r["sampler"] == name and r["seed"] in seeds and r["in_flight"] == in_flight
        ]
        ms = 1000 * sum(r["seconds"] for r in runs) / max(1, n_trials * len(runs))
        cells.append(f"{ms:.1f}" if runs else "-")
    lines.append("| sampler ms per trial (mean) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _history(space: dict[str, BaseDistribution], n: int, n_running: int) -> list[FrozenTrial]:
    rng = np.random.default_rng(0)
    func = sq.PROBLEMS[4].func if "optimizer" in space else sq.PROBLEMS[1].func
    trials = []
    for i in range(n + n_running):
        params = {k: sample_uniform(rng, d) for k, d in space.items()}
        done = i < n
        trials.append(
            FrozenTrial(
                number=i,
                state=TrialState.COMPLETE if done else TrialState.RUNNING,
                params=params,
                distributions=dict(space),
                values=[func(params)] if done else None,
            )
        )
    return trials


def speed(args: argparse.Namespace) -> None:
    """CPU milliseconds per suggestion (one trial's params) on a random history.

    CPU time of this process (run with one BLAS/torch thread), so that other load on the
    machine does not inflate it; with one thread it is the wall time on an idle core.
    Our samplers are timed twice: on the bare history ("fit": a GP fits its kernel, as the
    first suggestion does and every refit), and with the system attrs of one suggestion
    stored on the newest RUNNING trial ("reuse": a GP finds the kernel fit stored there, as
    it does between refits in a study).
    """
    spaces = {"Hartmann6 (6 floats)": sq.PROBLEMS[1].space, "Mixed (4 kinds)": sq.PROBLEMS[4].space}
    names = [s.strip() for s in args.samplers.split(",")]
    print("| Sampler | space | " + " | ".join(f"{n} trials" for n in args.sizes) + " |")
    print("|---" * (2 + len(args.sizes)) + "|")
    for name in names:
        for label, space in spaces.items():
            cells = []
            for n in args.sizes:
                trials = _history(space, n, 7)
                if name in OURS:
                    _ours_speed(OURS[name](0), space, _history(space, 30, 1), 2)  # imports
                    fit = _ours_speed(OURS[name](0), space, trials, args.repeats)
                    warm = _OursTrial(OURS[name](0), _min_history(trials), len(trials) + 99)
                    for k, d in space.items():
                        warm.suggest(k, d)
                    attrs = warm.frozen.system_attrs
                    stored = [*trials[:-1], replace(trials[-1], system_attrs=attrs)]
                    reuse = _ours_speed(OURS[name](0), space, stored, args.repeats)
                    cells.append(f"{1000 * fit:.1f} fit, {1000 * reuse:.1f} reuse")
                else:
                    times = _optuna_speed(name, space, trials, args.repeats)
                    cells.append(f"{1000 * float(np.median(times)):.1f}")
            print(f"| {name} | {label} | " + " | ".join(cells) + " |", flush=True)


def _min_history(trials: list[FrozenTrial]) -> TrialHistory:
    return TrialHistory((StudyDirection.MINIMIZE,), trials)


def _ours_speed(
    sampler: BaseSampler,
    space: dict[str, BaseDistribution],
    trials: list[FrozenTrial],
    repeats: int,
) -> float:
    """Mean CPU seconds of one trial's suggestions, for trial numbers n, n+1, ...

    The mean, not the median: the default alternates GP and TPE trials by number.
    """
    times = []
    for rep in range(repeats):
        history = _min_history(trials)
        start = time.process_time()
        trial = _OursTrial(sampler, history, len(trials) + rep)
        for k, d in space.items():
            trial.suggest(k, d)
        times.append(time.process_time() - start)
    return float(np.mean(times))


def _optuna_speed(
    name: str, space: dict[str, BaseDistribution], trials: list[FrozenTrial], repeats: int
) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    study = optuna.create_study(sampler=_optuna_sampler(name, 0))
    dists = {k: _to_optuna(d) for k, d in space.items()}
    for t in trials:
        if t.state is TrialState.COMPLETE:
            study.add_trial(
                optuna.trial.create_trial(
                    params=dict(t.params), distributions=dists, value=t.values[0]
                )  # type: ignore[index]
            )
        else:
            running = study.ask()
            for k, v in t.params.items():
                running._suggest(k, dists[k])
                del v
    times = []
    for _ in range(repeats):
        start = time.process_time()
        trial = study.ask()
        for k, d in dists.items():
            trial._suggest(k, d)
        times.append(time.process_time() - start)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return times


# -- Pareto: NSGA-II variants on two-objective problems ---------------------------------------


def _zdt(kind: int, dim: int) -> Callable[[Suggest], tuple[float, float]]:
    def objective(suggest: Suggest) -> tuple[float, float]:
        x = [suggest(f"x{i:02d}", FloatDistribution(0.0, 1.0)) for i in range(dim)]
        g = 1.0 + 9.0 * sum(x[1:]) / (dim - 1)
        ratio = x[0] / g
        h = 1.0 - math.sqrt(ratio) if kind == 1 else 1.0 - ratio**2
        return x[0], g * h

    return objective


PARETO_PROBLEMS = {"ZDT1 (30-D)": _zdt(1, 30), "ZDT2 (10-D)": _zdt(2, 10)}
REFERENCE = (1.1, 11.0)
PARETO_OURS = {
    "ours generational": "generational",
    "ours steady-state": "steady_state",
}
PARETO_OPTUNA = "Optuna NSGA-II"


def hypervolume(points: list[tuple[float, float]], reference: tuple[float, float]) -> float:
    """Area dominated by ``points`` (minimized) and bounded by ``reference``."""
    inside = sorted(p for p in points if p[0] < reference[0] and p[1] < reference[1])
    area, best_f2 = 0.0, reference[1]
    for f1, f2 in inside:
        if f2 < best_f2:
            area += (reference[0] - f1) * (best_f2 - f2)
            best_f2 = f2
    return area


def _pareto_run(job: tuple[str, str, int, int, int, int]) -> dict[str, Any]:
    name, problem, seed, n_trials, n_in_flight, population = job
    objective = PARETO_PROBLEMS[problem]
    order_rng = np.random.default_rng([seed, 999])
    start = time.process_time()
    points: list[tuple[float, float]] = []
    if name in PARETO_OURS:
        sampler = NSGAIISampler(seed=seed, population_size=population, survival=PARETO_OURS[name])
        directions = (StudyDirection.MINIMIZE, StudyDirection.MINIMIZE)
        trials: list[FrozenTrial] = []
        values: dict[int, tuple[float, float]] = {}
        in_flight: list[int] = []
        while len(points) < n_trials:
            while len(in_flight) < n_in_flight and len(trials) < n_trials:
                number = len(trials)
                trial = _OursTrial(sampler, TrialHistory(directions, list(trials)), number)
                values[number] = objective(trial.suggest)
                trials.append(trial.frozen)
                in_flight.append(number)
            number = in_flight.pop(int(order_rng.integers(len(in_flight))))
            trials[number] = replace(
                trials[number], state=TrialState.COMPLETE, values=list(values[number])
            )
            points.append(values[number])
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.simplefilter("ignore")
        study = optuna.create_study(
            directions=["minimize", "minimize"],
            sampler=optuna.samplers.NSGAIISampler(population_size=population, seed=seed),
        )
        pending: list[tuple[Any, tuple[float, float]]] = []
        asked = 0
        while len(points) < n_trials:
            while len(pending) < n_in_flight and asked < n_trials:
                trial = study.ask()

                def suggest(param: str, dist: BaseDistribution, trial: Any = trial) -> Any:
                    return trial._suggest(param, _to_optuna(dist))

                pending.append((trial, objective(suggest)))
                asked += 1
            trial, value = pending.pop(int(order_rng.integers(len(pending))))
            study.tell(trial, list(value))
            points.append(value)
    return {
        "sampler": name,
        "problem": problem,
        "seed": seed,
        "in_flight": n_in_flight,
        "trials": n_trials,
        "population": population,
        "hypervolume": hypervolume(points, REFERENCE),
        "seconds": time.process_time() - start,
    }


def pareto(args: argparse.Namespace) -> None:
    if args.speed:
        pareto_speed(args.speed, args.population)
        return
    names = [s.strip() for s in args.samplers.split(",")]
    for name in names:
        if name not in PARETO_OURS and name != PARETO_OPTUNA:
            known = ", ".join([*PARETO_OURS, PARETO_OPTUNA])
            raise SystemExit(f"unknown sampler {name!r}; known: {known}")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [
        (name, problem, seed, args.trials, k, args.population)
        for k in args.in_flight
        for problem in PARETO_PROBLEMS
        for seed in seeds
        for name in names
    ]
    results = run_resumable(
        jobs,
        _pareto_run,
        args.out,
        args.jobs,
        job_key=lambda j: j[:5],
        result_key=lambda r: (r["sampler"], r["problem"], r["seed"], r["trials"], r["in_flight"]),
    )
    print(pareto_table(results, names, seeds, args.in_flight, args.trials))


def pareto_table(
    results: list[dict[str, Any]],
    names: list[str],
    seeds: range,
    in_flight: list[int],
    n_trials: int,
) -> str:
    """Median hypervolume [quartiles] and CPU ms per trial; then the first sampler's wins."""
    runs: dict[tuple[str, str, int], dict[int, dict[str, Any]]] = {}
    for r in results:
        if r["trials"] == n_trials and r["seed"] in seeds:
            runs.setdefault((r["sampler"], r["problem"], r["in_flight"]), {})[r["seed"]] = r
    lines = ["| Problem | in flight | " + " | ".join(names) + " |"]
    lines.append("|---" * (len(names) + 2) + "|")
    wins = ["", f"Seeds where {names[0]} has the larger hypervolume:", ""]
    for k in in_flight:
        for problem in PARETO_PROBLEMS:
            cells = []
            for name in names:
                by_seed = runs.get((name, problem, k), {})
                if not by_seed:
                    cells.append("-")
                    continue
                hv = [r["hypervolume"] for r in by_seed.values()]
                q1, median, q3 = np.percentile(hv, [25, 50, 75])
                ms = 1000 * sum(r["seconds"] for r in by_seed.values()) / (n_trials * len(hv))
                cells.append(f"{median:.3f} [{q1:.3f}, {q3:.3f}], {ms:.1f} ms")
            lines.append(f"| {problem} | {k} | " + " | ".join(cells) + " |")
            first = runs.get((names[0], problem, k), {})
            for other in names[1:]:
                theirs = runs.get((other, problem, k), {})
                common = sorted(set(first) & set(theirs))
                won = sum(first[s]["hypervolume"] > theirs[s]["hypervolume"] for s in common)
                wins.append(f"- {problem}, {k} in flight: {won}/{len(common)} vs {other}")
    return "\n".join(lines + wins)


def pareto_speed(sizes: list[int], population: int) -> None:
    """CPU ms per suggestion of our two survivals on a 10-D ZDT2 history of each size."""
    space = {f"x{i:02d}": FloatDistribution(0.0, 1.0) for i in range(10)}
    directions = (StudyDirection.MINIMIZE, StudyDirection.MINIMIZE)
    print("| survival | " + " | ".join(f"{n} trials" for n in sizes) + " |")
    print("|---" * (len(sizes) + 1) + "|")
    for survival in PARETO_OURS.values():
        cells = []
        for n in sizes:
            rng = np.random.default_rng(0)
            trials = []
            for i in range(n):
                x = rng.random(10)
                g = 1 + 9 * float(x[1:].mean())
                trials.append(
                    FrozenTrial(
                        number=i,
                        state=TrialState.COMPLETE,
                        params={k: float(v) for k, v in zip(space, x, strict=True)},
                        distributions=dict(space),
                        values=[float(x[0]), g * (1 - (float(x[0]) / g) ** 2)],
                        system_attrs={GENERATION_KEY: i // population},
                    )
                )
            history = TrialHistory(directions, trials)
            sampler = NSGAIISampler(seed=0, population_size=population, survival=survival)
            times = []
            for rep in range(5):  # the first fills the per-process memo of generations
                start = time.process_time()
                trial = _OursTrial(sampler, history, n + rep)
                for k, d in space.items():
                    trial.suggest(k, d)
                times.append(time.process_time() - start)
            cells.append(f"{1000 * float(np.median(times[1:])):.1f} (first {1000 * times[0]:.0f})")
        print(f"| {survival} | " + " | ".join(cells) + " |", flush=True)


def compare(args: argparse.Namespace) -> None:
    """Two samplers' regrets from a ``quality`` results file, with one-sided rank tests."""
    from scipy import stats

    results = json.loads(Path(args.results).read_text())
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(
        f"| Function | {args.a} median [quartiles] | {args.b} median [quartiles] | "
        f"{args.a} mean | {args.b} mean | p ({args.a} worse) | p ({args.a} better) |"
    )
    print("|---" * 7 + "|")
    printed = 0
    for index, problem in enumerate(PROBLEMS):
        regrets = {}
        for name in (args.a, args.b):
            regrets[name] = np.array(
                [
                    r["regret"]
                    for r in results
                    if r["sampler"] == name
                    and r["problem"] == index
                    and r["seed"] in seeds
                    and r["in_flight"] == args.in_flight
                    and _trials(r) == args.trials
                ]
            )
        if not any(len(v) for v in regrets.values()):
            continue  # a problem the file has no runs of (quality --problems)
        printed += 1
        for name in (args.a, args.b):
            if len(regrets[name]) != len(seeds):
                raise SystemExit(
                    f"{name}: {len(regrets[name])} runs of {problem.name}, not {len(seeds)}"
                )
        a, b = regrets[args.a], regrets[args.b]

        def cell(x: np.ndarray) -> str:
            q1, median, q3 = np.percentile(x, [25, 50, 75])
            return f"{median:.3g} [{q1:.3g}, {q3:.3g}]"

        worse = stats.mannwhitneyu(a, b, alternative="greater").pvalue
        better = stats.mannwhitneyu(a, b, alternative="less").pvalue
        print(
            f"| {problem.name} | {cell(a)} | {cell(b)} | {a.mean():.3g} | {b.mean():.3g} | "
            f"{worse:.2g} | {better:.2g} |"
        )
    if not printed:
        raise SystemExit(
            f"no runs of {args.a!r} or {args.b!r} with {args.trials} trials and "
            f"{args.in_flight} in flight in {args.results}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality", help="median regret per problem and sampler")
    q.add_argument("--seeds", type=int, default=20)
    q.add_argument("--first-seed", type=int, default=0)
    q.add_argument("--trials", type=int, default=100)
    q.add_argument("--in-flight", type=int, default=8)
    q.add_argument("--jobs", type=int, default=2)
    q.add_argument("--problems", type=int, nargs="*", default=None, help="indices (default: all)")
    q.add_argument(
        "--samplers",
        default="ours default,ours GP,ours TPE,ours CMA-ES,ours QMC,ours Random,"
        "Optuna GP,Optuna TPE,Optuna CMA-ES,Optuna Random",
    )
    q.add_argument("--out", help="JSON results file (resumed if it exists)")
    q.set_defaults(handler=quality)
    s = sub.add_parser("speed", help="ms per suggestion on a random history")
    s.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    s.add_argument("--repeats", type=int, default=6)
    s.add_argument(
        "--samplers", default="ours default,ours GP,ours TPE,ours CMA-ES,Optuna GP,Optuna TPE"
    )
    s.set_defaults(handler=speed)
    m = sub.add_parser("pareto", help="NSGA-II hypervolume on ZDT1 and ZDT2")
    m.add_argument("--seeds", type=int, default=20)
    m.add_argument("--first-seed", type=int, default=10)
    m.add_argument("--trials", type=int, default=500)
    m.add_argument("--population", type=int, default=50)
    m.add_argument("--in-flight", type=int, nargs="+", default=[1, 8])
    m.add_argument("--jobs", type=int, default=2)
    m.add_argument("--samplers", default=",".join([*PARETO_OURS, PARETO_OPTUNA]))
    m.add_argument("--out", help="JSON results file (resumed if it exists)")
    m.add_argument("--speed", type=int, nargs="*", help="history sizes: time suggestions instead")
    m.set_defaults(handler=pareto)
    c = sub.add_parser("compare", help="two samplers of a quality results file, rank-tested")
    c.add_argument("results", help="the JSON file of a quality run")
    c.add_argument("--a", default="ours default")
    c.add_argument("--b", default="Optuna TPE")
    c.add_argument("--seeds", type=int, default=40)
    c.add_argument("--first-seed", type=int, default=0)
    c.add_argument("--in-flight", type=int, default=8)
    c.add_argument("--trials", type=int, default=100, help="the runs' length (quality --trials)")
    c.set_defaults(handler=compare)
    args = parser.parse_args(argv)
    args.handler(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
