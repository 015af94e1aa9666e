"""A data yaml whose ``nc`` disagrees with its ``names`` is refused in one line naming the
file, as Ultralytics refuses it: read for ``data.classes`` and read as a data file alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from detseg.config import ConfigError, load_data_file
from detseg.data.class_names import read_class_names

MISMATCH = "'nc' is 3 but 'names' has 2 names; make them agree"


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.yaml"
    path.write_text(f"train: images/train\nval: images/val\n{text}")
    return path


@pytest.mark.parametrize("names", ["names: [a, b]\n", "names: {0: a, 1: b}\n"])
def test_nc_other_than_the_names_is_refused_by_both_readers(tmp_path: Path, names: str) -> None:
    path = _yaml(tmp_path, f"nc: 3\n{names}")
    with pytest.raises(ValueError) as caught:
        read_class_names(path)
    assert str(caught.value) == f"{path}: {MISMATCH}"
    with pytest.raises(ConfigError) as as_data_file:
        load_data_file(path)
    assert str(as_data_file.value) == f"{path} (an Ultralytics data yaml): {MISMATCH}"


def test_nc_that_is_no_count_is_refused_by_both_readers(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "nc: three\nnames: [a, b]\n")
    why = "'nc' must be the number of classes (an integer), got 'three'"
    with pytest.raises(ValueError) as caught:
        read_class_names(path)
    assert str(caught.value) == f"{path}: {why}"
    with pytest.raises(ConfigError) as as_data_file:
        load_data_file(path)
    assert str(as_data_file.value) == f"{path} (an Ultralytics data yaml): {why}"


@pytest.mark.parametrize("count", ["nc: 2\n", ""])
def test_a_matching_or_absent_nc_reads_the_names(tmp_path: Path, count: str) -> None:
    path = _yaml(tmp_path, f"{count}names: [a, b]\n")
    assert read_class_names(path) == ["a", "b"]
    assert load_data_file(path)["classes"] == ["a", "b"]


def test_a_config_naming_the_yaml_as_its_classes_refuses_it(tmp_path: Path) -> None:
    from detseg.data.registry import build_dataset

    path = _yaml(tmp_path, "nc: 3\nnames: [a, b]\n")
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "images" / "train" / "a.png")
    (tmp_path / "labels" / "train" / "a.txt").write_text("")
    with pytest.raises(ValueError, match=f"{path}: {MISMATCH}"):
        build_dataset({"format": "yolo", "root": str(tmp_path), "classes": "data.yaml"}, "train")
