"""Bounded train and eval keys: a value out of bounds is a ConfigError naming the key."""

from __future__ import annotations

import re
import sys
import types

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, config_from_dict

# The errors as the tools' error lines write them: an override as its --set item.
config_from_dict = as_tool(config_from_dict)


def _toy_builder(num_classes: int):
    raise AssertionError("config loading must not build the model")


@pytest.fixture(autouse=True)
def toy_models(monkeypatch):
    fake = types.ModuleType("detseg.models")
    fake.MODELS = {"toy": _toy_builder}
    monkeypatch.setitem(sys.modules, "detseg.models", fake)


def _load(*sets: str):
    return config_from_dict({"model": {"name": "toy"}}, "exp.yaml", overrides=sets)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.epochs=0", "train.epochs must be >= 1, got 0"),
        ("train.epochs=-3", "train.epochs must be >= 1, got -3"),
        ("train.max_iters=0", "train.max_iters must be >= 1 or null, got 0"),
        ("train.max_iters=-1", "train.max_iters must be >= 1 or null, got -1"),
        ("train.batch_size=0", "train.batch_size must be >= 1, got 0"),
        ("train.lr=0", "train.lr must be > 0, got 0.0"),
        ("train.lr=-0.1", "train.lr must be > 0, got -0.1"),
        ("train.grad_clip=0", "train.grad_clip must be > 0, got 0.0"),
        ("train.weight_decay=-1e-4", "train.weight_decay must be >= 0.0, got -0.0001"),
        ("train.momentum=1", "train.momentum must be in [0, 1), got 1.0"),
        ("train.warmup_factor=2", "train.warmup_factor must be in [0, 1], got 2.0"),
        ("train.warmup_iters=-1", "train.warmup_iters must be >= 0, got -1"),
        ("train.num_workers=-1", "train.num_workers must be >= 0, got -1"),
        ("train.log_every=0", "train.log_every must be >= 1, got 0"),
        ("train.eval_every=0", "train.eval_every must be >= 1, got 0"),
        ("train.ema_decay=1", "train.ema_decay must be in [0, 1), got 1.0"),
        ("eval.score_threshold=1.5", "eval.score_threshold must be in [0, 1], got 1.5"),
        ("eval.score_threshold=-0.1", "eval.score_threshold must be in [0, 1], got -0.1"),
        ("eval.max_images=0", "eval.max_images must be >= 1 or null, got 0"),
        ("eval.batch_size=0", "eval.batch_size must be >= 1, got 0"),
    ],
)
def test_out_of_bounds_names_the_source_and_the_key(override, message):
    """The source of the value is the ``--set`` that gave it."""
    with pytest.raises(ConfigError, match="^" + re.escape(f"--set {override}: {message}") + "$"):
        _load(override)


def test_the_bounds_themselves_and_null_are_valid():
    cfg = _load(
        "train.epochs=1",
        "train.max_iters=1",
        "train.max_iters=null",
        "train.momentum=0",
        "train.warmup_iters=0",
        "eval.score_threshold=0",
        "eval.score_threshold=1",
        "eval.max_images=null",
    )
    assert (cfg.train.epochs, cfg.train.max_iters, cfg.eval.score_threshold) == (1, None, 1.0)
