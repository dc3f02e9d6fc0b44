"""The plot command: write a study's plots as SVG files and an index.html."""

from __future__ import annotations

import argparse
from typing import Any

from hpo_queue.cli import _common
from hpo_queue.storages import get_storage
from hpo_queue.visualization.svg import PLOT_KINDS, plot_kinds_for, write_plot_files

_KIND_CHOICES = (*PLOT_KINDS, "all")


def register(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "plot",
        summary="write a study's plots (SVG files and an index.html) to a folder",
        description=(
            "Write the dashboard's plots of one study to files, for when no browser is at\n"
            "hand or for a report: history.svg (optimization history), parallel.svg\n"
            "(parallel coordinates), importance.svg (parameter importance),\n"
            "intermediate.svg (intermediate values), slice.svg, edf.svg (the values'\n"
            "distribution), timeline.svg (trials per worker), pareto.svg (the Pareto front,\n"
            "instead of history.svg for several objectives), and an index.html showing them."
        ),
        examples="""\
  hpo-queue plot --storage sqlite:///hpo.db --study-name mnist --out plots/
  hpo-queue plot --study-name mnist --out plots/ --kind history --kind importance
  hpo-queue plot --study-name two-goals --out plots/ --objective 1
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    parser.add_argument("--out", metavar="DIR", required=True, help="folder to write into")
    parser.add_argument(
        "--kind",
        action="append",
        choices=_KIND_CHOICES,
        help="which plot; repeat for several (default: all)",
    )
    parser.add_argument(
        "--objective",
        type=int,
        default=0,
        metavar="INDEX",
        help="objective to plot in a multi-objective study (default: 0)",
    )
    parser.set_defaults(handler=_plot)


def _plot(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    storage = get_storage(url)
    record = storage.get_study(args.study_name)
    if not 0 <= args.objective < len(record.directions):
        raise _common.UsageError(
            f"--objective must be between 0 and {len(record.directions) - 1} for study "
            f"{record.study_name!r}, got {args.objective}."
        )
    kinds = list(plot_kinds_for(len(record.directions)))
    if args.kind and "all" not in args.kind:
        kinds = [k for k in PLOT_KINDS if k in args.kind]
    trials = storage.get_trials(record.study_id)
    paths = write_plot_files(
        trials,
        record.directions,
        args.out,
        kinds=kinds,
        study_name=record.study_name,
        objective_index=args.objective,
    )
    for path in paths:
        print(path)
    return 0
