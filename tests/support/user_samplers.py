"""A user's sampler written for Optuna (no to_config), importable by reference."""

from __future__ import annotations

from typing import Any

import hpo_queue as hq


class HalfRandomSampler(hq.samplers.BaseSampler):
    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: Any) -> Any:
        return distribution.low + (distribution.high - distribution.low) * self.scale * 0.5
