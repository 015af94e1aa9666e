"""``--set`` of a path field (``work_dir``, ``model.init_from``: ``str | None``) keeps the text
as written, however YAML would read it; only a null spelling gives null."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import load_config

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize("text", ["2024", "001", "1e3", "2024-01-01", "yes", "off", "[a]", " x "])
@pytest.mark.parametrize("key", ["work_dir", "model.init_from"])
def test_a_path_that_yaml_reads_as_another_type_stays_a_string(key, text):
    cfg = load_config(DEMO, [f"{key}={text}"])
    value = cfg.work_dir if key == "work_dir" else cfg.model.init_from
    assert value == text


@pytest.mark.parametrize("text", ["", "null", "Null", "NULL", "~", "none", "None"])
@pytest.mark.parametrize("key", ["work_dir", "model.init_from"])
def test_a_null_spelling_still_gives_null(key, text):
    cfg = load_config(DEMO, ["work_dir=runs/x", "model.init_from=w.pt", f"{key}={text}"])
    assert (cfg.work_dir if key == "work_dir" else cfg.model.init_from) is None


def test_a_mapping_override_takes_the_value_as_it_is():
    cfg = load_config(DEMO, {"work_dir": "2024", "model.init_from": None})
    assert (cfg.work_dir, cfg.model.init_from) == ("2024", None)
