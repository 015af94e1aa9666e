"""Class counts, empty images and box sizes describe the boxes as training keeps them:
degenerate boxes dropped, boxes reaching outside the image clipped to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from detseg.data.registry import build_dataset
from detseg.dataset_check import check_dataset
from detseg.dataset_check.stats import box_sizes


def _yolo(root: Path, labels: dict[str, str], size=(100, 50)) -> dict:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "classes.txt").write_text("a\nb\n")
    for stem, text in labels.items():
        Image.new("RGB", size).save(root / "images" / "train" / f"{stem}.png")
        (root / "labels" / "train" / f"{stem}.txt").write_text(text)
    return {"format": "yolo", "root": str(root)}


def test_class_with_only_degenerate_boxes_has_no_object(tmp_path: Path):
    # class b's only box has zero width: training drops it, so b has nothing to learn from
    data = _yolo(tmp_path, {"0": "0 0.5 0.5 0.2 0.2\n", "1": "1 0.5 0.5 0.0 0.2\n"})
    check = check_dataset(data, ("train",), decode=False)
    s = check.splits["train"]
    assert s["classes"] == {"a": {"objects": 1, "images": 1}, "b": {"objects": 0, "images": 0}}
    [missing] = [f for f in check.findings if f.code == "classes_without_objects"]
    assert missing.severity == "warning" and missing.message.endswith(": b")
    # the image whose only box is dropped is a negative to training: an empty image
    assert (s["empty_images"], s["empty_files"]) == (1, ["images/train/1.png"])


def test_box_sizes_are_those_of_the_clipped_boxes(tmp_path: Path):
    # 100 x 50 image; centre x 0.9, width 0.4 -> x 70..110, clipped to 70..100 (30 px)
    data = _yolo(tmp_path, {"0": "0 0.9 0.5 0.4 0.2\n0 0.2 0.5 0.1 0.2\n"})
    check = check_dataset(data, ("train",), decode=False)
    sizes = box_sizes(check.scans["train"])
    dataset = build_dataset(data, "train")
    _, target = dataset[0]  # type: ignore[misc]
    boxes = target["boxes"].double()
    widths = sorted(sizes["width"].tolist())
    assert widths == pytest.approx(sorted((boxes[:, 2] - boxes[:, 0]).tolist()))
    assert widths == pytest.approx([10.0, 30.0])
    assert check.splits["train"]["box_width"]["max"] == 30.0
    assert check.splits["train"]["outside_boxes"] == 1


def test_a_train_class_without_objects_says_what_to_do(tmp_path: Path):
    data = _yolo(tmp_path, {"0": "0 0.5 0.5 0.2 0.2\n"})
    check = check_dataset(data, ("train",), decode=False)
    [missing] = [f for f in check.findings if f.code == "classes_without_objects"]
    assert missing.message == (
        "1 class without a single object in train (never learned: add objects, or, for COCO "
        "and VOC names, leave it out of data.classes): b"
    )
