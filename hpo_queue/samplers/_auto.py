"""AutoSampler: the default sampler; picks a method per study and per point of the study's life.

The choice is a pure function of the history (never of process state), so every worker
makes the same one for a given trial, and each trial records it as its ``sampler_method``
system attr (shown by ``hpo-queue trials`` and the dashboard).
"""

from __future__ import annotations

from typing import Any

from hpo_queue.distributions import BaseDistribution, CategoricalDistribution
from hpo_queue.samplers._arguments import check_int
from hpo_queue.samplers._base import SAMPLER_METHOD_KEY, BaseSampler
from hpo_queue.samplers._gp import GPSampler
from hpo_queue.samplers._gp._sampler import halvings_past
from hpo_queue.samplers._nsga2 import NSGAIISampler
from hpo_queue.samplers._random import check_seed
from hpo_queue.samplers._tpe import TPESampler
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory
from hpo_queue.trial._state import TrialState


class AutoSampler(BaseSampler):
    """Chooses, for each new trial, the method that fits the study at that point.

    Single objective:

    * ``"qmc"`` while fewer than ``n_startup_trials`` trials are COMPLETE: scrambled Sobol
      points over the parameters seen so far (spread evenly, even across workers);
    * ``"gp"`` (GPSampler) while the space is small and mostly continuous and the history
      short: at most ``gp_max_dim`` parameters, no conditional ones (every finished trial
      has the same parameters), no more categorical than numeric ones, fewer than
      ``gp_max_trials`` COMPLETE trials and no more PRUNED than COMPLETE ones;
    * ``"tpe"`` (TPESampler) otherwise: conditional, categorical-heavy, high-dimensional,
      pruned-heavy or long studies; and, in the GP phase, every ``tpe_interval``-th trial
      (by number; every other one by default): TPE's density-driven proposals get the GP out
      of a local basin on multimodal problems (Styblinski-Tang, Rosenbrock), where TPE beats
      a GP, while the GP turns keep smooth problems 100-1,000x closer to their optimum
      (chosen on held-out benchmark seeds, see BENCHMARKS.md). With ``gp_thinning_trials``
      set, the GP's share of trials halves at each doubling of the history from there: a
      GP turn costs about the square of the history, a TPE turn its length, so long
      studies cost less, at some regret (off by default; BENCHMARKS.md, "Long studies").

    Several objectives: ``"tpe"`` (multi-objective TPE) until ``nsga2_after_trials``
    trials are COMPLETE, then ``"nsga2"`` (NSGAIISampler, generational), whose cost per trial
    stays small (it grows with the history, not its square).

    Args:
        seed: Makes suggestions reproducible; each trial number gets its own stream.
        n_startup_trials: Quasi-random trials before a model is used.
        gp_max_dim: Most parameters the GP takes.
        gp_max_trials: COMPLETE trials after which TPE takes over from the GP.
        nsga2_after_trials: COMPLETE trials after which NSGA-II takes over (several objectives).
        tpe_interval: In the GP phase, every ``tpe_interval``-th trial (by number) is chosen by
            TPE instead (0: never).
        gp_thinning_trials: COMPLETE trials from which the GP's share of the trials halves
            at each doubling of the history (0, the default: never thinned).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        gp_max_dim: int = 16,
        gp_max_trials: int = 400,
        nsga2_after_trials: int = 500,
        tpe_interval: int = 2,
        gp_thinning_trials: int = 0,
    ) -> None:
        self.seed = check_seed(seed)
        self.n_startup_trials = check_int("n_startup_trials", n_startup_trials, 2)
        self.gp_max_dim = check_int("gp_max_dim", gp_max_dim, 1)
        self.gp_max_trials = check_int("gp_max_trials", gp_max_trials, n_startup_trials)
        self.nsga2_after_trials = check_int("nsga2_after_trials", nsga2_after_trials, 0)
        self.tpe_interval = check_int("tpe_interval", tpe_interval, 0)
        self.gp_thinning_trials = check_int("gp_thinning_trials", gp_thinning_trials, 0)
        self._gp = GPSampler(seed=seed, n_startup_trials=n_startup_trials)
        self._tpe = TPESampler(seed=seed, n_startup_trials=n_startup_trials)
        self._nsga2 = NSGAIISampler(seed=seed)
        # A cache of one pure computation (not state): the last trial's method.
        self._last_choice: tuple[TrialHistory, int, str] | None = None

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "AutoSampler",
            "seed": self.seed,
            "n_startup_trials": self.n_startup_trials,
            "gp_max_dim": self.gp_max_dim,
            "gp_max_trials": self.gp_max_trials,
            "nsga2_after_trials": self.nsga2_after_trials,
            "tpe_interval": self.tpe_interval,
            "gp_thinning_trials": self.gp_thinning_trials,
        }

    def select_method(self, history: TrialHistory, trial: FrozenTrial) -> str:
        """``"qmc"``, ``"gp"``, ``"tpe"`` or ``"nsga2"``: the method for ``trial``."""
        last = self._last_choice
        if last is not None and last[0] is history and last[1] == trial.number:
            return last[2]  # asked again for the same trial: its attrs, space and sampling
        method = self._select_method(history, trial)
        self._last_choice = (history, trial.number, method)
        return method

    def _select_method(self, history: TrialHistory, trial: FrozenTrial) -> str:
        n_complete = n_pruned = 0
        finished: list[FrozenTrial] = []
        for t in history.trials:
            if t.number == trial.number:
                continue
            if t.state is TrialState.COMPLETE:
                n_complete += 1
            elif t.state is TrialState.PRUNED:
                n_pruned += 1
            else:
                continue
            finished.append(t)
        if history.is_multi_objective:
            return "nsga2" if n_complete >= self.nsga2_after_trials else "tpe"
        if n_complete < self.n_startup_trials:
            return "qmc"
        space = self._gp.intersection_space(history, trial)
        n_categorical = sum(isinstance(d, CategoricalDistribution) for d in space.values())
        if (
            not space
            or _has_conditional_params(finished, space)
            or len(space) > self.gp_max_dim
            or n_categorical > len(space) - n_categorical
            or n_complete >= self.gp_max_trials
            or n_pruned > n_complete
        ):
            return "tpe"
        return "gp" if self._is_gp_turn(trial.number, n_complete) else "tpe"

    def _is_gp_turn(self, number: int, n_complete: int) -> bool:
        """Whether trial ``number`` of the GP phase goes to the GP: not every
        ``tpe_interval``-th, and of the rest one in 2^k, k = ``halvings_past(n_complete,
        gp_thinning_trials)`` (0 below the threshold, 1 from it, 2 from twice it, ...).
        """
        interval = self.tpe_interval
        if interval and number % interval == interval - 1:
            return False
        turn = number // interval if interval else number
        return turn % (1 << halvings_past(n_complete, self.gp_thinning_trials)) == 0

    def _sampler(self, history: TrialHistory, trial: FrozenTrial) -> BaseSampler:
        method = self.select_method(history, trial)
        if method in ("qmc", "gp"):
            return self._gp  # GPSampler's own start-up is the Sobol sequence
        return self._nsga2 if method == "nsga2" else self._tpe

    def trial_system_attrs(self, history: TrialHistory, trial: FrozenTrial) -> dict[str, Any]:
        method = self.select_method(history, trial)
        if method == "nsga2":  # NSGA-II records the trial's generation too
            return {**self._nsga2.trial_system_attrs(history, trial), SAMPLER_METHOD_KEY: method}
        if method == "gp":  # and the GP its kernel's fit, which later GP trials reuse
            return {**self._gp.trial_system_attrs(history, trial), SAMPLER_METHOD_KEY: method}
        return {SAMPLER_METHOD_KEY: method}

    def infer_relative_search_space(
        self, history: TrialHistory, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._sampler(history, trial).infer_relative_search_space(history, trial)

    def sample_relative(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        return self._sampler(history, trial).sample_relative(history, trial, search_space)

    def sample_independent(
        self,
        history: TrialHistory,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> Any:
        return self._sampler(history, trial).sample_independent(history, trial, name, distribution)


def _has_conditional_params(
    finished: list[FrozenTrial], space: dict[str, BaseDistribution]
) -> bool:
    """Whether a finished trial has a sampled parameter outside the shared ``space``."""
    shared = space.keys()
    for t in finished:
        extra = t.distributions.keys() - shared
        if extra and any(not t.distributions[name].single() for name in extra):
            return True
    return False
