"""Optuna's constructor arguments that hpo-queue accepts only to explain that it does not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hpo_queue.exceptions import UnsupportedArgumentError


def reject_unsupported(
    owner: str, unsupported: Mapping[str, Any], advice: Mapping[str, str]
) -> None:
    """Raise UnsupportedArgumentError for the first keyword in ``unsupported``.

    Args:
        owner: the class or function that received the keywords ("TPESampler").
        unsupported: keywords the signature collected in ``**kwargs``.
        advice: what to do instead, for the keywords Optuna has; other keywords are
            reported as unknown (a typo, or an argument of another library).
    """
    for name in unsupported:
        if name in advice:
            raise UnsupportedArgumentError(f"{owner}({name}=...) is not supported: {advice[name]}")
        known = ", ".join(sorted(advice))
        raise UnsupportedArgumentError(
            f"{owner} got an unknown argument {name!r}"
            + (f" (Optuna arguments it refuses: {known})." if known else ".")
        )
