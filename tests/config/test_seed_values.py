"""``seed`` is a whole number from 0 to 2**63 - 1, checked when the config is loaded: NumPy
refuses a negative seed and torch one beyond 64 bits, which would otherwise fail when the run
seeds its generators, without naming the key."""

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize("value", [-1, -5, 2**63, 10**20])
def test_a_seed_out_of_range_is_refused_at_load(value) -> None:
    message = (
        rf"^--set seed={value}: seed must be a whole number from 0 to 2\*\*63 - 1, got {value}$"
    )
    with pytest.raises(ConfigError, match=message):
        load_config(DEMO, [f"seed={value}"])


@pytest.mark.parametrize("value", [0, 42, 2**32, 2**63 - 1])
def test_a_seed_in_range_is_kept(value) -> None:
    assert load_config(DEMO, [f"seed={value}"]).seed == value
