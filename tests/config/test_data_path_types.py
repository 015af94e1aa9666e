"""A data path or split key written as a number in YAML (``train_images: 2017``) is refused
when the config loads, with the advice to quote it; the reader would otherwise fail joining
``root / 2017`` with a traceback. ``--set data.train_images=2017`` is the text already."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def test_a_number_in_a_path_key_of_a_file_is_one_line_with_the_quoting_advice(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(f"_base_: {DEMO}\ndata: {{train_images: 2017}}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: 'data.train_images' must be a string, got 2017")
    assert "'2017' in quotes" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("fmt", "key"), [("voc", "val_split"), ("yolo", "train_labels"), ("folder_seg", "val_masks")]
)
def test_a_number_in_any_text_key_of_a_format_is_refused(fmt, key):
    with pytest.raises(ConfigError, match=f"'data.{key}' must be a string"):
        load_config(DEMO, {"data.format": fmt, f"data.{key}": 2007})


def test_quoted_or_set_from_the_command_line_it_is_a_name():
    assert load_config(DEMO, ["data.train_images=2017"]).data.options["train_images"] == "2017"
    assert load_config(DEMO, {"data.train_images": "2017"}).data.options["train_images"] == "2017"


def test_a_null_where_the_format_derives_the_path_stays_null():
    cfg = load_config(DEMO, {"data.format": "yolo", "data.train_labels": None})
    assert cfg.data.options["train_labels"] is None


def test_a_number_in_a_schema_path_key_gets_the_advice_too():
    with pytest.raises(ConfigError, match=r"'work_dir' must be a string or null, got 5 \(YAML"):
        load_config(DEMO, {"work_dir": 5})
