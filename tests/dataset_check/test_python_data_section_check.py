"""``check_dataset`` from Python checks its data section as a training run does, before any
split is built: ``load_masks: 'maybe'`` (which the readers take as true), ``classes: 5`` or a
list where a path is wanted is refused with the run's message, naming the ``source`` given (or
``data``), where the check said "ready for training"; a switch written ``'no'`` is read as
false. ``detseg-check-data`` checked the section already and says its one error line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tool_modules import load_tool

from detseg.config import ConfigError
from detseg.dataset_check import check_dataset


def _coco(root: Path, **extra) -> dict:
    return {"format": "coco", "root": str(root), **extra}


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"load_masks": "maybe"}, "data: 'data.load_masks' must be a bool, got 'maybe'"),
        ({"train_ann": ["a", "b"]}, "data: 'data.train_ann' must be a string, got ['a', 'b']"),
        ({"classes": 5}, "data: data.classes must be a list of class names ([cat, dog])"),
        ({"train_image": "train/images"}, "data (data.format=coco): unknown key 'data.train_i"),
    ],
    ids=["switch", "list_path", "number_classes", "unknown_key"],
)
def test_a_value_training_refuses_is_refused(shapes_root, extra, said):
    with pytest.raises(ConfigError) as caught:
        check_dataset(_coco(shapes_root, **extra), ("train",), progress=False)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(said)


def test_the_error_names_the_source_given(shapes_root):
    with pytest.raises(ConfigError) as caught:
        check_dataset(_coco(shapes_root, load_masks="maybe"), ("train",), source="shapes.yaml")
    assert str(caught.value) == "shapes.yaml: 'data.load_masks' must be a bool, got 'maybe'"


def test_a_switch_is_read_as_training_reads_it(shapes_root):
    check = check_dataset(_coco(shapes_root, load_masks="no"), ("train",), decode=False)
    assert check.data["load_masks"] is False
    assert check.exit_code == 0


def test_a_path_object_is_taken_as_its_text(shapes_root):
    check = check_dataset({"format": "coco", "root": Path(shapes_root)}, ("train",), decode=False)
    assert check.data["root"] == str(shapes_root)
    assert check.exit_code == 0


def test_the_command_says_one_error_line(shapes_root, tmp_path, monkeypatch, capsys):
    data_file = tmp_path / "data.yaml"
    data_file.write_text(f"format: coco\nroot: {shapes_root}\nload_masks: maybe\n")
    argv = [str(data_file), "--splits", "train", "--out", str(tmp_path / "report")]
    monkeypatch.setattr(sys, "argv", ["check_data.py", *argv])
    with pytest.raises(SystemExit) as stop:
        load_tool("check_data.py").cli()
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    (line,) = err.strip().splitlines()
    assert line.endswith(f" error: {data_file}: 'data.load_masks' must be a bool, got 'maybe'")
