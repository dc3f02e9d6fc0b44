"""The Tree-structured Parzen Estimator sampler."""

from __future__ import annotations

from hpo_queue.samplers._tpe._sampler import TPESampler

__all__ = ["TPESampler"]
