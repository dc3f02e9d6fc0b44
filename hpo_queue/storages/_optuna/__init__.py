"""Reading a study out of an Optuna RDB store with SQL alone (Optuna need not be installed)."""

from __future__ import annotations

from hpo_queue.storages._optuna.reader import read_optuna_study

__all__ = ["read_optuna_study"]
