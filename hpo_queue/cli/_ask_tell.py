"""Optuna's ask-and-tell commands: ask, tell, best-trials, study-names, study set-user-attr."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hpo_queue.cli import _common
from hpo_queue.cli._studies import parse_sampler
from hpo_queue.cli._trials import trial_row
from hpo_queue.distributions import distribution_from_optuna_dict
from hpo_queue.exceptions import ConfigError, NoCompletedTrialsError
from hpo_queue.study import Study, get_all_study_names, load_study
from hpo_queue.trial import TrialState

# Optuna's formats, in its order of choices.
_OPTUNA_FORMATS = ("value", "json", "table", "yaml")


def register(subparsers: Any) -> None:
    _register_ask(subparsers)
    _register_tell(subparsers)
    _register_best_trials(subparsers)
    _register_study_names(subparsers)
    _register_study(subparsers)


def _json_option(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{option} is not valid JSON ({exc.msg} at column {exc.colno})."
        ) from None


def _load(args: argparse.Namespace, sampler: Any = None) -> Study:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    return load_study(study_name=args.study_name, storage=url, sampler=sampler)


# -- ask --------------------------------------------------------------------------------------


def _register_ask(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "ask",
        summary="start a trial and print its number and params (Optuna's `optuna ask`)",
        description="Start a trial in the study, sample the --search-space, print it.",
        examples="""\
  hpo-queue ask --storage sqlite:///hpo.db --study-name demo --sampler TPESampler \\
      --search-space '{"x": {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1}}}'
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    # JSON by default, as `optuna ask`: a script reads the number and params from it.
    _common.add_format_option(parser, _OPTUNA_FORMATS, default="json")
    parser.add_argument("--search-space", metavar="JSON", help="Optuna's distribution JSON")
    parser.add_argument("--sampler", metavar="NAME", help="sampler class for this trial")
    parser.add_argument("--sampler-kwargs", metavar="JSON", help="the sampler's arguments")
    parser.set_defaults(handler=_ask)


def _ask(args: argparse.Namespace) -> int:
    sampler = None
    if args.sampler is not None:
        kwargs = (
            _json_option(args.sampler_kwargs, "--sampler-kwargs") if args.sampler_kwargs else {}
        )
        sampler = parse_sampler(json.dumps({"name": args.sampler, **kwargs}))
    study = _load(args, sampler)
    space = _json_option(args.search_space, "--search-space") if args.search_space else {}
    if not isinstance(space, dict):
        raise ConfigError("--search-space must be a JSON object of name -> distribution.")
    fixed = {name: distribution_from_optuna_dict(d) for name, d in space.items()}
    trial = study.ask(fixed_distributions=fixed)
    row = {"number": trial.number, "params": dict(trial.params)}
    _common.emit([row], args.format, json_value=row, flatten=args.flatten)
    return 0


# -- tell -------------------------------------------------------------------------------------


def _register_tell(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "tell",
        summary="finish a trial started with ask (Optuna's `optuna tell`)",
        description="Finish trial --trial-number with --values or --state.",
        examples="""\
  hpo-queue tell --storage sqlite:///hpo.db --study-name demo --trial-number 0 --values 1.5
  hpo-queue tell --study-name demo --trial-number 1 --state pruned
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    parser.add_argument("--trial-number", type=int, required=True, metavar="N")
    parser.add_argument("--values", type=float, nargs="+", metavar="VALUE")
    parser.add_argument("--state", choices=("complete", "pruned", "fail"), type=str.lower)
    parser.add_argument("--skip-if-finished", action="store_true", default=False)
    parser.set_defaults(handler=_tell)


def _tell(args: argparse.Namespace) -> int:
    study = _load(args)
    values = None
    if args.values is not None:
        values = args.values[0] if len(args.values) == 1 else args.values
    state = TrialState.parse(args.state) if args.state else None
    if args.values is None and state is None:
        raise _common.UsageError(
            "tell needs the result: --values V [V ...] (one per objective), or --state pruned|fail."
        )
    if args.values is not None and len(args.values) != len(study.directions):
        raise _common.UsageError(
            f"study {study.study_name!r} has {len(study.directions)} objective(s) but "
            f"--values gave {len(args.values)} value(s); the trial is left as it was."
        )
    if args.skip_if_finished:
        current = study.storage.get_trial(study.study_id, args.trial_number)
        if current.state.is_finished():
            print(f"Trial {current.number} is finished already ({current.state.name}); skipped.")
            return 0
    frozen = study.tell(args.trial_number, values, state, skip_if_finished=args.skip_if_finished)
    print(f"Told trial {frozen.number}: {frozen.state.name}.")
    return 0


# -- best-trials, study-names, study set-user-attr --------------------------------------------


def _register_best_trials(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "best-trials",
        summary="show the Pareto front (the best trial, for one objective)",
        description="Show every trial on the study's Pareto front.",
        examples="  hpo-queue best-trials --study-name demo -f json\n",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    _common.add_format_option(parser)
    parser.set_defaults(handler=_best_trials)


def _best_trials(args: argparse.Namespace) -> int:
    study = _load(args)
    front = study.best_trials
    if not front:
        raise NoCompletedTrialsError(f"Study {study.study_name!r} has no completed trial yet.")
    rows = [trial_row(t, len(study.directions)) for t in front]
    _common.emit(rows, args.format, flatten=args.flatten)
    return 0


def _register_study_names(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "study-names",
        summary="list the names of the studies in a storage",
        description="Print each study's name, oldest first.",
        examples="  hpo-queue study-names --storage sqlite:///hpo.db\n",
    )
    _common.add_storage_option(parser)
    _common.add_format_option(parser, _OPTUNA_FORMATS, flatten=False)
    parser.set_defaults(handler=_study_names)


def _study_names(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url)
    rows = [{"name": name} for name in get_all_study_names(url)]
    _common.emit(rows, args.format)
    return 0


def _register_study(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "study",
        summary="study subcommands: set-user-attr",
        description="Change a study.",
        examples="  hpo-queue study set-user-attr --study-name demo --key team --value ml\n",
    )
    commands = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND")
    setter = _common.add_command(
        commands,
        "set-user-attr",
        summary="store a user attribute on the study",
        description="Set the study's user attribute --key to --value (a string).",
        examples="  hpo-queue study set-user-attr --study-name demo --key team --value ml\n",
    )
    _common.add_study_name_option(setter)
    _common.add_storage_option(setter)
    setter.add_argument("--key", "-k", required=True)
    setter.add_argument("--value", "-v", required=True)
    setter.set_defaults(handler=_set_user_attr)


def _set_user_attr(args: argparse.Namespace) -> int:
    study = _load(args)
    study.set_user_attr(args.key, args.value)
    print(f"Attribute {args.key!r} set on study {study.study_name!r}.")
    return 0
