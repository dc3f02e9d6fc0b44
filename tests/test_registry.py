"""Sampler and pruner names in configs: aliases, and a suggestion for a typo."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("typed", "meant"), [("tpee", "tpe"), ("TPESamplr", "TPESampler")])
def test_an_unknown_sampler_name_suggests_the_closest_one(typed: str, meant: str) -> None:
    from hpo_queue.exceptions import ConfigError
    from hpo_queue.samplers import sampler_from_config

    with pytest.raises(ConfigError, match=f"did you mean '{meant}'") as caught:
        sampler_from_config({"name": typed})
    assert "Known: auto," in str(caught.value)  # the short names one types are listed


def test_an_unknown_pruner_name_suggests_the_closest_one() -> None:
    from hpo_queue.exceptions import ConfigError
    from hpo_queue.pruners import pruner_from_config

    with pytest.raises(ConfigError, match="did you mean 'median'"):
        pruner_from_config({"name": "medain"})
