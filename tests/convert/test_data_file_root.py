"""The ``root`` of a converted dataset's ``data.yaml``.

detseg's data-file loader (:mod:`detseg.config.data_file`) keeps a relative ``root`` relative
to the current directory, not to the data file's folder, so the converter writes the absolute
output folder: a relative ``root: .`` would point at wherever a tool is started. (A copied
dataset folder therefore still points at the original: see the note in
detseg/convert/datasets/data_file.py.)
"""

from __future__ import annotations

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
