"""Trial commands: trials (one study's trials) and best-trial (or the Pareto front)."""

from __future__ import annotations

import argparse
from typing import Any

from hpo_queue.cli import _common
from hpo_queue.exceptions import NoCompletedTrialsError
from hpo_queue.samplers import SAMPLER_METHOD_KEY
from hpo_queue.study import Study, load_study
from hpo_queue.study._fail_reasons import fail_reason_line
from hpo_queue.trial import FrozenTrial, TrialState


def register(subparsers: Any) -> None:
    _register_trials(subparsers)
    _register_best(subparsers)


def _load(args: argparse.Namespace) -> Study:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    return load_study(study_name=args.study_name, storage=url)


def trial_row(trial: FrozenTrial, n_objectives: int, *, details: bool = True) -> dict[str, Any]:
    """One trial as a row; params are a dict, spread into params_NAME columns in tables."""
    row: dict[str, Any] = {"number": trial.number}
    if details:
        row["state"] = trial.state.name
    if n_objectives == 1:
        row["value"] = trial.values[0] if trial.values else None
    else:
        row["values"] = list(trial.values) if trial.values else None
    row["params"] = dict(trial.params)
    if details:
        row["duration"] = trial.duration
        row["started"] = trial.datetime_start
        row["worker"] = trial.worker
        # Which method chose the params (AutoSampler switches between several).
        row["method"] = trial.system_attrs.get(SAMPLER_METHOD_KEY)
        row["fail_reason"] = (
            fail_reason_line(trial.fail_reason) if trial.state == TrialState.FAIL else None
        )
    return row


# -- trials -----------------------------------------------------------------------------------


def _state(text: str) -> TrialState:
    try:
        return TrialState[text.strip().upper()]
    except KeyError:
        names = ", ".join(s.name.lower() for s in TrialState)
        raise argparse.ArgumentTypeError(f"unknown state {text!r} (use {names})") from None


def _register_trials(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "trials",
        summary="list a study's trials: state, values, params, duration, worker, sampler method",
        description="List the trials of a study, ordered by number.",
        examples="""\
  hpo-queue trials --storage sqlite:///hpo.db --study-name mnist
  hpo-queue trials --study-name mnist --state complete --state pruned
  hpo-queue trials --study-name mnist -f csv > trials.csv
  hpo-queue trials --study-name mnist -f json | jq '.[] | select(.value < 0.1)'
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    _common.add_format_option(parser)
    parser.add_argument(
        "--state",
        type=_state,
        action="append",
        metavar="STATE",
        help="only trials in this state (complete, pruned, fail, running, waiting); repeatable",
    )
    parser.set_defaults(handler=_trials)


def _trials(args: argparse.Namespace) -> int:
    study = _load(args)
    states = set(args.state) if args.state else None
    trials = study.get_trials(deepcopy=False, states=states)
    rows = [trial_row(t, len(study.directions)) for t in trials]
    if not rows and args.format == "table":
        which = f" in state {', '.join(sorted(s.name for s in states))}" if states else ""
        print(f"Study {study.study_name!r} has no trials{which}.")
        return 0
    _common.emit(rows, args.format, flatten=args.flatten)
    return 0


# -- best-trial -------------------------------------------------------------------------------


def _register_best(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "best-trial",
        summary="show a study's best trial (the Pareto front for several objectives)",
        description=(
            "Show the best completed trial: number, value and params. For a study with\n"
            "several objectives, show every trial on the Pareto front."
        ),
        examples="""\
  hpo-queue best-trial --storage sqlite:///hpo.db --study-name mnist
  hpo-queue best-trial --study-name mnist -f json | jq .params
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    _common.add_format_option(parser)
    parser.set_defaults(handler=_best)


def _best(args: argparse.Namespace) -> int:
    study = _load(args)
    n_objectives = len(study.directions)
    if n_objectives == 1:
        best = study.best_trial  # NoCompletedTrialsError says there is none yet
        row = trial_row(best, 1, details=False)
        _common.emit([row], args.format, json_value=row, flatten=args.flatten)
        return 0
    front = study.best_trials
    if not front:
        raise NoCompletedTrialsError(f"Study {study.study_name!r} has no completed trial yet.")
    rows = [trial_row(t, n_objectives, details=False) for t in front]
    _common.emit(rows, args.format, flatten=args.flatten)
    return 0
