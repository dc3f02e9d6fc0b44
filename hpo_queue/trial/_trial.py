"""Trial: what the objective receives; asks the sampler for values and reports progress."""

from __future__ import annotations

import logging
import math
import numbers
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hpo_queue._limits import (
    check_param_name,
    check_report_count,
)
from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalChoice,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
)
from hpo_queue.exceptions import (
    InvalidInputError,
    MultiObjectiveReportError,
    ParameterConflictError,
)
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import TrialHistory

if TYPE_CHECKING:
    import datetime

    from hpo_queue.study._study import Study

_logger = logging.getLogger("hpo_queue.trial")

# Parameters are written this long after a suggestion, so that the usual burst of suggest_*
# calls at the top of an objective costs one write; a trial that ends sooner writes them
# with its result instead. Other workers see a running trial's params after this delay.
PARAM_WRITE_DELAY = 0.05

# Trials of this process whose suggested params are not written yet. Any trial's first
# history read writes them first, so what a sampler sees of this process's own running
# trials never depends on whether a timer has fired (a seeded ask/tell loop repeats exactly).
_unwritten: weakref.WeakSet[Trial] = weakref.WeakSet()
_unwritten_lock = threading.Lock()


def _write_unwritten_params() -> None:
    """Write the pending params of every trial of this process (before a history read)."""
    with _unwritten_lock:
        pending = list(_unwritten)
    for trial in pending:
        trial._write_params()


# Steps are stored as 32-bit integers (MySQL's INT, PostgreSQL's integer).
MAX_REPORT_STEP = 2**31 - 1


class Trial:
    """A running trial, created by ``study.ask()`` or by ``optimize``; Optuna-compatible.

    Parameters are sampled on first request from the study's sampler, with the whole
    shared history (trials running elsewhere included), and written to the store at once.
    """

    def __init__(self, study: Study, frozen: FrozenTrial) -> None:
        self.study = study
        self._frozen = frozen
        self._trial_id = frozen.trial_id
        self.number = frozen.number
        self._params: dict[str, Any] = dict(frozen.params)
        self._distributions: dict[str, BaseDistribution] = dict(frozen.distributions)
        self._user_attrs: dict[str, Any] = dict(frozen.user_attrs)
        self._system_attrs: dict[str, Any] = dict(frozen.system_attrs)
        self._intermediate: dict[int, float] = dict(frozen.intermediate_values)
        self._fixed: dict[str, Any] = dict(frozen.system_attrs.get("fixed_params") or {})
        self._history: TrialHistory | None = None
        self._relative_space: dict[str, BaseDistribution] | None = None
        self._relative_params: dict[str, Any] = {}
        self._write_lock = threading.Lock()
        self._write_timer: threading.Timer | None = None
        self._params_dirty = False

    # -- suggestions -----------------------------------------------------------------------

    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """A float in [low, high]; ``log`` samples on a log scale, ``step`` on a grid."""
        return float(self._suggest(name, FloatDistribution(low, high, log=log, step=step)))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """An integer in [low, high]; ``log`` samples on a log scale, ``step`` on a grid."""
        return int(self._suggest(name, IntDistribution(low, high, log=log, step=step)))

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoice]
    ) -> CategoricalChoice:
        """One of ``choices`` (None, bool, int, float or str)."""
        return self._suggest(name, CategoricalDistribution(choices))

    # Optuna 2.x spellings, still found in many objectives.
    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        return self.suggest_float(name, low, high, step=q)

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if isinstance(name, str) and name in self._params:
            if self._distributions[name] != distribution:
                raise ParameterConflictError(
                    f"Parameter {name!r} was already suggested in trial {self.number} as "
                    f"{self._distributions[name]}; it cannot be suggested again as {distribution}."
                )
            return self._params[name]
        check_param_name(name)  # on a name's first suggestion in the trial only
        history = self._get_history()
        self._check_against_history(name, distribution, history)
        value = self._choose(name, distribution, history)
        with self._write_lock:
            self._params[name] = value
            self._distributions[name] = distribution
            self._params_dirty = True
            # In memory a write costs less than starting the timer thread that batches it.
            write_now = self.study._storage.is_in_memory
            if not write_now and self._write_timer is None:
                self._write_timer = threading.Timer(PARAM_WRITE_DELAY, self._write_params)
                self._write_timer.daemon = True
                self._write_timer.start()
                with _unwritten_lock:
                    _unwritten.add(self)
        if write_now:
            self._write_params()
        return value

    def _write_params(self) -> None:
        """Write the parameters suggested so far (from the delayed-write timer)."""
        with self._write_lock:
            if self._write_timer is not None:
                self._write_timer.cancel()  # when called before the timer fires
            self._write_timer = None
            with _unwritten_lock:
                _unwritten.discard(self)
            if not self._params_dirty:
                return
            self._params_dirty = False
            params, distributions = dict(self._params), dict(self._distributions)
        try:
            self.study._storage.set_trial_params(self._trial_id, params, distributions)
        except Exception as exc:  # they are written with the result in any case
            _logger.warning("Could not store the parameters of trial %d yet: %s", self.number, exc)

    def _take_unwritten_params(
        self,
    ) -> tuple[dict[str, Any], dict[str, BaseDistribution]] | None:
        """Cancel a pending write; the parameters it would write, to store with the result."""
        with self._write_lock:
            if self._write_timer is not None:
                self._write_timer.cancel()
                self._write_timer = None
            with _unwritten_lock:
                _unwritten.discard(self)
            if not self._params and not self._params_dirty:
                return None
            self._params_dirty = False
            return dict(self._params), dict(self._distributions)

    def _choose(self, name: str, distribution: BaseDistribution, history: TrialHistory) -> Any:
        if name in self._fixed:
            try:
                return distribution.validate_value(self._fixed[name])
            except InvalidInputError as exc:
                raise InvalidInputError(
                    f"Fixed value for parameter {name!r} in trial {self.number} does not fit: {exc}"
                ) from None
        if distribution.single():
            return distribution.to_external(
                distribution.low if not isinstance(distribution, CategoricalDistribution) else 0
            )
        sampler = self.study.sampler
        snapshot = None  # one per change of the trial, not one per sampler call
        if self._relative_space is None:
            snapshot = self._snapshot()
            self._relative_space = sampler.infer_relative_search_space(history, snapshot)
            attrs = sampler.trial_system_attrs(history, snapshot)
            if attrs:
                self._set_sampler_attrs(attrs)
                snapshot = self._snapshot()
            if self._relative_space:
                self._relative_params = sampler.sample_relative(
                    history, snapshot, self._relative_space
                )
        if name in self._relative_params and self._relative_space.get(name) == distribution:
            return self._relative_params[name]
        if snapshot is None:
            snapshot = self._snapshot()
        return sampler.sample_independent(history, snapshot, name, distribution)

    def _set_sampler_attrs(self, attrs: dict[str, Any]) -> None:
        """Store what the sampler records on the trial (the method that chose it), in one write."""
        if attrs:
            updated = {**self._system_attrs, **attrs}
            self.study._storage.set_trial_attrs(self._trial_id, "system", updated)
            self._system_attrs = updated

    def _check_against_history(
        self, name: str, distribution: BaseDistribution, history: TrialHistory
    ) -> None:
        # The newest trial that used the name is usually the last one: cheap in practice.
        for other in reversed(history.trials):
            previous = other.distributions.get(name)
            if previous is not None:
                check_compatible(name, previous, distribution)
                return

    def _get_history(self) -> TrialHistory:
        # Read once per trial: its first suggestion sees every trial started before it.
        # Samplers skip the asking trial themselves, so the cached list is passed as is.
        if self._history is None:
            _write_unwritten_params()
            self._history = self.study._history()
        return self._history

    def _snapshot(self) -> FrozenTrial:
        return FrozenTrial(
            number=self.number,
            state=self._frozen.state,
            params=dict(self._params),
            distributions=dict(self._distributions),
            user_attrs=dict(self._user_attrs),
            system_attrs=dict(self._system_attrs),
            intermediate_values=dict(self._intermediate),
            datetime_start=self._frozen.datetime_start,
            trial_id=self._trial_id,
            worker=self._frozen.worker,
        )

    # -- progress and pruning --------------------------------------------------------------

    def report(self, value: float, step: int) -> None:
        """Record an intermediate objective value at ``step`` (visible to every worker)."""
        if len(self.study.directions) > 1:
            raise MultiObjectiveReportError(
                "trial.report is not supported in multi-objective studies (as in Optuna): "
                "return the objective values at the end, or store a curve with "
                "trial.set_user_attr."
            )
        if (
            isinstance(step, bool)
            or not isinstance(step, numbers.Integral)
            or not 0 <= step <= MAX_REPORT_STEP
        ):
            raise InvalidInputError(
                f"step must be an integer from 0 to {MAX_REPORT_STEP}, got {step!r}."
            )
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"The reported value must be a number, got {value!r} of type "
                f"{type(value).__name__}."
            ) from None
        step = int(step)
        if step in self._intermediate:
            _logger.warning(
                "Trial %d already reported a value at step %d; the new one is ignored.",
                self.number,
                step,
            )
            return
        check_report_count(self.number, len(self._intermediate) + 1)
        self._intermediate[step] = value
        self.study._storage.add_intermediate_value(self._trial_id, step, value)

    def should_prune(self) -> bool:
        """Ask the study's pruner, against every worker's reports, whether to stop now."""
        if not self._intermediate:
            return False
        history = self.study._pruning_history(exclude_number=self.number)
        return bool(self.study.pruner.prune(history, self._snapshot()))

    # -- attributes ------------------------------------------------------------------------

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serializable value on the trial."""
        # One key in one transaction (the store checks it): another process's write of
        # another key is kept.
        self.study._storage.set_trial_attr(self._trial_id, "user", key, value)
        self._user_attrs = {**self._user_attrs, key: value}

    def set_system_attr(self, key: str, value: Any) -> None:
        self.study._storage.set_trial_attr(self._trial_id, "system", key, value)
        self._system_attrs = {**self._system_attrs, key: value}

    def set_constraint(self, values: Sequence[float]) -> None:
        """Constraint values for this trial: feasible when every value is <= 0."""
        constraints = [float(v) for v in values]
        if any(math.isnan(c) for c in constraints):
            raise InvalidInputError("Constraint values must not be NaN.")
        self.study._storage.set_trial_attr(self._trial_id, "system", "constraints", constraints)
        self._system_attrs = {**self._system_attrs, "constraints": constraints}

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._system_attrs)

    @property
    def intermediate_values(self) -> dict[int, float]:
        return dict(self._intermediate)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._frozen.datetime_start

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"
