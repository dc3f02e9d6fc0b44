"""The long fault run: every fault of the reliability promise, several times, into RELIABILITY.md.

Each run starts private MariaDB and Redis servers (never the shared ones), two workers of
two processes, a study with a 5 s lease, submits with ``hpo-queue submit --wait``, injects
the fault and checks every promise against the objective's own log of finished evaluations.

    python benchmarks/faults.py --repeats 3 --update-doc

writes the table (each fault, the invariants, the longest stall after the fault) to
RELIABILITY.md. Without --update-doc it prints the table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: the harness lives in tests/support

from tests.support.fault_cluster import FaultCluster, Outcome  # noqa: E402
from tests.support.fault_scenarios import LONG, Scenario  # noqa: E402
from tests.support.private_servers import PrivateMariaDB, PrivateRedis  # noqa: E402

MARK_BEGIN = "<!-- faults:begin -->"
MARK_END = "<!-- faults:end -->"


def run_one(scenario: Scenario, mariadb: PrivateMariaDB) -> tuple[Outcome, str]:
    with tempfile.TemporaryDirectory(prefix="hq-fault-") as tmp:
        workdir = Path(tmp)
        redis = PrivateRedis(workdir)
        redis.start()
        if mariadb.process is None or mariadb.process.poll() is not None:
            mariadb.start()
        cluster = FaultCluster(workdir, mariadb, redis)
        try:
            outcome = scenario(cluster)
            logs = "" if outcome.ok else cluster.worker_logs()
        finally:
            cluster.stop()
            redis.kill()
    return outcome, logs


def table(results: dict[str, list[Outcome]], lease: float) -> str:
    rows = [
        "| fault | runs | every invariant held | cap exact | gap-free | none RUNNING/WAITING "
        "| no result lost | submit returned as expected | other workers alive "
        "| longest stall after the fault (median, max) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, outcomes in results.items():

        def count(check: str, outs: list[Outcome] = outcomes) -> str:
            held = sum(
                1 for o in outs if all(v for k, v in o.checks.items() if k.startswith(check))
            )
            return f"{held}/{len(outs)}"

        stalls = [o.recovery_seconds for o in outcomes if o.recovery_seconds is not None]
        stall = f"{statistics.median(stalls):.1f} s, {max(stalls):.1f} s" if stalls else "n/a"
        rows.append(
            f"| {name} | {len(outcomes)} | {sum(o.ok for o in outcomes)}/{len(outcomes)} "
            f"| {count('cap reached')} | {count('numbers unique')} | {count('nothing RUNNING')} "
            f"| {count('no finished result')} | {count('submit exit status')} "
            f"| {count('other workers')} | {stall} |"
        )
    rows.append("")
    rows.append(
        f"Lease (HPO_HEARTBEAT_GRACE) {lease:g} s, heartbeat interval 1 s, 2 workers x 2 "
        "processes, private MariaDB and Redis (no persistence)."
    )
    return "\n".join(rows)


def merged(old: str, new: str) -> str:
    """The old table with the new run's rows put in (by fault name) and its note appended."""

    def rows(text: str) -> dict[str, str]:
        return {
            line.split("|")[1].strip(): line
            for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| fault")
        }

    old_rows, new_rows = rows(old), rows(new)
    table_lines = [line for line in new.splitlines() if line.startswith("|")][:2]
    table_lines += [new_rows.get(name, line) for name, line in old_rows.items()]
    table_lines += [line for name, line in new_rows.items() if name not in old_rows]
    notes = [line for line in old.splitlines() if line and not line.startswith("|")]
    notes += [line for line in new.splitlines() if line.startswith("Measured at")]
    return "\n".join(table_lines) + "\n\n" + "\n\n".join(dict.fromkeys(notes))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each fault")
    parser.add_argument("--only", help="run only the faults whose function name contains this")
    parser.add_argument("--update-doc", action="store_true", help="rewrite RELIABILITY.md's table")
    args = parser.parse_args()
    scenarios = [s for s in LONG if not args.only or args.only in s.__name__]
    mariadb = PrivateMariaDB()
    results: dict[str, list[Outcome]] = {}
    started = time.monotonic()
    try:
        mariadb.start()
        for scenario in scenarios:
            for _ in range(args.repeats):
                outcome, logs = run_one(scenario, mariadb)
                results.setdefault(outcome.name, []).append(outcome)
                status = "ok" if outcome.ok else "FAILED"
                print(f"{outcome.name}: {status} in {outcome.seconds:.1f} s", flush=True)
                if not outcome.ok:
                    print(outcome.explain(), logs[-3000:], sep="\n", flush=True)
    finally:
        mariadb.remove()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    text = (
        f"{table(results, 5.0)}\n\nMeasured at commit {commit} with `python benchmarks/faults.py "
        f"--repeats {args.repeats}{' --only ' + args.only if args.only else ''} --update-doc` "
        f"({time.monotonic() - started:.0f} s in all)."
    )
    print(text)
    if args.update_doc:
        path = ROOT / "RELIABILITY.md"
        doc = path.read_text()
        start, end = doc.index(MARK_BEGIN) + len(MARK_BEGIN), doc.index(MARK_END)
        if args.only:  # a partial run adds its rows and keeps the others' rows and notes
            text = merged(doc[start:end], text)
        path.write_text(doc[:start] + "\n" + text + "\n" + doc[end:])
    return 0 if all(o.ok for outs in results.values() for o in outs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
