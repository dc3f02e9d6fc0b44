"""NSGA-II's generations, read from the shared history so that every process agrees.

A trial's generation is chosen at its first sampled suggestion and stored on it as the
system attr ``GENERATION_KEY``. Trials counted: those with a generation that are RUNNING,
WAITING or COMPLETE (a FAIL or PRUNED one leaves its place to be filled again). The new
trial joins the highest generation present if it has fewer than ``population_size`` such
trials, else opens the next one. Counting RUNNING trials makes racing workers fill a
generation rather than all join it; two trials that read the history before either has
stored its generation can both take the last place, so a generation overfills by at most
the number of trials that start at the same moment, minus one.

The parent population of generation g is the elite (:func:`elite`) of generation g-1's
finished trials together with generation g-1's parents: a pure function of the finished
trials of generations below g, memoized per process.

Trials that never asked the sampler (every parameter fixed): a retry of a failed trial
belongs to the failed trial's generation (and takes its place there); another finished
one (an enqueued trial) to the latest generation among lower-numbered trials, the one
being filled when it was created; before any, to generation -1, whose elite are
generation 0's parents, so an AutoSampler study does not restart at random when it
switches to NSGA-II (its earlier trials, chosen by TPE, form generation -1).

Late results: a trial of generation g-1 that finishes after generation g has begun joins
generation g's parents (and so the later ones) from then on; the next suggestion in any
process sees it. Nothing waits for it.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from typing import Any

from hpo_queue.samplers._nsga2._ranking import elite, violation
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState

# Optuna's NSGAIISampler stores the generation under this key too.
GENERATION_KEY = "NSGAIISampler:generation"
_COUNTED = (TrialState.RUNNING, TrialState.WAITING, TrialState.COMPLETE)
_MEMO_ENTRIES = 256


def trial_generation(trial: FrozenTrial) -> int | None:
    """The generation stored on ``trial``, or None."""
    value = trial.system_attrs.get(GENERATION_KEY)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def resolved_generations(history: TrialHistory) -> dict[int, int]:
    """Generation by trial number (see the module docstring); -1: before any generation.

    Unfinished trials that have not asked the sampler yet, and are not retries, have none.
    """
    out: dict[int, int] = {}
    latest = -1
    for t in sorted(history.trials, key=lambda t: t.number):
        generation = trial_generation(t)
        if generation is None:
            retry_of = t.system_attrs.get("retry_of")
            if isinstance(retry_of, int) and retry_of in out:
                generation = out[retry_of]
            elif t.state is TrialState.COMPLETE:
                generation = latest
        if generation is not None:
            out[t.number] = generation
            latest = max(latest, generation)
    return out


def next_generation(history: TrialHistory, trial: FrozenTrial, population_size: int) -> int:
    """The generation a new ``trial`` joins (see the module docstring)."""
    generations = resolved_generations(history)
    retry_of = trial.system_attrs.get("retry_of")
    if isinstance(retry_of, int) and retry_of in generations:  # the failed trial's place
        return max(0, generations[retry_of])
    counts: dict[int, int] = defaultdict(int)
    for t in history.trials:
        generation = generations.get(t.number, -1)
        if t.number != trial.number and t.state in _COUNTED and generation >= 0:
            counts[generation] += 1
    if not counts:
        return 0
    top = max(counts)
    return top if counts[top] < population_size else top + 1


def finished_results(history: TrialHistory) -> list[FrozenTrial]:
    """COMPLETE trials with one finite value per objective, ordered by number."""
    n_values = len(history.directions)
    return [
        t
        for t in history.trials
        if t.state is TrialState.COMPLETE
        and t.values is not None
        and len(t.values) == n_values
        and all(math.isfinite(v) for v in t.values)
    ]


def finished_by_generation(history: TrialHistory, below: int) -> dict[int, list[FrozenTrial]]:
    """:func:`finished_results` of generations below ``below``, by generation (-1 included)."""
    generations = resolved_generations(history)
    out: dict[int, list[FrozenTrial]] = defaultdict(list)
    for t in finished_results(history):
        generation = generations.get(t.number, -1)
        if generation < below:
            out[generation].append(t)
    return out


class ParentPopulations:
    """Parent populations by generation, memoized on what they are computed from.

    The memo key holds the numbers, values and constraint violations of the trials a
    population is chosen from, so a late result (or another study) gives a new key, never
    a stale answer; the memo holds trial numbers only and is bounded.
    """

    def __init__(self, population_size: int) -> None:
        self.population_size = population_size
        self._memo: OrderedDict[tuple[Any, ...], tuple[int, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def parents(self, history: TrialHistory, generation: int) -> list[FrozenTrial]:
        """The parent population of ``generation``, ordered by trial number."""
        finished = finished_by_generation(history, generation)
        by_number = {t.number: t for trials in finished.values() for t in trials}
        parents: list[FrozenTrial] = []
        for g in range(generation + 1):
            candidates = finished.get(g - 1, [])
            if not candidates and not parents:
                continue
            key = (
                tuple(history.directions),
                _signature(candidates),
                _signature(parents),
            )
            with self._lock:
                numbers = self._memo.get(key)
                if numbers is not None:
                    self._memo.move_to_end(key)
            if numbers is None:
                pool = _merge(candidates, parents)
                numbers = tuple(
                    t.number for t in elite(pool, history.directions, self.population_size)
                )
                with self._lock:
                    self._memo[key] = numbers
                    while len(self._memo) > _MEMO_ENTRIES:
                        self._memo.popitem(last=False)
            parents = [by_number[n] for n in numbers]
        return parents


def _merge(a: Sequence[FrozenTrial], b: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    seen = {t.number for t in a}
    return sorted([*a, *(t for t in b if t.number not in seen)], key=lambda t: t.number)


def _signature(trials: Sequence[FrozenTrial]) -> tuple[tuple[Any, ...], ...]:
    return tuple((t.number, tuple(t.values or ()), violation(t)) for t in trials)
