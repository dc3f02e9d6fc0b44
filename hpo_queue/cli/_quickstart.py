"""quickstart: a complete demo run on a local SQLite file, with no server to set up."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from typing import Any

from hpo_queue.cli import _common
from hpo_queue.storages import mask_url
from hpo_queue.study import create_study
from hpo_queue.trial import Trial

DEFAULT_STORAGE = "sqlite:///hpo-queue-quickstart.db"
DEFAULT_STUDY = "quickstart"


def register(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "quickstart",
        summary="run a demo study on a local SQLite file (no servers needed)",
        description=(
            "Create (or reuse) a study on a local SQLite file and optimize a small\n"
            "built-in objective, a quadratic in x and y plus a categorical penalty,\n"
            "whose minimum is 0 at x=2, y=-1, shape='circle'. Run it again to add trials."
        ),
        examples="""\
  hpo-queue quickstart
  hpo-queue quickstart --n-trials 20 --study-name demo
  hpo-queue quickstart --storage sqlite:////tmp/demo.db
""",
    )
    _common.add_storage_option(parser, default=DEFAULT_STORAGE)
    parser.add_argument(
        "--study-name",
        "--study",
        metavar="NAME",
        default=DEFAULT_STUDY,
        help=f"the study's name (default: {DEFAULT_STUDY})",
    )
    parser.add_argument(
        "--n-trials", type=int, default=60, metavar="N", help="trials to run (default: 60)"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed the sampler (the default, AutoSampler)"
    )
    parser.set_defaults(handler=_quickstart)


def objective(trial: Trial) -> float:
    """The demo objective: 0 at x=2, y=-1, shape='circle'."""
    x = trial.suggest_float("x", -10.0, 10.0)
    y = trial.suggest_int("y", -5, 5)
    shape = trial.suggest_categorical("shape", ["circle", "square", "triangle"])
    penalty = {"circle": 0.0, "square": 1.0, "triangle": 2.0}[str(shape)]
    return (x - 2.0) ** 2 + (y + 1) ** 2 + penalty


def _absolute_sqlite(url: str) -> str:
    """A relative SQLite path made absolute, so the commands printed work from any directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and len(url) > len(prefix):
        return prefix + os.path.abspath(url[len(prefix) :])
    return url


def _quickstart(args: argparse.Namespace) -> int:
    from hpo_queue.samplers import AutoSampler

    if args.n_trials < 1:
        raise _common.UsageError(f"--n-trials must be at least 1, got {args.n_trials}.")
    url = _absolute_sqlite(str(_common.given_storage(args)))
    _common.check_reachable(url)
    study = create_study(
        storage=url,
        study_name=args.study_name,
        direction="minimize",
        sampler=AutoSampler(seed=args.seed),
        load_if_exists=True,
    )
    try:
        study.optimize(objective, n_trials=args.n_trials)
        best = study.best_trial
    finally:
        # Closed connections let SQLite fold its -wal and -shm files back into the database,
        # leaving the one file the lines below name.
        study.storage.close()
    shown_url = mask_url(url)
    storage_arg = shlex.quote(shown_url)
    name_arg = shlex.quote(study.study_name)
    print()
    print(f"Best trial: #{best.number} with value {best.value:.6g}")
    for name, value in best.params.items():
        print(f"  {name} = {value:.6g}" if isinstance(value, float) else f"  {name} = {value}")
    print()
    command = command_as_typed()
    print(f"The study {study.study_name!r} is stored in {shown_url}. Look at it with:")
    print(f"  {command} trials --storage {storage_arg} --study-name {name_arg}")
    print(f"  {command} best-trial --storage {storage_arg} --study-name {name_arg}")
    print(f"  {command} studies --storage {storage_arg}")
    if command != _common.PROG and sys.prefix != sys.base_prefix:
        activate = shlex.quote(os.path.join(sys.prefix, "bin", "activate"))
        print(f"(To type plain '{_common.PROG}', activate its environment: . {activate})")
    return 0


def command_as_typed() -> str:
    """How to run hpo-queue from a shell here: its name when on PATH, else a path that works."""
    if shutil.which(_common.PROG):
        return _common.PROG
    beside_python = os.path.join(os.path.dirname(sys.executable), _common.PROG)
    for candidate in (sys.argv[0] if sys.argv else "", beside_python):
        if os.path.basename(candidate) == _common.PROG and os.access(candidate, os.X_OK):
            return shlex.quote(os.path.abspath(candidate))
    return f"{shlex.quote(sys.executable)} -m hpo_queue"
