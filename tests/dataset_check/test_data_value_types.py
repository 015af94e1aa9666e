"""detseg-check-data refuses the data values a training run refuses, with the run's message.

A data section is checked by one function (``detseg.config.data_file.check_data_section``)
wherever it comes from: a data file, a config, a config without a model, a dataset folder, and
after ``--set data.KEY=VALUE``. ``load_masks: maybe`` (which the readers would take as true), a
list where a path is wanted and ``classes: 5`` are refused before anything is read, naming the
file, the ``_base_`` file or the ``--set`` item that wrote the value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config
from detseg.data.shapes import generate_shapes
from detseg.dataset_check import load_data_section
from detseg.shell_words import shell_word

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)
load_data_section = as_tool(load_data_section)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"
COCO_KEYS = (
    "format: coco\nroot: datasets/shapes\ntrain_ann: annotations/instances_train.json\n"
    "val_ann: annotations/instances_val.json\n"
)

#: A wrong line of a coco data section, and the end of the message both tools give.
BAD_VALUES = [
    ("load_masks: notbool", "'data.load_masks' must be a bool, got 'notbool'"),
    ("val_images: [a, b]", "'data.val_images' must be a string, got ['a', 'b']"),
    ("train_images: 2017", "'data.train_images' must be a string, got 2017 (YAML reads"),
    ("classes: 5", "data.classes must be a list of class names ([cat, dog]) or a file of names"),
    ("classes: {a: 1}", "data.classes must be a list of class names"),
    ("classes: []", "data.classes lists no class names"),
]
IDS = ["switch", "list_path", "number_path", "number_classes", "mapping_classes", "no_classes"]


def _message(call, *args) -> str:
    with pytest.raises(ConfigError) as caught:
        call(*args)
    return str(caught.value)


@pytest.mark.parametrize(("line", "expected"), BAD_VALUES, ids=IDS)
def test_a_data_file_value_is_refused_as_training_refuses_it(tmp_path, line, expected):
    data = tmp_path / "data.yaml"
    data.write_text(f"{COCO_KEYS}{line}\n")
    checked = _message(load_data_section, data)
    assert checked == _message(load_config, DEMO, [], data)  # one message: detseg-train --data
    assert checked.startswith(f"{data}: {expected}")


@pytest.mark.parametrize(("line", "expected"), BAD_VALUES, ids=IDS)
def test_a_config_value_is_refused_naming_the_config(tmp_path, line, expected):
    config = tmp_path / "exp.yaml"
    config.write_text(f"_base_: {DEMO}\ndata:\n  {line}\n")
    checked = _message(load_data_section, config)
    assert checked == _message(load_config, config)
    assert checked.startswith(f"{config}: {expected}")


@pytest.mark.parametrize(("line", "expected"), BAD_VALUES, ids=IDS)
def test_a_value_of_a_config_without_model_names_the_file_that_wrote_it(tmp_path, line, expected):
    base = tmp_path / "data_base.yaml"
    base.write_text("data:\n" + "".join(f"  {row}\n" for row in f"{COCO_KEYS}{line}".split("\n")))
    config = tmp_path / "mine.yaml"
    config.write_text(f"_base_: {base}\ntrain: {{epochs: 1}}\n")
    assert _message(load_data_section, config).startswith(f"{base}: {expected}")
    # the same value in the top file names the top file
    config.write_text(f"_base_: {base}\ndata:\n  {line}\n")
    assert _message(load_data_section, config).startswith(f"{config}: {expected}")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("data.load_masks=notbool", "'data.load_masks' must be a bool, got 'notbool'"),
        ("data.classes=5", "data.classes must be a list of class names"),
        ("data.classes=[]", "data.classes lists no class names"),
    ],
    ids=["switch", "number_classes", "no_classes"],
)
def test_a_set_value_is_refused_naming_the_item(tmp_path, item, expected):
    data = tmp_path / "data.yaml"
    data.write_text(COCO_KEYS)
    trained = _message(load_config, DEMO, [item], data)
    assert trained.startswith(f"--set {shell_word(item)}: {expected}")
    folder = tmp_path / "shapes"  # a dataset folder (not the checkout's datasets/shapes)
    generate_shapes(folder, num_train=2, num_val=1, size=32, seed=0, progress=False)
    for source in (data, DEMO, folder, REPO / "configs/_base_/voc_0712.yaml"):
        sets = [item] if "voc" not in source.name else ["data.format=coco", item]
        checked = _message(load_data_section, source, sets)
        assert checked.startswith(f"--set {shell_word(item)}: {expected}")


def test_a_value_set_right_on_the_command_line_passes(tmp_path):
    """The wrong value of a config's file is replaced by the override, as in training."""
    config = tmp_path / "mine.yaml"
    config.write_text(f"data:\n  {COCO_KEYS.replace(chr(10), chr(10) + '  ')}load_masks: no way\n"
                      "train: {epochs: 1}\n")  # fmt: skip
    data, _ = load_data_section(config, ["data.load_masks=yes"])
    assert data["load_masks"] is True


def test_a_switch_from_a_data_file_reaches_the_check_as_a_bool(tmp_path):
    data = tmp_path / "data.yaml"
    data.write_text(f"{COCO_KEYS}load_masks: 'false'\n")  # quoted: a string to YAML
    section, _ = load_data_section(data)
    assert section["load_masks"] is False
    assert load_config(DEMO, [], data).data.options["load_masks"] is False
