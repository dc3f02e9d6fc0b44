"""The Kubernetes example under deploy/kubernetes, checked by parsing (no cluster needed).

Environment names are checked against hpo_queue.settings.ENV_VARS, and every secret must
come from the Secret ``hpo-queue-secrets``, never from a literal in a Deployment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_queue.settings import CONFIG_ENV_VAR, ENV_VARS
from tests.support.yaml_strings import strings

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "deploy" / "kubernetes"
SECRET_NAME = "hpo-queue-secrets"
HPO_NAMES = set(ENV_VARS.values()) | {CONFIG_ENV_VAR}
REQUIRED_WORKER_VARS = ("HPO_STORAGE_URL", "HPO_BROKER_URL", "HPO_OBJECTIVE_MODULES")
# Values that may carry credentials: they must be read from the Secret.
SECRET_VARS = ("HPO_STORAGE_URL", "HPO_BROKER_URL", "HPO_RESULT_BACKEND", "FLOWER_BASIC_AUTH")
HPO_NAME = re.compile(r"\bHPO_[A-Z0-9_]+\b")
URL_WITH_PASSWORD = re.compile(r"://[^:/@\s]*:[^@\s]+@")
PLACEHOLDER = "CHANGE-ME"

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def manifests() -> list[tuple[Path, Manifest]]:
    """Every YAML document under deploy/kubernetes, with the file it came from."""
    documents = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                assert isinstance(document, dict) and "kind" in document, path.name
                documents.append((path, document))
    assert documents, f"no manifests in {K8S_DIR}"
    return documents


def find(manifests: list[tuple[Path, Manifest]], kind: str, name: str) -> Manifest:
    for _, manifest in manifests:
        if manifest["kind"] == kind and manifest["metadata"]["name"] == name:
            return manifest
    raise AssertionError(f"no {kind} {name} under {K8S_DIR}")


def container(deployment: Manifest) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def secret_keys(manifests: list[tuple[Path, Manifest]]) -> set[str]:
    secret = find(manifests, "Secret", SECRET_NAME)
    return set(secret.get("stringData") or {}) | set(secret.get("data") or {})


def env_sources(spec: dict[str, Any]) -> dict[str, str]:
    """Each environment variable of a container -> "secret", "literal" or another source.

    ``envFrom`` with the Secret contributes the Secret's keys as "secret" (filled in by the
    caller, which knows them); here it is recorded under the pseudo-name ``*secret``.
    """
    sources: dict[str, str] = {}
    for item in spec.get("envFrom") or []:
        if item.get("secretRef", {}).get("name") == SECRET_NAME:
            sources["*secret"] = "secret"
    for item in spec.get("env") or []:
        ref = (item.get("valueFrom") or {}).get("secretKeyRef")
        if ref is not None:
            assert ref["name"] == SECRET_NAME, item["name"]
            sources[item["name"]] = "secret"
        elif "value" in item:
            sources[item["name"]] = "literal"
        else:
            sources[item["name"]] = "other"
    return sources


def resolved_env(manifests: list[tuple[Path, Manifest]], spec: dict[str, Any]) -> dict[str, str]:
    sources = env_sources(spec)
    if sources.pop("*secret", None):
        for key in secret_keys(manifests):
            sources.setdefault(key, "secret")
    return sources


def test_kinds(manifests: list[tuple[Path, Manifest]]) -> None:
    find(manifests, "Deployment", "hpo-queue-worker")
    find(manifests, "Deployment", "hpo-queue-flower")
    find(manifests, "Service", "hpo-queue-flower")
    find(manifests, "Secret", SECRET_NAME)


def test_manifests_have_no_namespace(manifests: list[tuple[Path, Manifest]]) -> None:
    for path, manifest in manifests:
        assert "namespace" not in manifest.get("metadata", {}), path.name
        assert "namespace" not in manifest, path.name  # kustomization's namespace field


def test_deployment_selectors_match(manifests: list[tuple[Path, Manifest]]) -> None:
    for _, manifest in manifests:
        if manifest["kind"] == "Deployment":
            selector = manifest["spec"]["selector"]["matchLabels"]
            labels = manifest["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= labels.items(), manifest["metadata"]["name"]


def test_worker(manifests: list[tuple[Path, Manifest]]) -> None:
    worker = container(find(manifests, "Deployment", "hpo-queue-worker"))
    assert " ".join(worker["command"]).startswith("celery -A hpo_queue.worker worker")
    assert worker["resources"]["requests"] and worker["resources"]["limits"]
    probe = " ".join(worker["livenessProbe"]["exec"]["command"])
    assert "celery -A hpo_queue.worker inspect ping" in probe
    assert "celery@$HOSTNAME" in probe
    env = resolved_env(manifests, worker)
    for name in REQUIRED_WORKER_VARS:
        assert name in env, f"worker does not set {name}"
    literals = {item["name"]: item.get("value") for item in worker.get("env", [])}
    assert literals.get("HPO_OBJECTIVE_MODULES") == "example_objective"


def test_settings_come_from_the_secret(manifests: list[tuple[Path, Manifest]]) -> None:
    keys = secret_keys(manifests)
    for _, manifest in manifests:
        if manifest["kind"] != "Deployment":
            continue
        spec = container(manifest)
        for item in spec.get("env") or []:
            ref = (item.get("valueFrom") or {}).get("secretKeyRef")
            if ref is not None:
                assert ref["key"] in keys, f"{ref['key']} is not in the example Secret"
        for name, source in resolved_env(manifests, spec).items():
            if name in SECRET_VARS:
                assert source == "secret", f"{manifest['metadata']['name']}: {name} is {source}"


def test_hpo_names_are_settings(manifests: list[tuple[Path, Manifest]]) -> None:
    used: set[str] = set()
    for _, manifest in manifests:
        for text in strings(manifest):
            used |= set(HPO_NAME.findall(text))
    unknown = used - HPO_NAMES
    assert not unknown, f"not read by hpo_queue.settings: {sorted(unknown)}"


def test_flower(manifests: list[tuple[Path, Manifest]]) -> None:
    deployment = find(manifests, "Deployment", "hpo-queue-flower")
    flower = container(deployment)
    command = " ".join(flower["command"])
    assert command.startswith("celery -A hpo_queue.worker flower")
    assert "--port=5555" in command
    assert "--basic-auth" not in command  # the login comes from FLOWER_BASIC_AUTH
    assert env_sources(flower).get("FLOWER_BASIC_AUTH") == "secret"
    assert env_sources(flower).get("HPO_BROKER_URL") == "secret"
    ports = {port.get("name"): port["containerPort"] for port in flower["ports"]}
    assert 5555 in ports.values()

    service = find(manifests, "Service", "hpo-queue-flower")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == 5555
    target = port.get("targetPort", port["port"])
    assert ports.get(target, target) == 5555


def test_example_secret_holds_placeholders_only(manifests: list[tuple[Path, Manifest]]) -> None:
    for path, manifest in manifests:
        if manifest["kind"] == "Secret":
            assert "EXAMPLE" in path.read_text(encoding="utf-8"), path.name
            values = manifest.get("stringData") or {}
            assert values and not manifest.get("data"), "use readable stringData placeholders"
            for key, value in values.items():
                assert PLACEHOLDER in value, f"{key} is not clearly a placeholder"


def test_no_secret_outside_the_secret(manifests: list[tuple[Path, Manifest]]) -> None:
    for path, manifest in manifests:
        if manifest["kind"] == "Secret":
            continue
        for text in strings(manifest):
            assert not URL_WITH_PASSWORD.search(text), f"{path.name}: credentials in {text!r}"
            assert PLACEHOLDER not in text, f"{path.name}: placeholder secret {text!r}"
            assert "password" not in text.lower(), f"{path.name}: {text!r}"


def test_kustomization_leaves_out_the_example_secret(
    manifests: list[tuple[Path, Manifest]],
) -> None:
    kustomization = next(m for _, m in manifests if m["kind"] == "Kustomization")
    resources = kustomization["resources"]
    for resource in resources:
        assert (K8S_DIR / resource).is_file(), resource
    assert not any("secret" in resource for resource in resources)
    assert (K8S_DIR / "README.md").is_file()
