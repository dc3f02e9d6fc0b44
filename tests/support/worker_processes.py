"""Starting and stopping real `celery -A hpo_queue.worker worker` processes in tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def worker_command(concurrency: int, name: str, *extra: str) -> list[str]:
    """The command line of one prefork worker with ``concurrency`` child processes."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "hpo_queue.worker",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
        "-n",
        f"{name}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        *extra,
    ]


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group, then SIGKILL what is still running after 15 s."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def worker_logs(workdir: Path) -> str:
    """The tail of every worker log, for an assertion message."""
    return "\n".join(
        f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
        for path in sorted(workdir.glob("worker-*.log"))
    )
