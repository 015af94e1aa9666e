"""A COCO annotation json that is not there is one error that shows what its folder holds (the
first few ``.json`` files, and how many more) and names the keys to set, as a missing VOC split
file does: a typo in ``data.train_ann`` shows beside the name it meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.data.anchor_kmeans import coco_box_sizes
from detseg.data.coco_json import load_coco_json
from detseg.data.registry import build_dataset, build_segmentation_dataset


def _annotations(root: Path, names: list[str]) -> Path:
    folder = root / "annotations"
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text("{}")
    (folder / "README.txt").write_text("not a json")
    (root / "train" / "images").mkdir(parents=True)
    return folder


def test_a_misspelled_train_ann_lists_the_folders_json_files_and_the_key(tmp_path):
    folder = _annotations(tmp_path, ["instances_train.json", "instances_val.json"])
    data = {
        "format": "coco",
        "root": str(tmp_path),
        "train_ann": "annotations/instances_trian.json",
    }
    with pytest.raises(FileNotFoundError) as caught:
        build_dataset(data, "train")
    message = str(caught.value)
    assert message.startswith(
        f"data.train_ann: COCO annotation file not found: {folder / 'instances_trian.json'}; "
        f"{folder} holds 2 .json files: instances_train.json, instances_val.json; set "
        "data.train_ann / data.val_ann to the annotation file (a path under data.root); "
    )
    assert "\n" not in message


def test_a_folder_of_many_json_files_shows_a_few_and_counts_the_rest(tmp_path):
    names = [f"instances_{k}.json" for k in ("a", "b", "c", "d", "e")]
    folder = _annotations(tmp_path, names)
    with pytest.raises(FileNotFoundError) as caught:
        load_coco_json(folder / "missing.json")
    expected = (
        "holds 5 .json files: instances_a.json, instances_b.json, instances_c.json and 2 more"
    )
    assert expected in str(caught.value)


def test_a_folder_without_json_files_says_so(tmp_path):
    folder = _annotations(tmp_path, [])
    with pytest.raises(FileNotFoundError, match="holds no .json file, but 1 others?: README.txt"):
        load_coco_json(folder / "instances_train.json")


def test_coco_seg_lists_the_folder_too(tmp_path):
    folder = _annotations(tmp_path, ["instances_train.json"])
    data = {"format": "coco_seg", "root": str(tmp_path), "train_ann": "annotations/train.json"}
    with pytest.raises(FileNotFoundError) as caught:
        build_segmentation_dataset(data, "train")
    assert str(caught.value).startswith("data.train_ann: COCO annotation file not found")
    assert f"{folder} holds 1 .json file: instances_train.json" in str(caught.value)


def test_the_anchor_fit_lists_the_folder_without_config_keys(tmp_path):
    """``tools/anchors.py`` takes the json as a path of its own: the folder is listed as for
    the readers, and no ``data.*_ann`` key is offered (none names the file there)."""
    folder = _annotations(tmp_path, ["instances_train.json"])
    with pytest.raises(FileNotFoundError) as caught:
        coco_box_sizes(folder / "instances_trian.json", 416)
    message = str(caught.value)
    assert message.startswith(
        f"COCO annotation file not found: {folder / 'instances_trian.json'}; {folder} holds "
        "1 .json file: instances_train.json; expected a COCO json"
    )
    assert "data.train_ann" not in message
