"""The ``root`` of a converted dataset's ``data.yaml``.

detseg's data-file loader (:mod:`detseg.config.data_file`) keeps a relative ``root`` relative
to the current directory, not to the data file's folder, so the converter writes the absolute
output folder: a relative ``root: .`` would point at wherever a tool is started. (A copied
dataset folder therefore still points at the original: see the note in
detseg/convert/datasets/data_file.py.)
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import yaml

from detseg.config import load_data_file
from detseg.convert.datasets import convert_dataset


def test_the_written_root_is_the_absolute_output_folder(shapes_coco, tmp_path):
    dst = tmp_path / "yolo"
    convert_dataset(shapes_coco, dst, "coco", "yolo", splits=["val"], progress=False)
    root = yaml.safe_load((dst / "data.yaml").read_text())["data"]["root"]
    assert Path(root).is_absolute() and Path(root) == dst.resolve()
    assert load_data_file(dst / "data.yaml")["root"] == root


def test_the_loader_keeps_a_relative_root_relative_to_the_current_directory(tmp_path):
    data_file = tmp_path / "data.yaml"
    data_file.write_text(yaml.safe_dump({"data": {"format": "yolo", "root": "."}}))
    assert load_data_file(data_file)["root"] == "."  # not tmp_path: why the root is absolute


def test_a_copied_folder_s_data_file_as_source_is_warned_about(shapes_coco, tmp_path, caplog):
    """The converter reads a data file at its ``root``, as training does, and says so when the
    data file lies in a copy of the dataset folder (``warn_root_elsewhere``)."""
    original = tmp_path / "yolo"
    convert_dataset(shapes_coco, original, "coco", "yolo", splits=["val"], progress=False)
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    with caplog.at_level(logging.WARNING):
        convert_dataset(copy / "data.yaml", tmp_path / "coco", "yolo", "coco", progress=False)
    [message] = [r.getMessage() for r in caplog.records if "copied or moved" in r.getMessage()]
    assert message.startswith(f"{copy / 'data.yaml'} names root {original.resolve()}, while ")
    assert "the dataset conversion" in message

    caplog.clear()
    with caplog.at_level(logging.WARNING):  # its own folder's data file: no warning
        convert_dataset(original / "data.yaml", tmp_path / "coco2", "yolo", "coco", progress=False)
    assert not [r for r in caplog.records if "copied or moved" in r.getMessage()]
