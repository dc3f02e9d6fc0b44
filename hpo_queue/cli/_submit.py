"""The submit command: send trial tasks of a study to the Celery workers, optionally wait."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable
from typing import Any

from hpo_queue._printable import printable
from hpo_queue.broker.job import NO_WORKER_NOTICE_SECONDS, TrialJob
from hpo_queue.cli import _common
from hpo_queue.exceptions import NoCompletedTrialsError
from hpo_queue.settings import Settings
from hpo_queue.storages import mask_url
from hpo_queue.study import load_study
from hpo_queue.study._fail_reasons import group_fail_reasons
from hpo_queue.trial import TrialState


def register(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "submit",
        summary="queue trial tasks of a study for Celery workers (celery -A hpo_queue.worker)",
        description=(
            "Send N trial tasks to the broker ($HPO_BROKER_URL). Each worker task claims a\n"
            "trial (the study's max_trials still caps them), runs the objective, and writes\n"
            "the result to the shared store. Workers run only objectives from the modules\n"
            "listed in their HPO_OBJECTIVE_MODULES."
        ),
        examples="""\
  export HPO_BROKER_URL=redis://localhost:6379/0
  export HPO_STORAGE_URL=mysql://root@localhost/example
  hpo-queue submit --study-name demo --objective foo:objective --n-trials 200 --wait
  hpo-queue submit --study-name demo --objective foo:objective --n-trials 50 --retries 1
""",
    )
    _common.add_study_name_option(parser)
    _common.add_storage_option(parser)
    parser.add_argument(
        "--objective",
        metavar="MODULE:FUNCTION",
        required=True,
        help="the objective, importable on the workers, e.g. foo:objective",
    )
    parser.add_argument(
        "--n-trials",
        type=_common.integer_at_least(1),
        default=1,
        metavar="N",
        help="how many trial tasks to send (default: 1)",
    )
    parser.add_argument(
        "--retries",
        type=_common.integer_at_least(0),
        default=0,
        metavar="N",
        help="re-run a trial whose objective raised, with the same params, up to N times",
    )
    parser.add_argument("--queue", metavar="NAME", help="Celery queue (default: hpo_queue)")
    parser.add_argument(
        "--wait",
        action="store_true",
        help=(
            "wait until every task finished (warns once if no worker takes a task in "
            f"{NO_WORKER_NOTICE_SECONDS:g} s)"
        ),
    )
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="with --wait: give up after this long",
    )
    parser.add_argument("--no-progress", action="store_true", help="with --wait: no progress bar")
    parser.set_defaults(handler=_submit)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _submit(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    settings = Settings.load()
    study = load_study(study_name=args.study_name, storage=url, settings=settings)
    with _common.quiet_logger("hpo_queue.submit"):
        job = study.submit(
            args.objective, n_trials=args.n_trials, retries=args.retries, queue=args.queue
        )
    print(
        f"Submitted {len(job.task_ids)} trial task(s) for study {study.study_name!r} to "
        f"{mask_url(str(job.app.conf.broker_url))} (job {job.job_id})."
    )
    if not args.wait:
        return 0
    try:
        counts = job.wait(timeout=args.timeout, progress=not args.no_progress)
    except TimeoutError:
        raise _common.UsageError(
            f"the tasks did not all finish within {args.timeout:g} s; they keep running "
            f"(see 'hpo-queue status --study-name {study.study_name}')"
        ) from None
    except KeyboardInterrupt:
        revoked = job.cancel()
        print(
            f"\nInterrupted: the job is cancelled; {revoked} trial(s) not yet started will not "
            "run (running ones finish).",
            file=sys.stderr,
        )
        return 130
    print("This job's trials: " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))
    print(
        "The study's trials: " + ", ".join(f"{name} {n}" for name, n in job.trial_counts().items())
    )
    if len(study.directions) == 1:
        try:
            best = study.best_trial
        except NoCompletedTrialsError:
            print("No trial completed.")
        else:
            print(f"Best trial {best.number}: value {best.value!r}, params {best.params}")
    reasons = job_fail_reasons(job)
    for reason, numbers in reasons.items():
        shown = ", ".join(str(n) for n in numbers[:10]) + (" ..." if len(numbers) > 10 else "")
        print(f"{len(numbers)} trial(s) failed ({shown}): {printable(reason)}", file=sys.stderr)
    if counts.get("cancelled"):
        print(f"The job was cancelled: {counts['cancelled']} trial(s) not run.", file=sys.stderr)
    return 0 if job.succeeded() else 1


def _listing(pairs: Iterable[tuple[str, int]]) -> str:
    return ", ".join(f"{name} {n}" for name, n in pairs)


def job_fail_reasons(job: TrialJob) -> dict[str, list[int]]:
    """The job's failed trials grouped by the first line of their reason."""
    trials = job.study.get_trials(deepcopy=False, states=[TrialState.FAIL])
    return group_fail_reasons(t for t in trials if t.job_id == job.job_id)
