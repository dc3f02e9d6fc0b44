"""A study and Optuna's plot arguments turned into the plot data both backends draw.

One owner for what every ``plot_*`` checks (a multi-objective study needs ``target``,
``params`` must name parameters of the study, refused arguments are named) so that the
Plotly and Matplotlib renderers are pure drawing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hpo_queue._target import Target, resolve_target
from hpo_queue.directions import StudyDirection
from hpo_queue.exceptions import InvalidInputError, UnsupportedArgumentError
from hpo_queue.importance import BaseImportanceEvaluator, get_param_importances
from hpo_queue.trial._frozen import FrozenTrial
from hpo_queue.trial._state import TrialState
from hpo_queue.visualization._contour import ContourData, contour_data
from hpo_queue.visualization._edf import EmpiricalDistribution, empirical_distribution
from hpo_queue.visualization._history import OptimizationHistory, optimization_history
from hpo_queue.visualization._intermediate import IntermediateCurve, intermediate_curves
from hpo_queue.visualization._parallel_coordinate import ParallelCoordinates, parallel_coordinates
from hpo_queue.visualization._pareto import METRIC_NAMES_KEY, ParetoFront, pareto_front_data
from hpo_queue.visualization._rank import RankData, rank_data
from hpo_queue.visualization._slice import SliceData, slice_data
from hpo_queue.visualization._timeline import Timeline, trial_timeline

if TYPE_CHECKING:
    from hpo_queue.study import Study

DEFAULT_TARGET_NAME = "Objective Value"


def studies_of(study: Study | Sequence[Study]) -> list[Study]:
    """One study or several, as a list (history and EDF plots take either)."""
    studies = list(study) if isinstance(study, (list, tuple)) else [study]
    if not studies:
        raise InvalidInputError("Pass a study, or a non-empty list of studies.")
    return studies  # type: ignore[return-value]


def _trials(study: Study) -> list[FrozenTrial]:
    return study.get_trials(deepcopy=False)


def check_params(study: Study, params: Sequence[str] | None) -> list[str] | None:
    """``params`` as a list, after checking that each names a parameter of the study."""
    if params is None:
        return None
    if isinstance(params, str) or not all(isinstance(p, str) for p in params):
        raise InvalidInputError(f"params must be a list of parameter names, got {params!r}.")
    known = {name for t in _trials(study) for name in t.params}
    for name in params:
        if name not in known:
            raise InvalidInputError(f"Parameter {name!r} does not exist in the study.")
    return list(params)


def _retargeted(trials: Sequence[FrozenTrial], target: Target) -> list[FrozenTrial]:
    """COMPLETE trials with their values replaced by ``[target(trial)]``."""
    return [
        dataclasses.replace(t, values=[float(target(t))])
        for t in trials
        if t.state == TrialState.COMPLETE
    ]


def _one_direction(study: Study) -> list[StudyDirection]:
    # A target of a multi-objective study has no stated direction; lower is drawn as better.
    return study.directions[:1] if len(study.directions) == 1 else [StudyDirection.MINIMIZE]


def history_data(
    study: Study | Sequence[Study], target: Target | None, error_bar: bool
) -> list[tuple[str, OptimizationHistory, bool]]:
    """(study name, history, whether its best-value line is meaningful) per study."""
    if error_bar:
        raise UnsupportedArgumentError(
            "plot_optimization_history(error_bar=True) is not supported: pass the studies "
            "as a list to draw each one's history."
        )
    result = []
    for one in studies_of(study):
        resolve_target(one.directions, target, "plot_optimization_history")
        trials = _trials(one) if target is None else _retargeted(_trials(one), target)
        directions = one.directions if target is None else _one_direction(one)
        history = optimization_history(trials, directions)
        result.append((one.study_name, history, target is None))
    return result


def intermediate_data(study: Study) -> list[IntermediateCurve]:
    return intermediate_curves(_trials(study))


def parallel_data(
    study: Study, params: Sequence[str] | None, target: Target | None
) -> ParallelCoordinates:
    resolve_target(study.directions, target, "plot_parallel_coordinate")
    names = check_params(study, params)
    trials = _trials(study) if target is None else _retargeted(_trials(study), target)
    if names is not None:
        keep = set(names)
        trials = [
            dataclasses.replace(
                t,
                params={k: v for k, v in t.params.items() if k in keep},
                distributions={k: v for k, v in t.distributions.items() if k in keep},
            )
            for t in trials
        ]
    directions = study.directions if target is None else _one_direction(study)
    return parallel_coordinates(trials, directions)


def importance_data(
    study: Study,
    evaluator: BaseImportanceEvaluator | None,
    params: Sequence[str] | None,
    target: Target | None,
    target_name: str,
) -> list[tuple[str, dict[str, float]]]:
    """(name, importances) per value explained: the target, or each objective, as Optuna.

    A multi-objective study without ``target`` gets one set per objective, named by the
    study's metric names when set, else ``"<target_name> <i>"``.
    """
    names = check_params(study, params)
    if target is not None or len(study.directions) == 1:
        return [
            (
                target_name,
                get_param_importances(study, evaluator=evaluator, params=names, target=target),
            )
        ]
    n_objectives = len(study.directions)
    metric_names = _metric_names(study)
    labels = metric_names if metric_names and len(metric_names) == n_objectives else None
    result = []
    for i in range(n_objectives):
        label = labels[i] if labels else f"{target_name} {i}"
        shares = get_param_importances(
            study, evaluator=evaluator, params=names, target=_objective_value(i)
        )
        result.append((label, shares))
    return result


def _objective_value(index: int) -> Target:
    def value(trial: FrozenTrial) -> float:
        return float(trial.values[index]) if trial.values else math.nan

    return value


def slice_plot_data(
    study: Study, params: Sequence[str] | None, target: Target | None, target_name: str, owner: str
) -> SliceData:
    resolve_target(study.directions, target, owner)  # a multi-objective study needs one
    return slice_data(
        _trials(study),
        study.directions,
        params=check_params(study, params),
        target=target,
        target_name=target_name,
    )


def contour_plot_data(
    study: Study, params: Sequence[str] | None, target: Target | None, target_name: str
) -> ContourData:
    data = slice_plot_data(study, params, target, target_name, "plot_contour")
    return contour_data(data)


def rank_plot_data(
    study: Study, params: Sequence[str] | None, target: Target | None, target_name: str
) -> RankData:
    return rank_data(slice_plot_data(study, params, target, target_name, "plot_rank"))


def edf_data(
    study: Study | Sequence[Study], target: Target | None, target_name: str
) -> EmpiricalDistribution:
    studies = studies_of(study)
    for one in studies:
        resolve_target(one.directions, target, "plot_edf")
    named: dict[str, list[FrozenTrial]] = {}
    for one in studies:
        name = one.study_name
        while name in named:  # the same study twice still draws two lines
            name += "'"
        named[name] = _trials(one)
    return empirical_distribution(named, target=target, target_name=target_name)


def pareto_data(
    study: Study,
    target_names: Sequence[str] | None,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None,
) -> ParetoFront:
    if constraints_func is not None:
        raise UnsupportedArgumentError(
            "plot_pareto_front(constraints_func=...) is not supported: give the sampler "
            "constraints_func= so that each trial stores its constraints; infeasible trials "
            "are then drawn apart."
        )
    trials = _trials(study)
    n_targets = len(study.directions)
    if targets is not None:
        sample = next((t for t in trials if t.state == TrialState.COMPLETE), None)
        n_targets = len(targets(sample)) if sample is not None else n_targets
    if n_targets not in (2, 3):
        raise InvalidInputError(
            f"plot_pareto_front draws 2 or 3 objectives, got {n_targets}; pass targets= to "
            "choose two or three of them."
        )
    if targets is not None and n_targets != len(study.directions):
        raise InvalidInputError(
            f"targets= returns {n_targets} values but the study has {len(study.directions)} "
            "objectives; return one value per objective (their directions decide the front)."
        )
    if target_names is not None and len(target_names) != n_targets:
        raise InvalidInputError(f"target_names must have {n_targets} names, got {target_names!r}.")
    metric_names = target_names or _metric_names(study)
    return pareto_front_data(trials, study.directions, metric_names, targets)


def _metric_names(study: Study) -> list[str] | None:
    names: Any = getattr(study, "system_attrs", {}).get(METRIC_NAMES_KEY)
    return list(names) if isinstance(names, list) else None


def timeline_data(study: Study, n_recent_trials: int | None) -> Timeline:
    if n_recent_trials is not None and (
        isinstance(n_recent_trials, bool)
        or not isinstance(n_recent_trials, int)
        or n_recent_trials <= 0
    ):
        raise InvalidInputError(
            f"n_recent_trials must be a positive integer or None, got {n_recent_trials!r}."
        )
    trials = sorted(_trials(study), key=lambda t: t.number)
    return trial_timeline(trials[-n_recent_trials:] if n_recent_trials else trials)
