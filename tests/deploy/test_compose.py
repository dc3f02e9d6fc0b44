"""docker-compose.yml, the Dockerfile and .env.example, checked by parsing (no Docker engine).

The environment names are checked against hpo_queue.settings.ENV_VARS, so renaming a
setting in the code without updating the deployment files fails here.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_queue.settings import CONFIG_ENV_VAR, ENV_VARS, Settings
from tests.support.yaml_strings import strings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"

HPO_NAMES = set(ENV_VARS.values()) | {CONFIG_ENV_VAR}
REQUIRED_WORKER_VARS = ("HPO_STORAGE_URL", "HPO_BROKER_URL", "HPO_OBJECTIVE_MODULES")
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}, ${NAME:+alt}
VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
HPO_NAME = re.compile(r"\bHPO_[A-Z0-9_]+\b")
URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]+)@")
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|AUTH", re.IGNORECASE)
REDIS_SECRET_FILE = "/run/secrets/redis_password"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def command_text(service: dict[str, Any]) -> str:
    """A service's command as one string, whether given as a string or a list."""
    command = service.get("command", "")
    return " ".join(str(part) for part in command) if isinstance(command, list) else str(command)


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whether given as a mapping or ``KEY=VALUE`` list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def variable_refs(text: str) -> list[tuple[str, str, str]]:
    """The ``${...}`` references in ``text`` as (name, operator, argument); ``$$`` is a "$"."""
    return VAR_REF.findall(text.replace("$$", ""))


def env_example_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            names[key.strip()] = value.strip()
    return names


def interpolate(value: str, env: dict[str, str]) -> str:
    """``value`` as compose would substitute it with ``env`` as the .env file."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if env.get(name):
            return env[name]
        return argument if operator in (":-", "-") else ""

    return VAR_REF.sub(substitute, value).replace("$$", "$")


def is_whole_reference(value: str) -> bool:
    return VAR_REF.fullmatch(value) is not None


def test_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert {"mysql", "redis", "worker", "flower", "coordinator"} <= set(services)
    assert services["mysql"]["image"].startswith("mysql:8")
    assert services["redis"]["image"].startswith("redis:7")


def test_worker_scales(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    # A container_name or a host port would make `--scale worker=N` fail for N > 1.
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "build" in worker
    assert command_text(worker).startswith("celery -A workers worker")
    assert "--concurrency=${WORKER_CONCURRENCY" in command_text(worker)


def test_worker_has_required_settings(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["worker"])
    for name in REQUIRED_WORKER_VARS:
        assert env.get(name), f"worker does not set {name}"
    assert env["HPO_STORAGE_URL"].startswith("mysql://hpo:${MYSQL_PASSWORD")
    assert env["HPO_STORAGE_URL"].endswith("@mysql:3306/hpo")
    assert env["HPO_BROKER_URL"].startswith("redis://:${REDIS_PASSWORD")
    assert env["HPO_BROKER_URL"].endswith("@redis:6379/0")
    assert env["HPO_OBJECTIVE_MODULES"] == "example_objective"
    coordinator = environment(services["coordinator"])
    assert coordinator["HPO_STORAGE_URL"] == env["HPO_STORAGE_URL"]
    assert coordinator["HPO_BROKER_URL"] == env["HPO_BROKER_URL"]


def test_hpo_names_are_settings(services: dict[str, dict[str, Any]]) -> None:
    used = set(HPO_NAME.findall(COMPOSE_FILE.read_text(encoding="utf-8")))
    for service in services.values():
        used |= {name for name in environment(service) if name.startswith("HPO_")}
    unknown = used - HPO_NAMES
    assert not unknown, f"not read by hpo_queue.settings: {sorted(unknown)}"
    # The worker's values must also be accepted by Settings as a worker would load them.
    example = env_example_names()
    worker_env = {
        k: interpolate(v, example)
        for k, v in environment(services["worker"]).items()
        if k in HPO_NAMES
    }
    settings = Settings.load(env=worker_env)
    assert settings.objective_modules == ("example_objective",)
    assert settings.storage_url == "mysql://hpo:change-me@mysql:3306/hpo"
    assert settings.broker_url == "redis://:change-me@redis:6379/0"


def test_depends_on_healthy_services(services: dict[str, dict[str, Any]]) -> None:
    expected = {
        "worker": {"mysql", "redis"},
        "coordinator": {"mysql", "redis"},
        "flower": {"redis"},
    }
    for name, needed in expected.items():
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions (long form)"
        assert needed <= set(depends_on), name
        for dependency, spec in depends_on.items():
            assert spec["condition"] == "service_healthy", f"{name} -> {dependency}"
            assert services[dependency]["healthcheck"]["test"], dependency


def test_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if "profiles" not in service:  # long-running services, not one-off tools
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    mysql_check = " ".join(services["mysql"]["healthcheck"]["test"])
    assert "mysqladmin ping" in mysql_check
    redis_check = " ".join(services["redis"]["healthcheck"]["test"])
    assert "redis-cli ping" in redis_check
    # The password comes from REDISCLI_AUTH, not `-a` (echoed into warnings and health logs).
    assert " -a " not in f" {redis_check} "
    assert f'REDISCLI_AUTH="$$(cat {REDIS_SECRET_FILE})"' in redis_check
    worker_check = " ".join(services["worker"]["healthcheck"]["test"])
    assert "celery -A workers inspect ping" in worker_check


def test_mysql_and_redis(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    mysql = services["mysql"]
    assert "mysql-data" in compose["volumes"]
    assert "mysql-data:/var/lib/mysql" in mysql["volumes"]
    env = environment(mysql)
    assert env["MYSQL_DATABASE"] == "hpo"
    assert env["MYSQL_USER"] == "hpo"
    assert env["MYSQL_PASSWORD"].startswith("${MYSQL_PASSWORD:?")
    assert env["MYSQL_ROOT_PASSWORD"].startswith("${MYSQL_ROOT_PASSWORD:?")
    assert "redis-data:/data" in services["redis"]["volumes"]


def test_the_redis_password_is_on_no_command_line_and_in_no_environment(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    redis = services["redis"]
    # `ps` and `docker inspect` show the command, the healthcheck and the environment.
    shown = [command_text(redis), " ".join(redis["healthcheck"]["test"])]
    shown += list(environment(redis).values())
    for text in shown:
        assert "REDIS_PASSWORD" not in text, text
        assert "--requirepass" not in text, text
    # It comes from a secret file made from .env's REDIS_PASSWORD ...
    assert compose["secrets"]["redis_password"] == {"environment": "REDIS_PASSWORD"}
    assert "redis_password" in redis["secrets"]
    assert "REDIS_PASSWORD" in env_example_names()
    # ... read by the shell into Redis's config on stdin (`redis-server -`), exec'd so that
    # Redis gets the stop signal itself.
    script = redis["command"][2]
    assert redis["command"][:2] == ["sh", "-c"]
    assert script.startswith("exec docker-entrypoint.sh redis-server - --appendonly yes <<CONF\n")
    assert f'requirepass "$$(cat {REDIS_SECRET_FILE})"' in script


def test_the_redis_start_script_runs_with_the_password_hidden(
    services: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """The compose service's command and healthcheck, run against a local redis-server."""
    server = shutil.which("redis-server")
    if server is None or shutil.which("redis-cli") is None:
        pytest.skip("redis-server and redis-cli are not installed (the file checks above ran)")
    password = "s3cret-" + secrets.token_hex(8)
    secret_file = tmp_path / "redis_password"
    secret_file.write_text(password)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The image's entrypoint, here only adding a private port and folder to Redis's options.
    shim = tmp_path / "bin" / "docker-entrypoint.sh"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "$@" --port {port} --bind 127.0.0.1 --dir {tmp_path}\n')
    shim.chmod(0o755)

    def as_run(text: str) -> str:
        """``text`` as the container's shell gets it: ``$$`` unescaped, our secret file."""
        return text.replace("$$", "$").replace(REDIS_SECRET_FILE, str(secret_file))

    env = {"PATH": f"{shim.parent}:{os.environ['PATH']}"}
    script = as_run(services["redis"]["command"][2])
    process = subprocess.Popen(["sh", "-c", script], env=env, cwd=tmp_path)
    try:
        check = as_run(services["redis"]["healthcheck"]["test"][1]).replace(
            "redis-cli ping", f"redis-cli -p {port} ping"
        )
        deadline = time.monotonic() + 20
        while subprocess.run(["sh", "-c", check], env=env, check=False).returncode != 0:
            assert process.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "the healthcheck never passed"
            time.sleep(0.1)
        unauthenticated = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, check=False
        )
        assert "NOAUTH" in unauthenticated.stdout + unauthenticated.stderr
        # exec all the way down: the started process is Redis itself, without the password.
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
        environ = Path(f"/proc/{process.pid}/environ").read_bytes().decode(errors="replace")
        assert "redis-server" in cmdline
        assert password not in cmdline and password not in environ
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_flower(services: dict[str, dict[str, Any]]) -> None:
    flower = services["flower"]
    command = command_text(flower)
    assert command.startswith("celery -A workers flower")
    assert "--port=5555" in command
    # The login comes from Flower's own environment variable, not the command line.
    assert "--basic-auth" not in command
    assert environment(flower)["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    # Published on loopback by default, like MySQL and Redis: Flower's login is basic auth
    # over plain HTTP, so it is not put on every interface of the host.
    assert flower["ports"] == ["${FLOWER_PUBLISH_ADDRESS:-127.0.0.1}:${FLOWER_PORT:-5555}:5555"]
    for service in services.values():
        for port in service.get("ports", []):
            published = interpolate(str(port), env_example_names())
            assert published.startswith("127.0.0.1:"), f"{port} is not on loopback by default"
    assert (
        environment(flower)["HPO_BROKER_URL"] == environment(services["worker"])["HPO_BROKER_URL"]
    )


def test_no_literal_secret_in_compose(compose: dict[str, Any]) -> None:
    for service_name, service in compose["services"].items():
        for key, value in environment(service).items():
            if SECRET_KEY.search(key):
                assert is_whole_reference(value), f"{service_name}.{key} is not a ${{VAR}}"
    for text in strings(compose):
        for password in URL_PASSWORD.findall(text):
            assert is_whole_reference(password), f"literal password in URL {text!r}"
        for name, operator, _ in variable_refs(text):
            if SECRET_KEY.search(name):
                # A secret has no default: compose must refuse to start without it.
                assert operator in (":?", "?"), f"${{{name}}} needs :?message, not a default"
        assert "change-me" not in text.lower(), f"placeholder secret in compose: {text!r}"


def test_env_example_names_every_variable() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    refs = variable_refs(text)
    required = {name for name, operator, _ in refs if operator in (":?", "?")}
    assert {"MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD", "REDIS_PASSWORD", "FLOWER_BASIC_AUTH"} <= (
        required
    )
    example = env_example_names()
    missing = {name for name, _, _ in refs} - set(example)
    assert not missing, f".env.example does not name {sorted(missing)}"
    for name in required:
        assert "change-me" in example[name], f"{name} in .env.example is not a placeholder"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def test_dockerfile() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(args for instruction, args in instructions if instruction == "RUN")
    assert re.search(r"pip install [^&]*\.\[flower\]", runs)
    users = [args for instruction, args in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    cmd = [args for instruction, args in instructions if instruction == "CMD"][-1]
    assert cmd.startswith('["celery", "-A", "workers", "worker"')
    ignored = set(DOCKERIGNORE.read_text(encoding="utf-8").split())
    for copied in ("pyproject.toml", "README.md", "hpo_queue", "workers", "examples"):
        assert copied not in ignored and (ROOT / copied).exists(), copied


def example_objective_copy() -> tuple[Path, str]:
    """The example objective the Dockerfile copies in, and the folder it lands in."""
    for instruction, arguments in dockerfile_instructions():
        if instruction == "COPY" and "examples/objectives/" in arguments:
            source, destination = arguments.split()[-2:]
            return ROOT / source, destination
    raise AssertionError("the Dockerfile copies no example objective")


def test_dockerfile_objective_is_importable_by_workers(
    services: dict[str, dict[str, Any]],
) -> None:
    source, destination = example_objective_copy()
    assert source.is_file(), f"{source} does not exist"
    pythonpath = " ".join(
        args for instruction, args in dockerfile_instructions() if instruction == "ENV"
    )
    folder = str(Path(destination).parent) if destination.endswith(".py") else destination
    assert re.search(rf"PYTHONPATH={re.escape(folder.rstrip('/'))}\b", pythonpath)
    module = Path(destination).stem if destination.endswith(".py") else source.stem
    assert environment(services["worker"])["HPO_OBJECTIVE_MODULES"] == module


@pytest.fixture
def example_objective_module(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    source, _ = example_objective_copy()
    monkeypatch.syspath_prepend(str(source.parent))
    yield
    sys.modules.pop(source.stem, None)


@pytest.mark.usefixtures("example_objective_module")
def test_example_objective_runs(services: dict[str, dict[str, Any]]) -> None:
    import hpo_queue as hq
    from hpo_queue.execution.objectives import resolve_objective

    # Resolved the way a worker does: by reference, allowed by HPO_OBJECTIVE_MODULES.
    worker_env = environment(services["worker"])
    allowed = Settings.load(env={"HPO_OBJECTIVE_MODULES": worker_env["HPO_OBJECTIVE_MODULES"]})
    objective = resolve_objective("example_objective:objective", allowed.objective_modules)
    study = hq.create_study(storage=None, direction="minimize")
    study.optimize(objective, n_trials=3)
    trials = study.trials
    assert len(trials) == 3
    assert all(t.state in (hq.TrialState.COMPLETE, hq.TrialState.PRUNED) for t in trials)
    complete = [t for t in trials if t.state == hq.TrialState.COMPLETE]
    assert complete and all(0.0 < t.value < 1.0 for t in complete)  # log-loss of a fair model
    assert set(trials[0].params) == {"learning_rate", "l2", "batch_size", "optimizer"}
    assert trials[0].intermediate_values  # it reports, so pruners can act


def compose_plugin_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, timeout=30
    )
    return probe.returncode == 0


def test_docker_compose_config(tmp_path: Path) -> None:
    """``docker compose config`` validates the file client-side, without an engine."""
    if not compose_plugin_available():
        pytest.skip("the docker compose plugin is not installed (optional; no engine needed)")
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(
        [
            "docker",
            "compose",
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            "--profile",
            "tools",
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
