"""The device keys of a config: ``train.amp`` (default ``auto``), ``train.channels_last``,
``train.prefetch_factor`` and ``model.compile``, from YAML and from ``--set``."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import yaml

from detseg.config import ConfigError, builder_section, config_from_dict, load_config


def _toy_builder(num_classes: int, depth: int = 18):
    raise AssertionError("config loading must not build the model")


@pytest.fixture(autouse=True)
def toy_models(monkeypatch):
    fake = types.ModuleType("detseg.models")
    fake.MODELS = {"toy": _toy_builder}
    monkeypatch.setitem(sys.modules, "detseg.models", fake)


def _config(tmp_path: Path, train: dict | None = None, model: dict | None = None, sets=()):
    path = tmp_path / "exp.yaml"
    path.write_text(
        yaml.safe_dump({"model": {"name": "toy", **(model or {})}, "train": train or {}})
    )
    return load_config(path, list(sets))


def test_defaults(tmp_path):
    cfg = _config(tmp_path)
    assert (cfg.train.amp, cfg.train.channels_last, cfg.train.prefetch_factor) == (
        "auto",
        "auto",
        2,
    )
    assert cfg.model.compile == "none"
    assert "compile" not in cfg.model.to_dict()  # the model section of a checkpoint is as before


@pytest.mark.parametrize("value", [True, False, "auto"])
def test_channels_last_takes_auto_true_or_false(tmp_path, value):
    assert _config(tmp_path, {"channels_last": value}).train.channels_last == value


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False), ("auto", "auto")])
def test_channels_last_from_the_command_line(tmp_path, text, value):
    cfg = _config(tmp_path, sets=[f"train.channels_last={text}"])
    assert cfg.train.channels_last == value
    assert type(cfg.train.channels_last) is type(value)  # true is a bool, not a string


@pytest.mark.parametrize("value", ["yes", 1, 0])
def test_channels_last_refuses_other_values(tmp_path, value):
    with pytest.raises(ConfigError, match="channels_last"):
        _config(tmp_path, {"channels_last": value})


def test_amp_takes_auto_and_refuses_others(tmp_path):
    for value in ("auto", "none", "bf16", "fp16"):
        assert _config(tmp_path, sets=[f"train.amp={value}"]).train.amp == value
    with pytest.raises(ConfigError, match=r"'train.amp' must be one of \['auto', 'none'"):
        _config(tmp_path, {"amp": "fp32"})


def test_prefetch_factor_is_at_least_one(tmp_path):
    assert _config(tmp_path, {"prefetch_factor": 4}).train.prefetch_factor == 4
    with pytest.raises(ConfigError, match="train.prefetch_factor must be >= 1, got 0"):
        _config(tmp_path, {"prefetch_factor": 0})


def test_model_compile_is_a_run_key_not_a_builder_argument(tmp_path):
    cfg = _config(tmp_path, model={"compile": "backbone", "depth": 34})
    assert cfg.model.compile == "backbone" and cfg.model.kwargs == {"depth": 34}
    assert cfg.model.to_dict() == {"name": "toy", "depth": 34, "compile": "backbone"}
    assert cfg.model.builder_dict() == {"name": "toy", "depth": 34}
    assert builder_section({"name": "toy", "init_from": "a.pt", "compile": "all"}) == {
        "name": "toy"
    }
    again = config_from_dict(cfg.to_dict(), "<checkpoint>")  # a checkpoint's config round trip
    assert again.model.compile == "backbone" and again.model.kwargs == {"depth": 34}
    assert _config(tmp_path, sets=["model.compile=all"]).model.compile == "all"
    with pytest.raises(ConfigError, match=r"'model.compile' must be one of \['none', 'backbone'"):
        _config(tmp_path, model={"compile": "heads"})
