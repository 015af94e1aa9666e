"""An overrides mapping from Python may hold numpy integers (``{"eval.max_images":
np.int64(50)}``, a value computed in a notebook): an int field takes them as Python ints, and
refuses a float or a bool, naming the key; a 0-d tensor is its number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

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


def test_zero_d_tensors_are_their_numbers():
    """``{"train.epochs": torch.tensor(3)}`` (a value computed with torch) is taken as the
    library's other arguments take it (``argument_checks.plain_number``)."""
    cfg = load_config(DEMO, {"train.epochs": torch.tensor(3), "train.lr": torch.tensor(0.5)})
    assert cfg.train.epochs == 3 and type(cfg.train.epochs) is int
    assert cfg.train.lr == 0.5 and type(cfg.train.lr) is float
    with pytest.raises(ConfigError, match="'train.epochs' must be an int"):
        load_config(DEMO, {"train.epochs": torch.tensor([3])})
