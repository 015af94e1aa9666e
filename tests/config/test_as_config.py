"""``as_config`` and ``detseg.engine.train`` given a path or a dict instead of a Config."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import Config, ConfigError, as_config, load_config
from detseg.engine import train

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def test_config_passes_as_it_is() -> None:
    cfg = load_config(DEMO)
    assert as_config(cfg) is cfg


@pytest.mark.parametrize("as_text", [True, False])
def test_path_reads_the_file(as_text: bool) -> None:
    cfg = as_config(str(DEMO) if as_text else DEMO)
    assert isinstance(cfg, Config)
    assert cfg.model == load_config(DEMO).model


def test_dict_is_validated() -> None:
    raw = {"model": {"name": "ssd"}, "data": {"format": "coco"}}
    cfg = as_config(raw)
    assert cfg.model.name == "ssd"
    with pytest.raises(ConfigError, match="<dict>.*model.no_such_key"):
        as_config({"model": {"name": "ssd", "no_such_key": 1}})


def test_other_types_name_what_to_give() -> None:
    with pytest.raises(TypeError, match=r"got int; read a file with detseg.config.load_config"):
        as_config(42)  # type: ignore[arg-type]


def test_train_reads_a_path_and_a_dict(tmp_path: Path) -> None:
    """``train`` converts its ``cfg`` first: a config file's error names the file (it raised
    ``AttributeError: 'str' object has no attribute 'device'`` before)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  name: ssd\n  no_such_key: 1\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*model\.no_such_key"):
        train(str(bad), tmp_path / "run")
    with pytest.raises(ConfigError, match=r"<dict>.*model\.no_such_key"):
        train({"model": {"name": "ssd", "no_such_key": 1}}, tmp_path / "run")
    with pytest.raises(TypeError, match="got list"):
        train([], tmp_path / "run")  # type: ignore[arg-type]
    assert not (tmp_path / "run").exists()
