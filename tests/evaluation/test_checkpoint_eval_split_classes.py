"""A checkpoint evaluated on a split of other classes: one line naming the split's annotation
file, and advice that works (``data.classes`` only where the split has every class)."""

from __future__ import annotations

import shlex
from types import SimpleNamespace

import pytest

from detseg.evaluation.evaluation_split import check_split_classes
from detseg.named_settings import SettingError

CLASSES = ["circle", "square", "star"]
DATA = SimpleNamespace(format="coco", root="data", options={"val_ann": "/x/other_val.json"})


def test_the_same_classes_pass() -> None:
    check_split_classes(list(CLASSES), CLASSES, DATA)


def test_a_split_without_some_class_names_the_file_and_the_missing_classes() -> None:
    with pytest.raises(ValueError) as err:
        check_split_classes(["circle", "square"], CLASSES, DATA)
    message = str(err.value)
    assert "/x/other_val.json" in message and "'star'" in message
    assert "data.classes" not in message  # it cannot pick a class the split does not have


def test_a_split_with_more_classes_gets_a_data_classes_setting_that_parses() -> None:
    with pytest.raises(SettingError) as err:
        check_split_classes(["star", "circle", "ellipse", "square"], CLASSES, DATA)
    message = str(err.value)
    assert "/x/other_val.json" in message
    assert message.endswith(
        """pick them in the checkpoint's order with overrides=['data.classes=["circle", """
        """"square", "star"]']"""
    )  # evaluate_checkpoint's keyword from Python; tools/eval.py's flag below
    tool = err.value.naming({"overrides": "--set"})
    setting = shlex.split(tool.split("--set ", 1)[1])[0]
    assert setting == 'data.classes=["circle", "square", "star"]'


@pytest.mark.parametrize("fmt", ["yolo", "folder_seg", "voc_seg"])
def test_a_format_of_numbered_labels_gets_no_data_classes_setting(fmt: str) -> None:
    """YOLO labels and label maps are numbers: data.classes would rename them, not pick the
    checkpoint's classes, and the evaluation would score the wrong classes without a word."""
    data = SimpleNamespace(format=fmt, root="data", options={})
    with pytest.raises(ValueError) as err:
        check_split_classes(["star", "circle", "ellipse", "square"], CLASSES, data)
    message = str(err.value)
    assert "data.classes=" not in message and "--set" not in message
    assert f"a {fmt} dataset numbers its labels by its own class list" in message
