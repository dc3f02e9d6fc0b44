"""Study: a named optimization in a shared store, and the functions that create and find one."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Container, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hpo_queue._limits import check_param_name, check_report_count, check_trial_attrs
from hpo_queue._user_classes import NOT_PORTABLE_KEY, is_user_reference
from hpo_queue.broker.job import TrialJob
from hpo_queue.broker.submit import submit_trials
from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import (
    ConfigError,
    DuplicatedStudyError,
    InvalidInputError,
    MultiObjectiveError,
    NoCompletedTrialsError,
    SearchSpaceExhausted,
    TrialCapReached,
    TrialNotFoundError,
    TrialStateError,
)
from hpo_queue.logging import configure_from_settings
from hpo_queue.pruners import BasePruner, MedianPruner, pruner_from_config
from hpo_queue.pruners._unavailable import UnavailablePruner
from hpo_queue.samplers import AutoSampler, BaseSampler, sampler_from_config
from hpo_queue.samplers._unavailable import UnavailableSampler
from hpo_queue.settings import Settings
from hpo_queue.storages import (
    BaseStorage,
    ClaimStatus,
    StudyRecord,
    StudySummary,
    TrialSnapshot,
    get_storage,
)
from hpo_queue.storages._validation import dumps_json
from hpo_queue.study import _lifecycle as lifecycle
from hpo_queue.study._constraints import (
    ConstraintsFunc,
    constraints_ref,
    evaluate_constraints,
    resolve_constraints,
)
from hpo_queue.study._dataframe import DEFAULT_ATTRS, trials_dataframe
from hpo_queue.study._pareto import pareto_front
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._history import LazyTrials, TrialHistory
from hpo_queue.trial._state import TrialState
from hpo_queue.trial._trial import Trial

if TYPE_CHECKING:
    from hpo_queue.study._optimize import Callback, Objective

StorageArg = str | BaseStorage | None


class Study:
    """A study: its trials live in the store, so any number of processes can share it.

    Create one with :func:`create_study` or join one with :func:`load_study`.
    """

    def __init__(
        self,
        record: StudyRecord,
        storage: BaseStorage,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
        settings: Settings | None = None,
        constraints_func: ConstraintsFunc | None = None,
    ) -> None:
        self._record = record
        self._storage = storage
        self._study_id = record.study_id
        self.settings = settings or Settings.load()
        self.sampler = sampler or _stored_sampler(record, self.settings)
        self.pruner = pruner or _stored_pruner(record, self.settings)
        configure_from_settings(self.settings)
        self._stop_requested = False
        self._best_logged = lifecycle.BestLogged()
        stored_ref = record.options.get("constraints_func")
        if constraints_func is None and stored_ref:
            constraints_func = resolve_constraints(stored_ref, self.settings.objective_modules)
        self._constraints_func = constraints_func

    @property
    def failed_trial_max_retries(self) -> int:
        """How often a trial whose objective failed is re-run with the same parameters."""
        return int(self._record.options.get("failed_trial_max_retries", 0))

    def _evaluate_constraints(self, frozen: FrozenTrial) -> list[float] | None:
        if self._constraints_func is None:
            return None
        return evaluate_constraints(self._constraints_func, frozen)

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, storage={self._storage.url!r})"

    # -- definition ------------------------------------------------------------------------

    @property
    def study_name(self) -> str:
        return self._record.study_name

    @property
    def study_id(self) -> int:
        return self._study_id

    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._record.directions)

    @property
    def direction(self) -> StudyDirection:
        if len(self._record.directions) > 1:
            raise MultiObjectiveError(
                f"Study {self.study_name!r} has {len(self._record.directions)} directions; "
                "use study.directions instead of study.direction."
            )
        return self._record.directions[0]

    @property
    def lease_seconds(self) -> float:
        """How long a RUNNING trial lives without a lease renewal (stored with the study)."""
        return self._record.lease_seconds

    @property
    def max_trials(self) -> int | None:
        return self._storage.get_study_by_id(self._study_id).max_trials

    @property
    def storage(self) -> BaseStorage:
        return self._storage

    # -- trials ----------------------------------------------------------------------------

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, ordered by number."""
        return self.get_trials()

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Trials ordered by number, optionally only those in ``states``."""
        trials = self._storage.get_trials(self._study_id)
        if states is not None:
            trials = [t for t in trials if t.state in states]
        if deepcopy:
            import copy

            return [copy.deepcopy(t) for t in trials]
        return list(trials)

    def trials_dataframe(
        self,
        attrs: Sequence[str] = DEFAULT_ATTRS,
        multi_index: bool = False,
        *,
        states: Container[TrialState] | None = None,
    ) -> Any:
        """The trials as a pandas DataFrame, one row each, with Optuna's columns.

        ``attrs`` picks the trial attributes (Optuna's default: number, value,
        datetime_start, datetime_complete, duration, params, user_attrs, system_attrs,
        state); dict attributes give one column per key (``params_x``), or a column
        MultiIndex with ``multi_index=True``. ``states`` keeps only trials in those states.
        Needs pandas (``pip install pandas``); :func:`trial_records` gives the same rows as
        plain dicts.
        """
        return trials_dataframe(self, attrs, multi_index, states)

    def _pruning_history(self, exclude_number: int) -> TrialHistory:
        """The history a pruner decides from, read from the store only if the pruner looks."""
        directions = tuple(self._record.directions)
        read: list[TrialSnapshot] = []  # at most one read, shared by both lazy views

        def snapshot() -> TrialSnapshot:
            if not read:
                read.append(self._storage.get_snapshot(self._study_id))
            return read[0]

        def load() -> list[FrozenTrial]:
            return [t for t in snapshot().trials if t.number != exclude_number]

        # The finished log holds no unfinished trial: nothing to exclude from it. A pruner
        # that keeps per-step values (MedianPruner) reads only its new entries.
        return TrialHistory(
            directions, LazyTrials(load), finished_log=LazyTrials(lambda: snapshot().finished_log)
        )

    def _history(self, exclude_number: int | None = None) -> TrialHistory:
        snapshot = self._storage.get_snapshot(self._study_id)
        directions = tuple(self._record.directions)
        if exclude_number is None:
            return TrialHistory(
                directions, snapshot.trials, snapshot.finished_log, snapshot.unfinished
            )
        # Excluding a trial (always an unfinished one) leaves the finished log as it is.
        return TrialHistory(
            directions,
            [t for t in snapshot.trials if t.number != exclude_number],
            snapshot.finished_log,
            [t for t in snapshot.unfinished if t.number != exclude_number],
        )

    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE (and feasible) trial of a single-objective study."""
        if len(self._record.directions) > 1:
            raise MultiObjectiveError(
                f"Study {self.study_name!r} is multi-objective: it has no single best trial; "
                "use study.best_trials (the Pareto front) instead."
            )
        best = self._storage.get_best_trial(self._study_id, self._record.directions[0])
        if best is None:
            raise NoCompletedTrialsError(f"Study {self.study_name!r} has no completed trial yet.")
        return best

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of COMPLETE feasible trials (the best trial, for one objective)."""
        completed = [
            t
            for t in self._storage.get_trials(self._study_id)
            if t.state == TrialState.COMPLETE and t.values is not None and t.is_feasible()
        ]
        return pareto_front(completed, self._record.directions)

    # -- attributes ------------------------------------------------------------------------

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id, "user")

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serializable value on the study."""
        self._storage.set_study_attr(self._study_id, "user", key, value)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id, "system")

    def set_system_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_attr(self._study_id, "system", key, value)

    @property
    def metric_names(self) -> list[str] | None:
        """The objectives' names given with :meth:`set_metric_names`, else None."""
        names = self.system_attrs.get(_METRIC_NAMES_KEY)
        return list(names) if isinstance(names, list) else None

    def set_metric_names(self, metric_names: list[str]) -> None:
        """Name the objectives, one name per direction (tables, plots, the dashboard)."""
        if (
            isinstance(metric_names, str)
            or not isinstance(metric_names, Sequence)
            or not all(isinstance(name, str) and name for name in metric_names)
        ):
            raise InvalidInputError(
                f"metric_names must be a list of non-empty strings, got {metric_names!r}."
            )
        if len(metric_names) != len(self.directions):
            raise InvalidInputError(
                f"The study has {len(self.directions)} objective(s) but {len(metric_names)} "
                "metric name(s) were given."
            )
        self.set_system_attr(_METRIC_NAMES_KEY, list(metric_names))

    # -- ask and tell ----------------------------------------------------------------------

    def ask(self, fixed_distributions: dict[str, Any] | None = None) -> Trial:
        """Start a new trial (or take an enqueued one) and return it.

        Raises:
            TrialCapReached: the study already has max_trials non-failed trials.
            SearchSpaceExhausted: the sampler has nothing left (a used-up grid).
        """
        trial = self._claim()
        if fixed_distributions:
            for name, distribution in fixed_distributions.items():
                trial._suggest(name, distribution)
            # Written now, not after the batching delay: `hpo-queue ask` exits at once and
            # the trial is told later, by another process.
            trial._write_params()
        return trial

    def _claim(
        self, *, task_key: str | None = None, fixed_params: dict[str, Any] | None = None
    ) -> Trial:
        claim = lifecycle.claim(self, task_key=task_key, fixed_params=fixed_params)
        if claim.status == ClaimStatus.CAP_REACHED:
            raise TrialCapReached(f"Study {self.study_name!r} reached its cap: {claim.detail}.")
        if claim.status == ClaimStatus.EXHAUSTED:
            raise SearchSpaceExhausted(claim.detail)
        if claim.status == ClaimStatus.DUPLICATE:
            raise TrialStateError(f"Task key {task_key!r} already has a trial.")
        assert claim.trial is not None
        return Trial(self, claim.trial)

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | str | None = None,
        *,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial started with :meth:`ask`, by Trial object or by number.

        It ends as a trial of ``optimize`` would: a value that is None, NaN or not a number
        turns it into FAIL with the reason stored, the study's constraints and retry policy
        apply, and a PRUNED trial takes its last (non-NaN) report as its value. Returns the
        finished trial as stored.
        """
        number = trial.number if isinstance(trial, Trial) else trial
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidInputError(f"tell() needs a Trial or a trial number, got {trial!r}.")
        target_state = TrialState.parse(state) if state is not None else None
        stored = self._storage.get_trial(self._study_id, number)
        if stored.state.is_finished():
            if skip_if_finished:
                return stored
            raise TrialStateError(
                f"Trial {number} is already finished ({stored.state.name}); "
                "it cannot be told again."
            )
        if stored.state != TrialState.RUNNING:
            raise TrialStateError(f"Trial {number} is {stored.state.name}, not RUNNING.")
        n_objectives = len(self._record.directions)
        if target_state in (None, TrialState.COMPLETE):
            outcome = lifecycle.outcome_of_result(values, n_objectives)
        elif target_state == TrialState.PRUNED:
            intermediate = (
                trial.intermediate_values
                if isinstance(trial, Trial)
                else stored.intermediate_values
            )
            pruned = (
                lifecycle.check_values(values, n_objectives)[0]
                if values is not None
                else lifecycle.pruned_values(intermediate)
            )
            outcome = lifecycle.Outcome(TrialState.PRUNED, values=pruned)
        elif target_state == TrialState.FAIL:
            outcome = lifecycle.Outcome(TrialState.FAIL, fail_reason="told FAIL")
        else:
            raise InvalidInputError(f"tell() cannot move a trial to {target_state.name}.")
        lifecycle.finish(self, trial if isinstance(trial, Trial) else stored, outcome)
        return self._storage.get_trial(self._study_id, number)

    def enqueue_trial(
        self,
        params: dict[str, Any],
        user_attrs: dict[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> FrozenTrial | None:
        """Queue a trial with fixed ``params``; it runs before any sampled trial, once.

        Returns the WAITING trial, or None when skipped (already enqueued with these params,
        with ``skip_if_exists``) or when max_trials leaves no room.
        """
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise InvalidInputError("enqueue_trial needs a dict of parameter name -> value.")
        for name in params:
            check_param_name(name)
        if user_attrs:
            check_trial_attrs("user", user_attrs, dumps_json(user_attrs))
        if skip_if_exists:
            for existing in self._storage.get_trials(self._study_id):
                fixed = existing.system_attrs.get("fixed_params")
                if fixed == params or (existing.params == params and existing.params):
                    return None
        return self._storage.enqueue_trial(self._study_id, params, user_attrs)

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished trial made with :func:`hpo_queue.create_trial` (a warm start).

        It takes the next number and counts under max_trials as any trial; its params,
        values, reports, attrs and times are kept, as Optuna's. A WAITING trial is enqueued
        instead.

        Raises:
            TrialCapReached: the study is at its cap.
            InvalidInputError: a RUNNING trial, or one whose values do not fit the study.
        """
        for name in trial.params:
            check_param_name(name)
        for kind, attrs in (("user", trial.user_attrs), ("system", trial.system_attrs)):
            check_trial_attrs(kind, dict(attrs), dumps_json(dict(attrs)))
        if trial.state == TrialState.WAITING:
            self._storage.enqueue_trial(
                self._study_id, dict(trial.params), dict(trial.user_attrs) or None
            )
            return
        if not trial.state.is_finished():
            raise InvalidInputError(f"add_trial takes a finished trial, not {trial.state.name}.")
        check_report_count(trial.number, len(trial.intermediate_values))
        values = None
        if trial.values is not None:
            values, problem = lifecycle.check_values(list(trial.values), len(self.directions))
            if problem is not None:
                raise InvalidInputError(problem)
        stored = dataclasses.replace(trial, values=values)
        # One transaction: a crash cannot leave a half-added trial behind.
        if self._storage.add_finished_trial(self._study_id, stored) is None:
            raise TrialCapReached(
                f"Study {self.study_name!r} reached its cap: max_trials={self.max_trials}."
            )

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """:meth:`add_trial` for each trial, in order (e.g. another study's trials)."""
        for trial in trials:
            self.add_trial(trial)

    def stop(self) -> None:
        """Ask a running optimize() in this process to stop after its current trials."""
        self._stop_requested = True

    def optimize(
        self,
        objective: Objective,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[Callback] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run ``objective`` on new trials until n_trials, timeout, the cap or the grid ends.

        Args:
            objective: called with a :class:`Trial`; returns a float (or one per direction).
            n_trials: trials to run in this call (in this process); None for no limit.
            timeout: stop starting trials after this many seconds.
            n_jobs: threads running trials in parallel; -1 for one per CPU.
            catch: exception types that fail a trial without stopping the loop.
            callbacks: called as ``callback(study, frozen_trial)`` after each trial.
            gc_after_trial: run the garbage collector after each trial.
            show_progress_bar: print a progress line (needs n_trials or timeout).

        Ctrl-C marks the trials running in this call FAIL ("Interrupted (KeyboardInterrupt)
        while running the objective.") and raises KeyboardInterrupt, within seconds also with
        n_jobs > 1: an objective still running in a thread is not waited for, and its result,
        should it return later, is dropped.
        """
        from hpo_queue.study._optimize import optimize

        optimize(
            self,
            objective,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            gc_after_trial=gc_after_trial,
            show_progress_bar=show_progress_bar,
        )

    def submit(
        self,
        objective: str | Callable[..., Any],
        n_trials: int = 1,
        *,
        retries: int = 0,
        queue: str | None = None,
    ) -> TrialJob:
        """Queue ``n_trials`` trial tasks for the workers (``celery -A hpo_queue.worker worker``).

        Args:
            objective: ``"module:function"`` or a module-level function; the workers must
                allow its module (HPO_OBJECTIVE_MODULES).
            n_trials: how many trial tasks to send; the study's max_trials still caps them.
            retries: how often a trial whose objective raised is re-run with the same
                parameters (a dead worker's trials are re-run regardless; see max_retries).
            queue: the Celery queue to send to (default "hpo_queue").

        Returns:
            A job handle: ``wait(timeout=None, progress=False)``, ``counts()``, ``cancel()``.
        """
        for kind, config in (
            ("sampler", self._record.sampler_config),
            ("pruner", self._record.pruner_config),
        ):
            if config.get(NOT_PORTABLE_KEY):
                raise InvalidInputError(
                    f"Workers cannot rebuild the study's {kind} {config['name']}: "
                    f"{config[NOT_PORTABLE_KEY]}. Define it at the top level of a module the "
                    "workers can import and allow (HPO_OBJECTIVE_MODULES), built with JSON "
                    "arguments, or run the trials here with study.optimize()."
                )
        return submit_trials(self, objective, n_trials, error_retries=retries, queue=queue)


def _stored_sampler(record: StudyRecord, settings: Settings) -> BaseSampler:
    """The study's sampler; a user's that cannot be rebuilt here raises only when used."""
    config = record.sampler_config
    if not is_user_reference(config.get("name")):
        return sampler_from_config(config)
    try:
        return sampler_from_config(config, settings.objective_modules)
    except ConfigError as exc:
        return UnavailableSampler(config, str(exc))


def _stored_pruner(record: StudyRecord, settings: Settings) -> BasePruner:
    config = record.pruner_config
    if not is_user_reference(config.get("name")):
        return pruner_from_config(config)
    try:
        return pruner_from_config(config, settings.objective_modules)
    except ConfigError as exc:
        return UnavailablePruner(config, str(exc))


# -- module-level API -------------------------------------------------------------------------


def _directions(
    direction: str | StudyDirection | None,
    directions: Sequence[str | StudyDirection] | None,
) -> tuple[StudyDirection, ...]:
    if direction is not None and directions is not None:
        raise InvalidInputError("Give either direction or directions, not both.")
    if directions is not None:
        if isinstance(directions, str) or not isinstance(directions, Sequence) or not directions:
            raise InvalidInputError(
                f"directions must be a non-empty list such as ['minimize', 'maximize'], "
                f"got {directions!r}."
            )
        return tuple(StudyDirection.parse(d) for d in directions)
    return (StudyDirection.parse(direction or "minimize"),)


_METRIC_NAMES_KEY = "study:metric_names"  # Optuna's system attr for the same thing


def _check_max_trials(max_trials: Any) -> int | None:
    if max_trials is None:
        return None
    if isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 1:
        raise InvalidInputError(f"max_trials must be a positive integer, got {max_trials!r}.")
    return max_trials


def create_study(
    *,
    storage: StorageArg = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str | StudyDirection] | None = None,
    max_trials: int | None = None,
    settings: Settings | None = None,
    constraints_func: ConstraintsFunc | None = None,
    failed_trial_max_retries: int = 0,
) -> Study:
    """Create a study in ``storage`` (None: held in this process).

    The sampler, the pruner and the study's policies are stored with the study as JSON,
    so every process and worker that loads it uses the same ones.

    Args:
        max_trials: at most this many trials ever exist in a non-failed state, however
            many processes race (checked in the transaction that creates each trial).
        constraints_func: a module-level function ``f(frozen_trial) -> [c1, c2, ...]``;
            a trial is feasible when every value is <= 0. Stored by reference.
        failed_trial_max_retries: re-run a trial whose objective raised (or returned a
            bad value) with the same parameters, up to this many times.

    Raises:
        DuplicatedStudyError: the name is taken and load_if_exists is False.
    """
    dirs = _directions(direction, directions)
    cap = _check_max_trials(max_trials)
    constraints_func = constraints_func or _sampler_constraints(sampler)
    if sampler is not None and not isinstance(sampler, BaseSampler):
        raise InvalidInputError(f"sampler must be an hpo_queue sampler, got {sampler!r}.")
    if pruner is not None and not isinstance(pruner, BasePruner):
        raise InvalidInputError(f"pruner must be an hpo_queue pruner, got {pruner!r}.")
    resolved = get_storage(storage)
    name = study_name if study_name is not None else f"no-name-{uuid.uuid4()}"
    chosen_sampler = sampler or AutoSampler()
    chosen_pruner = pruner or MedianPruner()
    if (
        isinstance(failed_trial_max_retries, bool)
        or not isinstance(failed_trial_max_retries, int)
        or failed_trial_max_retries < 0
    ):
        raise InvalidInputError(
            f"failed_trial_max_retries must be an integer >= 0, got {failed_trial_max_retries!r}."
        )
    options: dict[str, Any] = {"failed_trial_max_retries": failed_trial_max_retries}
    if constraints_func is not None:
        options["constraints_func"] = constraints_ref(constraints_func)
    try:
        # The lease of the study's trials is the creator's heartbeat grace, for every node.
        lease = (settings or Settings.load()).heartbeat_grace
        record = resolved.create_study(
            name,
            dirs,
            chosen_sampler.to_config(),
            chosen_pruner.to_config(),
            cap,
            options,
            lease_seconds=lease,
        )
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        return load_study(
            study_name=name,
            storage=resolved,
            sampler=sampler,
            pruner=pruner,
            settings=settings,
            constraints_func=constraints_func,
        )
    from hpo_queue.logging import get_logger

    study = Study(record, resolved, chosen_sampler, chosen_pruner, settings, constraints_func)
    # After Study(), which applies the settings' log format to this line too.
    get_logger("hpo_queue.study").info(
        "A new study created with name: %s", name, extra={"study": name, "event": "study_created"}
    )
    return study


def load_study(
    *,
    study_name: str | None,
    storage: StorageArg,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    settings: Settings | None = None,
    constraints_func: ConstraintsFunc | None = None,
) -> Study:
    """Join an existing study; ``sampler``/``pruner`` override the stored ones for this process.

    Raises:
        StudyNotFoundError: no study of that name exists.
    """
    resolved = get_storage(storage)
    if study_name is None:
        names = resolved.list_study_names()
        if len(names) != 1:
            raise InvalidInputError(
                f"study_name is required: the storage holds {len(names)} studies."
            )
        study_name = names[0]
    record = resolved.get_study(study_name)
    constraints_func = constraints_func or _sampler_constraints(sampler)
    return Study(record, resolved, sampler, pruner, settings, constraints_func)


def _sampler_constraints(sampler: BaseSampler | None) -> ConstraintsFunc | None:
    """A constraints function given to the sampler, as Optuna's samplers take it."""
    func = getattr(sampler, "constraints_func", None)
    return func if callable(func) else None


def delete_study(*, study_name: str, storage: StorageArg) -> None:
    """Delete a study and all its trials."""
    resolved = get_storage(storage)
    record = resolved.get_study(study_name)
    resolved.delete_study(record.study_id)


def get_all_study_summaries(storage: StorageArg) -> list[StudySummary]:
    """Every study in ``storage`` with its counts by state and best trial."""
    return get_storage(storage).list_study_summaries()


def get_all_study_names(storage: StorageArg) -> list[str]:
    return get_storage(storage).list_study_names()


def get_trial_or_raise(study: Study, number: int) -> FrozenTrial:
    try:
        return study._storage.get_trial(study.study_id, number)
    except TrialNotFoundError:
        raise TrialNotFoundError(
            f"Study {study.study_name!r} has no trial number {number}."
        ) from None
