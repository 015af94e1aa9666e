"""Ultralytics data yamls as users have them: Roboflow's ``../train/images`` folders and the
``nc`` entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from PIL import Image

from detseg.config import ConfigError, load_data_file
from detseg.data import build_dataset


def _roboflow_export(root: Path) -> Path:
    """A Roboflow YOLO export: data.yaml at the top, ``train/images`` + ``train/labels``."""
    for split in ("train", "valid"):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        Image.new("RGB", (40, 20)).save(root / split / "images" / "a.jpg")
        (root / split / "labels" / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    data = {
        "train": "../train/images",
        "val": "../valid/images",
        "test": "../test/images",
        "nc": 1,
        "names": ["crack"],
        "roboflow": {"workspace": "w", "project": "p", "version": 1},
    }
    path = root / "data.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_roboflow_export_reads_its_folders_as_ultralytics_does(tmp_path):
    section = load_data_file(_roboflow_export(tmp_path / "export"))
    assert section["train_images"] == "train/images"
    assert section["val_images"] == "valid/images"
    for split in ("train", "val"):
        dataset = build_dataset(section, split)
        _, target = dataset[0]
        assert target["boxes"].tolist() == [[10.0, 5.0, 30.0, 15.0]]


def test_a_parent_folder_that_exists_is_read_as_written(tmp_path):
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "set" / "train" / "images").mkdir(parents=True)  # the stripped form exists too
    path = tmp_path / "set" / "data.yaml"
    path.write_text(yaml.safe_dump({"train": "../images/train", "val": "../images/train",
                                    "names": ["a"]}))  # fmt: skip
    section = load_data_file(path)
    assert section["train_images"] == "../images/train"


def test_a_missing_parent_folder_stays_as_written(tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text(yaml.safe_dump({"train": "../nowhere", "val": "../nowhere", "names": ["a"]}))
    assert load_data_file(path)["train_images"] == "../nowhere"


@pytest.mark.parametrize("count", ["'2'", "2.5", "true"])
def test_nc_that_is_not_an_integer_is_named_as_such(tmp_path, count):
    path = tmp_path / "data.yaml"
    path.write_text(f"train: images/train\nval: images/val\nnames: [a, b]\nnc: {count}\n")
    with pytest.raises(ConfigError, match=r"'nc' must be the number of classes \(an integer\)"):
        load_data_file(path)
