"""With ``load_masks`` (Mask R-CNN data), training drops the instances whose mask is empty
or lies outside its box: the check counts what is left, and warns about the dropped ones."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from detseg.data.registry import build_dataset
from detseg.dataset_check import check_dataset

W, H = 64, 48


def _coco_with_masks(root: Path, anns: list[dict]) -> dict:
    (root / "annotations").mkdir(parents=True)
    for split in ("train", "val"):
        (root / split / "images").mkdir(parents=True)
        Image.new("RGB", (W, H)).save(root / split / "images" / "1.png")
        coco = {
            "images": [{"id": 1, "file_name": "1.png", "width": W, "height": H}],
            "annotations": [
                {"id": i, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 1.0, **a}
                for i, a in enumerate(anns, start=1)
            ],
            "categories": [{"id": 1, "name": "a"}],
        }
        (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(coco))
    return {"format": "coco", "root": str(root), "load_masks": True}


def _square(x: int, y: int, side: int) -> list[list[int]]:
    return [[x, y, x + side, y, x + side, y + side, x, y + side]]


def test_instances_dropped_for_their_mask_are_not_objects(tmp_path: Path):
    good = {"bbox": [4, 4, 16, 16], "segmentation": _square(4, 4, 16)}
    far = {"bbox": [4, 4, 16, 16], "segmentation": _square(40, 20, 16)}  # mask outside the box
    data = _coco_with_masks(tmp_path, [good, far])
    check = check_dataset(data, ("train",), decode=False)
    s = check.splits["train"]
    _, target = build_dataset(data, "train")[0]  # type: ignore[misc]
    assert s["kept_objects"] == len(target["labels"]) == 1
    assert s["classes"]["a"] == {"objects": 1, "images": 1}
    [finding] = [f for f in check.findings if f.code == "bad_masks"]
    assert finding.severity == "warning" and finding.count == 1
    assert finding.files == ["train/images/1.png"]


def test_train_whose_every_mask_is_dropped_is_an_error(tmp_path: Path):
    far = {"bbox": [4, 4, 16, 16], "segmentation": _square(40, 20, 16)}
    check = check_dataset(_coco_with_masks(tmp_path, [far]), ("train",), decode=False)
    [finding] = [f for f in check.findings if f.code == "no_objects"]
    assert finding.severity == "error" and check.exit_code == 1
    assert "every one dropped by training's box and mask checks" in finding.message


def test_without_load_masks_the_masks_are_not_checked(tmp_path: Path):
    far = {"bbox": [4, 4, 16, 16], "segmentation": _square(40, 20, 16)}
    data = {**_coco_with_masks(tmp_path, [far]), "load_masks": False}
    check = check_dataset(data, ("train",), decode=False)
    assert check.splits["train"]["kept_objects"] == 1 and check.exit_code == 0
