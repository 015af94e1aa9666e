"""What a message about a missing file says of its folder (:func:`folder_listing`): a folder
that is not there "does not exist" (not "is not a folder", which is a file of that name), and
a folder without a file of the suffix looked for names its subfolders, where the file may be
(a COCO json given as ``instances_train.json`` under a root that holds ``annotations/``),
rather than "is empty"."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.data.coco import CocoDetection
from detseg.data.folder_listing import folder_listing


def _root_of_folders(root: Path) -> Path:
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "instances_train.json").write_text("{}")
    (root / "train" / "images").mkdir(parents=True)
    return root


def test_a_json_looked_for_one_level_too_high_lists_the_subfolders(tmp_path):
    root = _root_of_folders(tmp_path / "shapes")
    with pytest.raises(FileNotFoundError) as caught:
        CocoDetection(root / "train" / "images", root / "instances_train.json")
    assert (
        f"{root / 'instances_train.json'}; {root} holds no .json file; its folders: "
        "annotations/, train/; set data.train_ann" in str(caught.value)
    )
    assert "is empty" not in str(caught.value)


def test_a_missing_folder_does_not_exist(tmp_path):
    root = _root_of_folders(tmp_path / "shapes")
    with pytest.raises(FileNotFoundError) as caught:
        CocoDetection(root / "train" / "images", root / "annotatons" / "instances_train.json")
    assert f"{root / 'annotatons'} does not exist; set data.train_ann" in str(caught.value)


def test_the_forms_of_a_listing(tmp_path):
    assert folder_listing(tmp_path / "nowhere", ".json") == "does not exist"
    (tmp_path / "file.json").write_text("{}")
    assert folder_listing(tmp_path / "file.json", ".json") == "is not a folder"
    (tmp_path / "empty").mkdir()
    assert folder_listing(tmp_path / "empty", ".json") == "is empty"
    mixed = tmp_path / "mixed"
    for name in ("d", "c", "b", "a"):
        (mixed / name).mkdir(parents=True)
    (mixed / "README.txt").write_text("")
    assert folder_listing(mixed, ".json") == (
        "holds no .json file, but 1 other: README.txt; its folders: a/, b/, c/ and 1 more"
    )
    (mixed / "x.json").write_text("{}")
    assert folder_listing(mixed, ".json") == "holds 1 .json file: x.json"
