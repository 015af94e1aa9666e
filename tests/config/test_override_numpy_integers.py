"""An overrides mapping from Python may hold numpy integers (``{"eval.max_images":
np.int64(50)}``, a value computed in a notebook): an int field takes them as Python ints, and
refuses a float or a bool, naming the key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detseg.config import ConfigError, load_config

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def test_numpy_integers_are_ints():
    cfg = load_config(DEMO, {"eval.max_images": np.int64(3), "train.epochs": np.int32(2)})
    assert cfg.eval.max_images == 3 and type(cfg.eval.max_images) is int
    assert type(cfg.train.epochs) is int


@pytest.mark.parametrize("value", [np.float64(2.5), True, np.float32(2)])
def test_other_numbers_are_still_refused(value):
    with pytest.raises(ConfigError, match="'train.epochs' must be an int"):
        load_config(DEMO, {"train.epochs": value})
