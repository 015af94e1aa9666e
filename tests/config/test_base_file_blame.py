"""An error found after the ``_base_`` files are merged names the file that wrote the wrong
value, not the experiment file over it; a wrong ``--set data.<key>`` names the ``--set`` item.

Unknown keys of the closed sections (``train``, ``eval``) are checked file by file; a value's
type and range, and the keys of the open ``model`` and ``data`` sections, are checked once the
files are merged, and their errors once named the top file whatever file held the mistake.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config
from detseg.config.bases import compose

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

SHAPES = Path(__file__).resolve().parents[2] / "configs" / "_base_" / "shapes_cpu.yaml"


def _chain(tmp_path: Path, base_text: str, top_text: str = "seed: 1\n") -> tuple[Path, Path]:
    base = tmp_path / "base.yaml"
    base.write_text(f"_base_: {SHAPES}\nmodel:\n  name: faster_rcnn\n{base_text}")
    top = tmp_path / "top.yaml"
    top.write_text(f"_base_: base.yaml\n{top_text}")
    return base, top


@pytest.mark.parametrize(
    ("base_text", "message"),
    [
        ("train:\n  epochs: two\n", ": 'train.epochs' must be an int, got 'two'"),
        ("train:\n  epochs: 0\n", ": train.epochs must be >= 1, got 0"),
        ("model:\n  min_sise: 3\n", ": unknown key 'model.min_sise'; did you mean"),
        ("data:\n  train_imgs: x\n", " (data.format=coco): unknown key 'data.train_imgs'"),
    ],
)
def test_a_mistake_in_a_base_names_the_base(tmp_path, base_text, message):
    base, top = _chain(tmp_path, base_text.replace("model:\n", ""))
    with pytest.raises(ConfigError) as err:
        load_config(top)
    assert str(err.value).startswith(f"{base}{message}"), err.value


def test_a_value_the_top_file_writes_over_the_base_names_the_top_file(tmp_path):
    _, top = _chain(tmp_path, "train:\n  epochs: 3\n", "train:\n  epochs: two\n")
    with pytest.raises(ConfigError) as err:
        load_config(top)
    assert str(err.value).startswith(f"{top}: 'train.epochs' must be an int")


def test_a_key_of_another_format_names_its_override_not_the_format_switch(tmp_path):
    base, top = _chain(tmp_path, "data:\n  train_images: x\n")
    data = tmp_path / "data.yaml"
    data.write_text("data:\n  format: coco\n  root: r\n")
    with pytest.raises(ConfigError) as err:
        load_config(top, ["data.train_images=3", "data.format=voc"], data_file=data)
    assert str(err.value).startswith("--set data.train_images=3: data.train_images is a key")


def test_a_typo_in_a_data_override_names_the_override():
    demo = SHAPES.parents[1] / "demo.yaml"
    with pytest.raises(ConfigError) as err:
        load_config(demo, ["data.train_imgs=x"])
    assert str(err.value).startswith(
        "--set data.train_imgs=x (data.format=coco): unknown key 'data.train_imgs'"
    )


def test_a_format_override_is_not_blamed_for_a_data_typo_in_the_file(tmp_path):
    _, top = _chain(tmp_path, "", "data:\n  train_imgs: x\n")
    with pytest.raises(ConfigError) as err:
        load_config(top, ["data.format=coco"])
    assert str(err.value).startswith(f"{top} (data.format=coco): unknown key 'data.train_imgs'")


def test_compose_records_the_file_of_each_value(tmp_path):
    base, top = _chain(tmp_path, "train:\n  epochs: 3\n  lr: 0.1\n", "train:\n  lr: 0.2\n")
    origins: dict[str, str] = {}
    compose(top, origins=origins)
    assert origins["train.epochs"] == str(base)
    assert origins["train.lr"] == str(top)
    assert origins["model.name"] == str(base)
    assert origins["train.milestones"] == str(SHAPES)


def test_a_base_that_is_a_folder_is_called_a_folder(tmp_path):
    (tmp_path / "bases").mkdir()
    top = tmp_path / "top.yaml"
    top.write_text("_base_: bases\n")
    with pytest.raises(ConfigError) as err:
        load_config(top)
    assert str(err.value) == (
        f"{top}: _base_ 'bases' is a folder ({tmp_path / 'bases'}); name a YAML file inside it"
    )
