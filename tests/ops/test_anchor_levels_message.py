"""The anchor generator's level mismatch names the config keys."""

from __future__ import annotations

import pytest

from detseg.ops.anchors import AnchorGenerator


def test_level_mismatch_names_the_config_keys():
    with pytest.raises(ValueError, match="model.anchor_sizes and model.aspect_ratios"):
        AnchorGenerator(((32,),), ((1.0,),) * 4)
