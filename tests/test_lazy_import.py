"""LazyModule: imports on first use, then reads attributes at plain-attribute speed."""

from __future__ import annotations

import sys

import pytest

from hpo_queue._lazy_import import LazyModule


def test_module_is_imported_at_the_first_attribute_read_and_attributes_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "json.tool"
    monkeypatch.delitem(sys.modules, name, raising=False)  # restored after the test
    lazy = LazyModule(name)
    assert name not in sys.modules
    main = lazy.main
    assert name in sys.modules and main is sys.modules[name].main
    assert vars(lazy)["main"] is main  # kept: the next read does not reach __getattr__


def test_missing_attribute_raises_attribute_error() -> None:
    lazy = LazyModule("json")
    with pytest.raises(AttributeError):
        _ = lazy.no_such_attribute
    assert "no_such_attribute" not in vars(lazy)
