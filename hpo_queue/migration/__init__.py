"""Migration: bringing studies written by other tools into an hpo-queue store."""

from __future__ import annotations

from hpo_queue.migration._optuna import import_optuna_study

__all__ = ["import_optuna_study"]
