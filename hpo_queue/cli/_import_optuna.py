"""``hpo-queue import-optuna``: copy a study of an Optuna RDB store into the hpo-queue store."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from hpo_queue.cli import _common
from hpo_queue.migration import import_optuna_study
from hpo_queue.storages import mask_url


def register(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "import-optuna",
        summary="copy a study of an Optuna RDB store (Optuna 3.0 to 5.x) into this store",
        description=(
            "Copy one study of an Optuna database into the hpo-queue store, with every\n"
            "trial's number, state, values, params and distributions, intermediate values,\n"
            "user and system attrs and times. New trials continue the numbering, and the\n"
            "sampler learns from the copied trials. The Optuna store is only read (with\n"
            "SQL; Optuna need not be installed). A trial RUNNING there becomes FAIL here;\n"
            "a WAITING one stays WAITING. The copy is one transaction: on an error nothing\n"
            "is written. A study of that name in the target is an error."
        ),
        examples="""\
  hpo-queue import-optuna --from-storage sqlite:///optuna.db --study-name mnist \\
      --storage mysql://user:pass@db-host/hpo
  hpo-queue import-optuna --from-storage mysql://user:pass@old-db/optuna \\
      --study-name mnist --new-study-name mnist-v2
""",
    )
    parser.add_argument(
        "--from-storage",
        metavar="OPTUNA_URL",
        required=True,
        help="the Optuna store's URL, e.g. sqlite:///optuna.db or mysql+pymysql://u:p@h/db",
    )
    _common.add_study_name_option(parser)
    parser.add_argument(
        "--new-study-name",
        metavar="NAME",
        help="the study's name in this store (default: the same as in Optuna)",
    )
    parser.add_argument(
        "--max-trials",
        type=int,
        metavar="N",
        help="cap on the study's non-failed trials, the copied ones included (default: none)",
    )
    _common.add_storage_option(parser)
    parser.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url)
    with _common.quiet_logger("hpo_queue.storage"):
        study = import_optuna_study(
            from_storage=args.from_storage,
            study_name=args.study_name,
            storage=url,
            new_study_name=args.new_study_name,
            max_trials=args.max_trials,
        )
    trials = study.get_trials(deepcopy=False)
    counts = Counter(t.state.name for t in trials)
    by_state = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no trials"
    next_number = max((t.number for t in trials), default=-1) + 1
    print(
        f"Imported study {args.study_name!r} from {mask_url(args.from_storage)} into "
        f"{mask_url(url)} as {study.study_name!r}: {len(trials)} trial(s) ({by_state}); "
        f"new trials start at number {next_number}."
    )
    return 0
