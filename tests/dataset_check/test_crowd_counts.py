"""Crowd regions (COCO ``iscrowd``) are not objects to training: the counts leave them out
and report them apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from detseg.data.registry import build_dataset
from detseg.data.target_checks import remove_crowd
from detseg.dataset_check import check_dataset, format_text_report
from detseg.dataset_check.stats import box_sizes

W, H = 64, 48


def _coco(root: Path, per_image: list[list[dict]], classes=("a", "b")) -> dict:
    """A COCO dataset with one train image per entry of ``per_image`` (its annotations:
    ``{"bbox", "category_id"[, "iscrowd"]}``) and a val split that is a copy of it."""
    (root / "annotations").mkdir(parents=True)
    for split in ("train", "val"):
        (root / split / "images").mkdir(parents=True)
        images, anns = [], []
        for i, objects in enumerate(per_image, start=1):
            Image.new("RGB", (W, H), (i * 20, 0, 0)).save(root / split / "images" / f"{i}.png")
            images.append({"id": i, "file_name": f"{i}.png", "width": W, "height": H})
            for obj in objects:
                anns.append({"id": len(anns) + 1, "image_id": i, "area": 1.0, **obj})
        categories = [{"id": k, "name": name} for k, name in enumerate(classes, start=1)]
        coco = {"images": images, "annotations": anns, "categories": categories}
        (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(coco))
    return {"format": "coco", "root": str(root)}


def _box(x: float, y: float, w: float, h: float, cat: int = 1, crowd=None) -> dict:
    ann: dict = {"bbox": [x, y, w, h], "category_id": cat}
    if crowd is not None:
        ann["iscrowd"] = crowd
    return ann


def _codes(check, code: str):
    return [f for f in check.findings if f.code == code]


def test_crowd_regions_are_not_objects(tmp_path: Path):
    data = _coco(
        tmp_path,
        [
            [_box(2, 2, 10, 10, cat=1), _box(0, 0, 60, 40, cat=2, crowd=1)],
            [_box(0, 0, 30, 30, cat=1, crowd=1)],  # only a crowd region: a negative
            [_box(5, 5, 20, 8, cat=1, crowd=0)],
        ],
    )
    check = check_dataset(data, ("train",), decode=False)
    s = check.splits["train"]
    assert (s["objects"], s["kept_objects"], s["crowd_annotations"]) == (4, 2, 2)
    # class b has only a crowd region: no object of it to learn
    assert s["classes"] == {"a": {"objects": 2, "images": 2}, "b": {"objects": 0, "images": 0}}
    assert (s["empty_images"], s["empty_files"]) == (1, ["train/images/2.png"])
    assert sorted(box_sizes(check.scans["train"])["width"].tolist()) == [10.0, 20.0]
    assert s["box_width"]["max"] == 20.0
    [crowd] = _codes(check, "crowd_annotations")
    assert crowd.severity == "info" and crowd.count == 2
    assert crowd.files == ["train/images/1.png", "train/images/2.png"]
    assert "training ignores them" in crowd.message
    [missing] = _codes(check, "classes_without_objects")
    assert missing.severity == "warning" and missing.message.endswith(": b")
    text = format_text_report(check)
    assert "crowd annotations (not counted as objects): 2" in text
    assert text.splitlines()[3].split()[:4] == ["train", "3", "0", "2"]  # objects: 2


def test_train_of_crowd_regions_only_has_nothing_to_learn(tmp_path: Path):
    crowd_only = [_box(2, 2, 10, 10, crowd=1)]
    data = _coco(tmp_path, [crowd_only, [_box(2, 2, 0, 10), _box(1, 1, 9, 9, crowd=1)]])
    check = check_dataset(data, ("train",), decode=False)
    [finding] = _codes(check, "no_objects")
    assert finding.severity == "error" and check.exit_code == 1
    assert "3 boxes in all: 2 crowd regions, which training ignores" in finding.message
    assert "and 1 dropped by training's box checks" in finding.message
    assert "not ready for training" in format_text_report(check)


@pytest.mark.parametrize("flag", [1, True])
def test_iscrowd_set_is_a_crowd_region(tmp_path: Path, flag):
    """The counts equal what is left of the dataset's targets after ``remove_crowd``."""
    data = _coco(tmp_path, [[_box(2, 2, 10, 10), _box(20, 5, 10, 10, cat=2, crowd=flag)]])
    check = check_dataset(data, ("train",), decode=False)
    dataset = build_dataset(data, "train")
    trained = [remove_crowd(dataset[i][1]) for i in range(len(dataset))]  # type: ignore[index]
    assert check.splits["train"]["kept_objects"] == sum(len(t["labels"]) for t in trained) == 1
    assert check.splits["train"]["crowd_annotations"] == 1


def test_no_crowd_no_crowd_line(tmp_path: Path):
    data = _coco(tmp_path, [[_box(2, 2, 10, 10, crowd=0)]])
    check = check_dataset(data, ("train",), decode=False)
    assert check.splits["train"]["crowd_annotations"] == 0
    assert not _codes(check, "crowd_annotations")
    assert "crowd annotations" not in format_text_report(check)
