"""HyperbandPruner: several ASHA brackets with different early-stopping rates."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners._base import BasePruner
from hpo_queue.pruners._percentile import check_int, single_direction
from hpo_queue.pruners._successive_halving import asha_should_prune, first_completed_last_step
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory


class HyperbandPruner(BasePruner):
    """Hyperband: each trial runs in one ASHA bracket and competes only within it.

    There are ``n = floor(log_eta(max_resource / min_resource)) + 1`` brackets
    (``eta = reduction_factor``). Bracket ``b`` is a SuccessiveHalvingPruner with
    ``min_early_stopping_rate=b``: the higher ``b``, the later its first rung. A trial's
    bracket is ``crc32(str(number)) mod total_budget`` mapped onto consecutive slices of size
    ``ceil(n * eta**s / (s + 1))`` with ``s = n - 1 - b`` (Optuna's allocation), so aggressive
    brackets get more trials and every worker computes the same bracket from the trial number
    alone. Within a bracket the rule is exactly SuccessiveHalvingPruner's, with only the
    trials of that bracket as competitors.

    Args:
        min_resource: The step that ends rung 0 of the most aggressive bracket.
        max_resource: The largest step a trial reports, or "auto": the last step of the
            earliest COMPLETE trial plus one; nothing is pruned until a trial completes.
        reduction_factor: About one in ``reduction_factor`` trials is promoted at each rung.
        bootstrap_count: As in SuccessiveHalvingPruner; needs an integer ``max_resource``.

    Raises:
        InvalidInputError: On an argument outside its range.
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        self._min_resource = check_int("min_resource", min_resource, minimum=1)
        if max_resource != "auto":
            check_int("max_resource", max_resource, minimum=min_resource)
        self._max_resource = max_resource
        self._reduction_factor = check_int("reduction_factor", reduction_factor, minimum=2)
        self._bootstrap_count = check_int("bootstrap_count", bootstrap_count, minimum=0)
        if bootstrap_count > 0 and max_resource == "auto":
            raise InvalidInputError(
                "bootstrap_count > 0 needs an integer max_resource, not 'auto'."
            )

    def prune(self, history: TrialHistory, trial: FrozenTrial) -> bool:
        """True if ``trial``'s latest report crosses a rung of its bracket where it loses.

        Raises:
            InvalidInputError: If the study is multi-objective.
        """
        direction = single_direction(history, type(self).__name__)
        budgets = self._bracket_budgets(history)
        if budgets is None:
            return False
        bracket = _bracket_of(trial.number, budgets)
        return asha_should_prune(
            trial,
            direction,
            _in_bracket(history.trials, bracket, budgets),
            first_rung_step=self._min_resource * self._reduction_factor**bracket,
            reduction_factor=self._reduction_factor,
            bootstrap_count=self._bootstrap_count,
        )

    def bracket_of(self, history: TrialHistory, trial_number: int) -> int | None:
        """The bracket of trial ``trial_number``, or None while ``max_resource`` is unknown."""
        budgets = self._bracket_budgets(history)
        return None if budgets is None else _bracket_of(trial_number, budgets)

    def _bracket_budgets(self, history: TrialHistory) -> list[int] | None:
        """How many hash slots each bracket gets, bracket 0 first (None: not yet known)."""
        if isinstance(self._max_resource, int):
            max_resource = self._max_resource
        else:
            last_step = first_completed_last_step(history)
            if last_step is None:
                return None
            max_resource = last_step + 1
        eta = self._reduction_factor
        n_brackets = 1
        while self._min_resource * eta**n_brackets <= max_resource:
            n_brackets += 1
        budgets = []
        for bracket in range(n_brackets):
            s = n_brackets - 1 - bracket
            budgets.append(-(-n_brackets * eta**s // (s + 1)))  # ceiling division
        return budgets

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "HyperbandPruner",
            "min_resource": self._min_resource,
            "max_resource": self._max_resource,
            "reduction_factor": self._reduction_factor,
            "bootstrap_count": self._bootstrap_count,
        }


def _in_bracket(
    trials: Iterable[FrozenTrial], bracket: int, budgets: list[int]
) -> Iterator[FrozenTrial]:
    """The trials of ``bracket``; ``trials`` is first touched when this is first iterated."""
    for t in trials:
        if _bracket_of(t.number, budgets) == bracket:
            yield t


def _bracket_of(trial_number: int, budgets: list[int]) -> int:
    """A stable hash of the trial number, mapped onto the brackets' budget slices."""
    slot = zlib.crc32(str(trial_number).encode()) % sum(budgets)
    for bracket, budget in enumerate(budgets):
        slot -= budget
        if slot < 0:
            return bracket
    raise AssertionError("unreachable: slot < sum(budgets)")
