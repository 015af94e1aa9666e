"""The checks on a shapes dataset with injected problems (see conftest.py), and severities."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.command_line import USER_ERRORS
from detseg.data.shapes import SHAPE_CLASSES, generate_shapes
from detseg.dataset_check import CheckSettings, DatasetCheck, Finding, check_dataset
from detseg.dataset_check.findings import split_findings


def _coco(root: Path) -> dict:
    return {"format": "coco", "root": str(root)}


@pytest.fixture(scope="module")
def broken_check(broken_root: Path) -> DatasetCheck:
    return check_dataset(_coco(broken_root), ("train", "val"))


def _one(check: DatasetCheck, code: str, split: str = "train") -> Finding:
    found = [f for f in check.findings if f.code == code and f.split == split]
    assert len(found) == 1, [f.code for f in check.findings]
    return found[0]


def test_clean_dataset_has_no_error_or_warning(shapes_root: Path):
    check = check_dataset(_coco(shapes_root))
    assert [f.code for f in check.findings if f.severity != "info"] == []
    assert check.exit_code == 0
    assert check.splits["train"]["images"] == 10 and check.splits["val"]["images"] == 4
    # files are numbered per split: the same names in train and val are only a note
    assert _one(check, "shared_names", "train/val").count == 4


def test_unreadable_images_are_named(broken_check: DatasetCheck):
    finding = _one(broken_check, "unreadable_images")
    assert finding.severity == "warning" and finding.count == 2
    assert finding.files[0].startswith("train/images/000001.png: not an image")
    assert finding.files[1].startswith("train/images/000007.png: cannot be decoded")


def test_box_outside_and_degenerate_box(broken_check: DatasetCheck):
    outside = _one(broken_check, "outside_boxes")
    assert (outside.severity, outside.count, outside.files) == (
        "warning",
        1,
        ["train/images/000002.png"],
    )
    assert broken_check.splits["train"]["outside_dropped"] == 0  # 14 px remain inside
    degenerate = _one(broken_check, "degenerate_boxes")
    assert (degenerate.count, degenerate.files) == (1, ["train/images/000003.png"])


def test_empty_images_below_the_share_are_a_note(broken_root: Path, broken_check: DatasetCheck):
    coco = json.loads((broken_root / "annotations" / "instances_train.json").read_text())
    with_objects = {a["image_id"] for a in coco["annotations"]}
    unreadable = {"000001.png", "000007.png"}
    empty = [
        img["file_name"]
        for img in coco["images"]
        if img["id"] not in with_objects and img["file_name"] not in unreadable
    ]
    assert empty == ["000004.png", "extra/000000.png"]
    finding = _one(broken_check, "empty_images")
    assert finding.severity == "info" and finding.count == 2
    assert finding.files == ["train/images/000004.png", "train/images/extra/000000.png"]
    strict = check_dataset(_coco(broken_root), ("train",), settings=CheckSettings(empty_share=0.1))
    assert _one(strict, "empty_images").severity == "warning"


def test_duplicates_within_a_split(broken_check: DatasetCheck):
    contents = _one(broken_check, "duplicate_contents")
    assert contents.count == 1
    assert contents.files == ["train/images/000006.png = train/images/000008.png"]
    names = _one(broken_check, "duplicate_names")
    assert names.count == 1
    assert names.files == ["train/images/000000.png, train/images/extra/000000.png"]


def test_image_copied_into_val_is_an_overlap(broken_check: DatasetCheck):
    finding = _one(broken_check, "split_overlap", "train/val")
    assert finding.severity == "warning" and finding.count == 1
    assert finding.files == ["val/images/000002.png = train/images/000005.png"]


def test_warnings_only_give_exit_code_0(broken_check: DatasetCheck):
    assert broken_check.of_severity("error") == []
    assert broken_check.exit_code == 0
    order = [f.severity for f in broken_check.findings]
    assert order == sorted(order, key=["error", "warning", "info"].index)


def test_class_histogram_counts_readable_images(broken_root: Path, broken_check: DatasetCheck):
    coco = json.loads((broken_root / "annotations" / "instances_train.json").read_text())
    skipped = {
        img["id"] for img in coco["images"] if img["file_name"] in ("000001.png", "000007.png")
    }
    anns = [a for a in coco["annotations"] if a["image_id"] not in skipped]
    # the class histogram counts what training keeps: not the zero-width box of 000003.png
    kept = [a for a in anns if min(a["bbox"][2:]) >= 1]
    assert len(kept) == len(anns) - 1
    objects = Counter(a["category_id"] for a in kept)
    images = Counter(c for c, _ in {(a["category_id"], a["image_id"]) for a in kept})
    classes = broken_check.splits["train"]["classes"]
    assert list(classes) == list(SHAPE_CLASSES)
    for k, name in enumerate(SHAPE_CLASSES, start=1):
        assert classes[name] == {"objects": objects[k], "images": images[k]}
    assert broken_check.splits["train"]["objects"] == len(anns)
    assert broken_check.splits["train"]["kept_objects"] == len(kept)


def test_train_without_objects_is_an_error(shapes_root: Path, tmp_path: Path):
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    path = root / "annotations" / "instances_train.json"
    coco = json.loads(path.read_text())
    path.write_text(json.dumps({**coco, "annotations": []}))
    check = check_dataset(_coco(root), decode=False)
    finding = _one(check, "no_objects")
    assert finding.severity == "error" and check.exit_code == 1
    assert "nothing to learn" in finding.message


def test_every_image_unreadable_is_an_error(shapes_root: Path, tmp_path: Path):
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    for image in (root / "val" / "images").iterdir():
        image.write_bytes(b"")
    check = check_dataset(_coco(root), ("val",), decode=False)
    finding = _one(check, "all_unreadable", "val")
    assert finding.severity == "error" and finding.count == 4
    assert check.exit_code == 1 and [f.code for f in check.findings] == ["all_unreadable"]


def test_no_classes_and_no_images_are_errors(broken_check: DatasetCheck):
    summary = broken_check.splits["val"]
    codes = {f.code: f.severity for f in split_findings("val", {**summary, "num_classes": 0})}
    assert codes["no_classes"] == "error"
    empty = {**summary, "images": 0, "unreadable": 0}
    assert [(f.code, f.severity) for f in split_findings("val", empty)][0] == ("no_images", "error")


def test_finding_is_plain_json(broken_check: DatasetCheck):
    data = json.loads(json.dumps(broken_check.to_dict()))
    assert data["errors"] == 0 and data["warnings"] == len(broken_check.of_severity("warning"))
    assert data["findings"][0] == dataclasses.asdict(broken_check.findings[0])


# ----------------------------------------------------------------------------- segmentation


def test_segmentation_pixel_frequencies(shapes_root: Path):
    check = check_dataset({"format": "shapes_seg", "root": str(shapes_root)}, ("train",))
    summary = check.splits["train"]
    pixels = summary["class_pixels"]
    assert list(pixels) == ["background", *SHAPE_CLASSES]
    assert sum(v["pixels"] for v in pixels.values()) == 10 * 64 * 64
    masks = [
        cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        for p in sorted((shapes_root / "masks" / "train").iterdir())
    ]
    expected = np.bincount(np.concatenate([m.ravel() for m in masks]), minlength=6)
    assert [v["pixels"] for v in pixels.values()] == expected.tolist()
    assert abs(sum(v["share"] for v in pixels.values()) - 1.0) < 1e-4
    assert check.exit_code == 0


def test_segmentation_bad_label_maps(shapes_root: Path, tmp_path: Path):
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    masks = root / "masks" / "train"
    masks.joinpath("000001.png").write_bytes(b"not a png")
    bad = np.full((64, 64), 9, dtype=np.uint8)  # label 9 with 5 classes
    cv2.imwrite(str(masks / "000002.png"), bad)
    check = check_dataset({"format": "shapes_seg", "root": str(root)}, ("train",))
    invalid = _one(check, "invalid_labels")
    assert invalid.severity == "error" and invalid.count == 1 and check.exit_code == 1
    unreadable = _one(check, "unreadable_labels")
    assert unreadable.severity == "warning" and unreadable.count == 1
    assert unreadable.files[0].startswith("train/images/000001.png: cannot read image")
    assert invalid.files[0].startswith(
        "train/images/000002.png: label map masks/train/000002.png: label values [9]"
    )


def test_missing_root_is_a_user_error(tmp_path: Path):
    with pytest.raises(USER_ERRORS, match="data.root .* is not a folder"):
        check_dataset(_coco(tmp_path / "missing"))


def test_empty_images_are_negatives_to_train_and_false_positives_to_score(tmp_path: Path):
    """Images without objects are trained on as negatives; in val (never trained on) a
    detection on them counts as a false positive."""
    generate_shapes(tmp_path, num_train=4, num_val=2, size=64, seed=3)
    for split in ("train", "val"):  # the first image of each split loses its objects
        path = tmp_path / "annotations" / f"instances_{split}.json"
        coco = json.loads(path.read_text())
        first = coco["images"][0]["id"]
        coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] != first]
        path.write_text(json.dumps(coco))
    check = check_dataset(_coco(tmp_path), ("train", "val"))
    train, val = (_one(check, "empty_images", split) for split in ("train", "val"))
    assert train.message.endswith("without objects; trained as negatives")
    assert val.message.endswith("without objects; any detection on them is a false positive")


def test_empty_segmentation_val_images_lower_iou_rather_than_add_false_positives(tmp_path: Path):
    """A val label map of background alone: no detection counts on it, the foreground a
    segmenter predicts there lowers that class's IoU."""
    generate_shapes(tmp_path, num_train=1, num_val=2, size=64, seed=3)
    first = sorted((tmp_path / "masks" / "val").iterdir())[0]
    cv2.imwrite(str(first), np.zeros((64, 64), dtype=np.uint8))
    check = check_dataset({"format": "shapes_seg", "root": str(tmp_path)}, ("val",))
    finding = _one(check, "empty_images", "val")
    assert finding.message.endswith(
        "without foreground; any foreground predicted on them lowers its class's IoU"
    )
