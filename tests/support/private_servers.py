"""Private MariaDB and Redis servers for tests that stop, kill or restart them.

Each runs on a free port with a data directory of its own, started by the test and ended by
pid, so the shared servers on 3306 and 6379 are never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout} s")
        time.sleep(0.05)


def require_binary(binary: str) -> str:
    path = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        message = f"{binary} is not installed; the restart test starts a private one."
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def stop_process(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class PrivateRedis:
    """A redis-server on a free port, without persistence, that a test may kill and restart."""

    def __init__(self, directory: Path) -> None:
        self.binary = require_binary("redis-server")
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.directory / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port", str(self.port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "no",
                    "--dir", str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_until(self._answers, 10, f"private redis-server on port {self.port}")

    def kill(self) -> None:
        stop_process(self.process, signal.SIGKILL)

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def _answers(self) -> bool:
        import redis

        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited: {self.process.returncode}")
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


class PrivateMariaDB:
    """A mariadbd on a free port and a datadir of its own; root without a password."""

    def __init__(self, *, max_connections: int | None = None) -> None:
        self.max_connections = max_connections
        self.install = require_binary("mariadb-install-db")
        self.binary = require_binary("mariadbd")
        # A short path of its own: the socket path must stay under ~100 characters.
        self.directory = Path(tempfile.mkdtemp(prefix="hq-mdb-"))
        self.port = free_port()
        self.url = f"mysql://root@127.0.0.1:{self.port}/hq"
        self.process: subprocess.Popen[bytes] | None = None
        try:
            subprocess.run(
                [
                    self.install,
                    "--no-defaults",
                    f"--datadir={self.directory / 'data'}",
                    "--auth-root-authentication-method=normal",
                    "--user=root",
                    "--skip-test-db",
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    def start(self) -> None:
        with open(self.directory / "out.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--no-defaults",
                    f"--datadir={self.directory / 'data'}",
                    f"--port={self.port}",
                    f"--socket={self.directory / 'sock'}",
                    "--bind-address=127.0.0.1",
                    "--user=root",
                    "--skip-log-bin",
                    "--innodb-buffer-pool-size=32M",
                    f"--log-error={self.directory / 'error.log'}",
                    *(
                        [f"--max-connections={self.max_connections}"]
                        if self.max_connections
                        else []
                    ),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, 30, f"private mariadbd on port {self.port}")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), waiting until the server has exited."""
        stop_process(self.process)

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _answers(self) -> bool:
        import pymysql

        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"mariadbd exited:\n{self.error_log()[-2000:]}")
        try:
            conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=1)
        except pymysql.Error:
            return False
        with conn:
            conn.cursor().execute("CREATE DATABASE IF NOT EXISTS hq CHARACTER SET utf8mb4")
        return True

    def create_database(self, name: str) -> None:
        import pymysql

        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=5)
        with conn:
            conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4")

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
