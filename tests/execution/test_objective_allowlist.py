"""The objective allowlist: refs are parsed strictly, refused modules are never imported."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpo_queue.exceptions import InvalidInputError, ObjectiveNotAllowedError
from hpo_queue.execution import objectives
from hpo_queue.execution.objectives import (
    is_module_allowed,
    objective_ref,
    parse_objective_ref,
    register_objective,
    resolve_objective,
)


def module_level_objective(trial: object) -> float:
    return 0.0


@pytest.fixture(autouse=True)
def _no_registrations() -> None:
    objectives.unregister_all()


def test_parse_accepts_module_colon_function() -> None:
    assert parse_objective_ref("pkg.sub:fn_1") == ("pkg.sub", "fn_1")


@pytest.mark.parametrize(
    "ref",
    [
        "pkg",
        "pkg:",
        ":fn",
        "pkg:fn()",
        "os;rm:x",
        "a..b:c",
        "pkg:fn.attr",
        "x" * 301 + ":f",
        3,
        None,
    ],
)
def test_parse_rejects_malformed_refs(ref: object) -> None:
    with pytest.raises(InvalidInputError):
        parse_objective_ref(ref)


def test_objective_ref_of_a_module_level_function() -> None:
    assert objective_ref(module_level_objective) == f"{__name__}:module_level_objective"


def test_objective_ref_refuses_lambdas_and_nested_functions() -> None:
    def nested(trial: object) -> float:
        return 0.0

    with pytest.raises(InvalidInputError, match="module-level"):
        objective_ref(lambda trial: 0.0)
    with pytest.raises(InvalidInputError, match="module-level"):
        objective_ref(nested)


def test_submodules_of_an_allowed_package_are_allowed_but_lookalikes_are_not() -> None:
    assert is_module_allowed("foo", ["foo"])
    assert is_module_allowed("foo.bar", ["foo"])
    assert not is_module_allowed("foobar", ["foo"])
    assert not is_module_allowed("os", [])


def test_a_refused_module_is_never_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "hq_refused_mod.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef objective(trial):\n    return 1.0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ObjectiveNotAllowedError, match="not in this worker's allowed"):
        resolve_objective("hq_refused_mod:objective", ["foo"])
    assert not marker.exists()
    assert "hq_refused_mod" not in sys.modules


def test_allowed_module_resolves_and_missing_function_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hq_allowed_mod.py").write_text("def objective(trial):\n    return 1.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resolve_objective("hq_allowed_mod:objective", ["hq_allowed_mod"])(None) == 1.0
    with pytest.raises(ObjectiveNotAllowedError, match="no function"):
        resolve_objective("hq_allowed_mod:missing", ["hq_allowed_mod"])


def test_explicit_registration_allows_one_function_only() -> None:
    ref = register_objective(module_level_objective)
    assert resolve_objective(ref, []) is module_level_objective
    with pytest.raises(ObjectiveNotAllowedError):
        resolve_objective(f"{__name__}:test_parse_accepts_module_colon_function", [])


@pytest.fixture
def allowed_mod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "hq_lookup_mod.py").write_text(
        "from os import system\n"
        "import sys\n"
        "exit = sys.exit\n"
        "class Objective:\n"
        "    def __call__(self, trial):\n"
        "        return 1.0\n"
        "instance = Objective()\n"
        "def _private(trial):\n"
        "    return 1.0\n"
        "def objective(trial):\n"
        "    return 1.0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "hq_lookup_mod"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("system", "not a function defined in hq_lookup_mod"),  # from os import system
        ("exit", "not a function defined in hq_lookup_mod"),  # a builtin bound to a name
        ("Objective", "not a function defined in hq_lookup_mod"),  # a class
        ("instance", "not a function defined in hq_lookup_mod"),  # a callable object
        ("_private", "underscore"),
        ("__init__", "underscore"),
        ("__loader__", "underscore"),
    ],
)
def test_only_public_functions_defined_in_an_allowed_module_resolve(
    allowed_mod: str, name: str, message: str
) -> None:
    with pytest.raises(ObjectiveNotAllowedError, match=message):
        resolve_objective(f"{allowed_mod}:{name}", [allowed_mod])
    assert resolve_objective(f"{allowed_mod}:objective", [allowed_mod])(None) == 1.0


def test_a_package_init_is_not_an_objective() -> None:
    with pytest.raises(ObjectiveNotAllowedError, match="underscore"):
        resolve_objective("json:__init__", ["json"])


@pytest.fixture
def sampler_mod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "hq_sampler_lookup_mod.py").write_text(
        "from collections import OrderedDict\n"
        "from hpo_queue.samplers import BaseSampler, RandomSampler\n"
        "class Mine(BaseSampler):\n"
        "    pass\n"
        "class _Hidden(BaseSampler):\n"
        "    pass\n"
        "class Plain:\n"
        "    pass\n"
        "def function(trial):\n"
        "    return 1.0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "hq_sampler_lookup_mod"
    sys.modules.pop("hq_sampler_lookup_mod", None)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("RandomSampler", "not a BaseSampler subclass defined in"),  # imported into the module
        ("OrderedDict", "not a BaseSampler subclass defined in"),
        ("Plain", "not a BaseSampler subclass defined in"),
        ("function", "not a BaseSampler subclass defined in"),
        ("_Hidden", "underscore"),
        ("Missing", "has no class 'Missing'"),
    ],
)
def test_only_subclasses_defined_in_an_allowed_module_resolve_as_classes(
    sampler_mod: str, name: str, message: str
) -> None:
    from hpo_queue.execution.objectives import resolve_class
    from hpo_queue.samplers import BaseSampler

    with pytest.raises(ObjectiveNotAllowedError, match=message):
        resolve_class(f"{sampler_mod}:{name}", [sampler_mod], BaseSampler, kind="Sampler")
    assert resolve_class(f"{sampler_mod}:Mine", [sampler_mod], BaseSampler, kind="Sampler")
    with pytest.raises(ObjectiveNotAllowedError, match="not in this worker's allowed"):
        resolve_class(f"{sampler_mod}:Mine", ["other"], BaseSampler, kind="Sampler")
