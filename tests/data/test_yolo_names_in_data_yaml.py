"""A YOLO folder keeping its class names in its own data yaml (Ultralytics layout) but no
``classes.txt``: the missing-``classes.txt`` error points at that yaml."""

from __future__ import annotations

import pytest

from detseg.data import build_dataset


def _folder(root, yaml_text: str | None):
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    if yaml_text is not None:
        (root / "data.yaml").write_text(yaml_text)
    return root


def test_missing_classes_txt_points_at_the_data_yaml_with_names(tmp_path):
    root = _folder(tmp_path, "train: images/train\nval: images/val\nnames: [cat, dog]\n")
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "yolo", "root": str(root)}, "train")
    message = str(info.value)
    assert message.startswith("class names file 'classes.txt' not found under data.root")
    assert f"{root} has the data yaml data.yaml with 'names': set the key data.classes " in message
    assert "to data.yaml for its names (--set data.classes=data.yaml)" in message
    # both the tools' and the Python way to read the whole file (names and split folders)
    data_yaml = root / "data.yaml"
    assert (
        "as the data file for its names and split folders (detseg-train / detseg-eval --data "
        f"{data_yaml}, detseg-check-data {data_yaml}; in Python" in message
    )
    assert f"load_config(..., data_file={str(root / 'data.yaml')!r})" in message


@pytest.mark.parametrize("yaml_text", [None, "train: images/train\n", "names: [a\n"])
def test_no_pointer_without_a_yaml_that_lists_names(tmp_path, yaml_text):
    root = _folder(tmp_path, yaml_text)
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "yolo", "root": str(root)}, "train")
    assert "has the data yaml" not in str(info.value)


def test_no_pointer_when_classes_names_another_file(tmp_path):
    root = _folder(tmp_path, "names: [cat]\n")
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "yolo", "root": str(root), "classes": "names.txt"}, "train")
    assert "has the data yaml" not in str(info.value)
