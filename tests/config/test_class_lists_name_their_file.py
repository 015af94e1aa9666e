"""A ``data.classes`` list with an empty or repeated name is refused when the config or data
file is loaded, naming that file (the dataset readers, which see only the list, cannot)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from tool_wording import as_tool

from detseg.config import ConfigError, load_config, load_data_file

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "names", [["cat", "dog", ""], {0: "cat", 1: "dog", 2: None}, ["cat", "dog", None]]
)
def test_an_empty_ultralytics_name_names_the_yaml(tmp_path, names):
    path = _write(
        tmp_path / "coco8.yaml", {"train": "images/train", "val": "images/val", "names": names}
    )
    with pytest.raises(ConfigError) as info:
        load_data_file(path)
    assert str(info.value).startswith(
        f"{path} (an Ultralytics data yaml): 'names': class name 3 is empty; "
    )


def test_ultralytics_names_are_stripped(tmp_path):
    path = _write(
        tmp_path / "d.yaml",
        {"train": "images/train", "val": "images/val", "names": [" cat ", "dog"]},
    )
    assert load_data_file(path)["classes"] == ["cat", "dog"]


def test_an_empty_name_of_a_detseg_data_file_names_it(tmp_path):
    path = _write(tmp_path / "data.yaml", {"data": {"format": "yolo", "classes": ["a", " "]}})
    with pytest.raises(
        ConfigError, match=re.escape(f"{path}: data.classes: class name 2 is empty")
    ):
        load_data_file(path)


def test_names_equal_after_stripping_name_both_and_the_config(tmp_path):
    path = _write(
        tmp_path / "exp.yaml", {"_base_": str(DEMO), "data": {"classes": ["cat", " dog", "dog"]}}
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}: data.classes: class names 2 (' dog') and 3 ('dog') are the same name; class "
        "names must be unique"
    )


def test_a_set_item_is_named(tmp_path):
    item = "data.classes=[a, '']"  # one word of the shell: quoted
    with pytest.raises(ConfigError, match=re.escape(f"{shlex.quote(item)}: data.classes: class")):
        load_config(DEMO, [item])


def test_a_class_file_name_is_no_list_and_passes(tmp_path):
    assert load_config(DEMO, ["data.classes=names.txt"]).data.options["classes"] == "names.txt"
