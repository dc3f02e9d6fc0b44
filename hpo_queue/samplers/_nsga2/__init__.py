"""NSGA-II: a generational multi-objective genetic search computed from the shared history."""

from __future__ import annotations

from hpo_queue.samplers._nsga2._generations import GENERATION_KEY, trial_generation
from hpo_queue.samplers._nsga2._ranking import rank_and_crowding
from hpo_queue.samplers._nsga2._sampler import NSGAIISampler

__all__ = ["GENERATION_KEY", "NSGAIISampler", "rank_and_crowding", "trial_generation"]
