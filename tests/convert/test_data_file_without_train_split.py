"""A conversion of splits none of which is a training one (``--splits val test``): its
``data.yaml`` gives the train role to another split (``val``, the val role's split too), which a
warning says, so that training on it is no surprise."""

from __future__ import annotations

import logging

import pytest

from detseg.convert.datasets.data_file import write_data_file


@pytest.mark.parametrize(
    ("splits", "words"),
    [
        (["val", "test"], "trains on 'val' (the val role's split too)"),
        (["test"], "on 'test' ("),
        (["Validation", "Test"], "trains on 'Validation' (the val role's split too)"),  # CVAT
        (["minival"], "trains on 'minival';"),
    ],
)
def test_no_train_split_is_a_warning(tmp_path, caplog, splits, words):
    with caplog.at_level(logging.WARNING, logger="detseg.convert.datasets.data_file"):
        write_data_file("yolo", tmp_path, splits, ["cat"])
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"no train split among the splits written ({', '.join(splits)})")
    assert words in message and "--splits train" in message


@pytest.mark.parametrize(
    "splits", [["train", "val"], ["train2017"], ["trainval", "test"], ["default"], ["all", "val"]]
)
def test_a_train_split_needs_no_warning(tmp_path, caplog, splits):
    with caplog.at_level(logging.WARNING, logger="detseg.convert.datasets.data_file"):
        write_data_file("coco", tmp_path, splits, ["cat"])
    assert caplog.records == []
