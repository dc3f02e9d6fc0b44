"""Gaussian-process Bayesian optimization (numpy and scipy)."""

from __future__ import annotations

from hpo_queue.samplers._gp._sampler import GPSampler

__all__ = ["GPSampler"]
