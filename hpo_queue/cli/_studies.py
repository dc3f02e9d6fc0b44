"""Study commands: create-study, studies (the listing) and delete-study."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from hpo_queue._printable import printable
from hpo_queue.cli import _common
from hpo_queue.exceptions import ConfigError, DuplicatedStudyError
from hpo_queue.pruners import BasePruner, pruner_from_config
from hpo_queue.samplers import BaseSampler, sampler_from_config
from hpo_queue.storages import StudySummary, get_storage, mask_url
from hpo_queue.study import create_study, get_all_study_summaries, load_study

_STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")


def register(subparsers: Any) -> None:
    _register_create(subparsers)
    _register_list(subparsers)
    _register_delete(subparsers)


# -- create-study -------------------------------------------------------------------------------


def _register_create(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "create-study",
        summary="create a study with its directions, sampler, pruner and trial cap",
        description=(
            "Create a study in the storage. Workers and scripts then join it by name.\n"
            "Prints the study's name on stdout, as Optuna's CLI does\n"
            "(STUDY=$(hpo-queue create-study --storage URL)), and what it did on stderr."
        ),
        examples="""\
  hpo-queue create-study --storage mysql://user:pass@db/hpo --study-name mnist
  hpo-queue create-study --study-name mnist --direction maximize --max-trials 200
  hpo-queue create-study --study-name fast --sampler random --pruner asha
  hpo-queue create-study --study-name seeded --sampler '{"name": "TPESampler", "seed": 1}'
  hpo-queue create-study --study-name two --directions minimize maximize
  hpo-queue create-study --study-name mnist --skip-if-exists   # idempotent, for scripts
""",
    )
    _common.add_study_name_option(parser, required=False)
    _common.add_storage_option(parser)
    directions = parser.add_mutually_exclusive_group()
    directions.add_argument(
        "--direction",
        action="append",
        choices=("minimize", "maximize"),
        help="minimize (default) or maximize; repeat it for several objectives",
    )
    directions.add_argument(
        "--directions",
        nargs="+",
        choices=("minimize", "maximize"),
        metavar="DIRECTION",
        help="one direction per objective, for a multi-objective study",
    )
    parser.add_argument(
        "--max-trials",
        type=_common.integer_at_least(1),
        metavar="N",
        help="cap on the study's non-failed trials, enforced across all workers",
    )
    parser.add_argument(
        "--sampler",
        metavar="NAME|JSON",
        help="auto (default), tpe, gp, cmaes, qmc, nsga2, random, grid, a class name, or a JSON "
        'config such as \'{"name": "TPESampler", "seed": 1}\'',
    )
    parser.add_argument(
        "--pruner",
        metavar="NAME|JSON",
        help="median (default), nop, percentile, asha, hyperband, threshold, a class name, "
        'or a JSON config such as \'{"name": "MedianPruner", "n_startup_trials": 10}\'',
    )
    parser.add_argument(
        "--skip-if-exists",
        action="store_true",
        help="reuse the study if one with this name already exists instead of failing",
    )
    parser.set_defaults(handler=_create)


def _config(text: str, option: str) -> dict[str, Any]:
    """``{"name": text}`` for a bare name, the parsed object for JSON."""
    text = text.strip()
    if not text.startswith("{"):
        return {"name": text}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{option} is not valid JSON ({exc.msg} at column {exc.colno})."
        ) from None
    if not isinstance(config, dict) or "name" not in config:
        raise ConfigError(f'{option} JSON needs a "name", e.g. {{"name": "TPESampler"}}.')
    return config


def parse_sampler(text: str | None) -> BaseSampler | None:
    return None if text is None else sampler_from_config(_config(text, "--sampler"))


def parse_pruner(text: str | None) -> BasePruner | None:
    return None if text is None else pruner_from_config(_config(text, "--pruner"))


def _create(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    sampler = parse_sampler(args.sampler)
    pruner = parse_pruner(args.pruner)
    directions = args.directions or args.direction or ["minimize"]
    _common.check_reachable(url)
    try:
        # The CLI prints the line itself, to stdout; the logger would repeat it on stderr.
        with _common.quiet_logger("hpo_queue.study"):
            study = create_study(
                storage=url,
                study_name=args.study_name,
                directions=directions,
                max_trials=args.max_trials,
                sampler=sampler,
                pruner=pruner,
            )
    except DuplicatedStudyError:
        if not args.skip_if_exists:
            raise DuplicatedStudyError(
                f"a study named {args.study_name!r} already exists in {mask_url(url)}; "
                "pass --skip-if-exists to reuse it, or choose another --study-name."
            ) from None
        study = load_study(study_name=args.study_name, storage=url)
        print(f"Using an existing study with name: {printable(study.study_name)}", file=sys.stderr)
        print(study.study_name)
        return 0
    print(f"A new study created with name: {printable(study.study_name)}", file=sys.stderr)
    print(study.study_name)
    return 0


# -- studies ----------------------------------------------------------------------------------


def _register_list(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "studies",
        summary="list the studies with their trial counts and best values",
        description="List every study in the storage: directions, trials by state, best value.",
        examples="""\
  hpo-queue studies --storage sqlite:///hpo.db
  HPO_STORAGE_URL=mysql://user:pass@db/hpo hpo-queue studies -f json
  hpo-queue studies -f csv > studies.csv
""",
    )
    _common.add_storage_option(parser)
    _common.add_format_option(parser)
    parser.set_defaults(handler=_list)


def summary_row(summary: StudySummary) -> dict[str, Any]:
    best = summary.best_trial
    row: dict[str, Any] = {
        "name": summary.study_name,
        "directions": [d.name.lower() for d in summary.directions],
        "n_trials": summary.n_trials,
    }
    for state in _STATES:
        row[state.lower()] = summary.counts.get(state, 0)
    row["best_value"] = best.values[0] if best is not None and best.values else None
    row["best_trial"] = best.number if best is not None else None
    row["max_trials"] = summary.max_trials
    row["created"] = summary.datetime_created
    return row


def _list(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    rows = [summary_row(s) for s in get_all_study_summaries(url)]
    if not rows and args.format == "table":
        print(f"No studies in {mask_url(url)}.")
        return 0
    _common.emit(rows, args.format, flatten=args.flatten)
    return 0


# -- delete-study -----------------------------------------------------------------------------


def _register_delete(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "delete-study",
        summary="delete a study and all its trials",
        description="Delete a study and all its trials, then print what was deleted.",
        examples="""\
  hpo-queue delete-study --storage sqlite:///hpo.db --study-name old-run
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    parser.set_defaults(handler=_delete)


def _delete(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    storage = get_storage(url)
    record = storage.get_study(args.study_name)
    n_trials = len(storage.get_trials(record.study_id))
    storage.delete_study(record.study_id)
    print(f"Deleted study {record.study_name!r} and its {n_trials} trial(s) from {mask_url(url)}.")
    return 0
