"""The readers' object count (``num_objects``) checks each box against the image size the
annotations state (a COCO entry's height/width, a VOC <size>), as training clips it to the
image: a split whose boxes all lie outside their images counts 0 objects (a training run refuses
it). Where the annotations state no size, a box counts when it may be kept on some image.
YOLO's normalised boxes are checked against the unit square.

The images are 20 x 30 px (H x W); a box is written as COCO ``[x, y, w, h]`` or VOC
``xmin ymin xmax ymax`` (1-based).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.data import CocoDetection, VOCDetection, YoloTxtDetection
from detseg.data.base import count_possibly_kept, possibly_kept

#: xywh boxes on a 20 x 30 image: inside, partly outside (4 px kept), beyond the right edge,
#: below the bottom edge, and reaching 0.5 px into the image (under 1 px once clipped).
INSIDE = [2, 2, 5, 5]
PARTLY_OUTSIDE = [26, 2, 10, 5]
RIGHT_OF = [1002, 2, 5, 5]
BELOW = [2, 25, 5, 5]
SLIVER = [29.5, 2, 10, 5]
OUTSIDE = [RIGHT_OF, BELOW, SLIVER]


def _xyxy(xywh: list[float]) -> list[float]:
    x, y, w, h = xywh
    return [x, y, x + w, y + h]


def _coco(root: Path, boxes: list[list[float]], size: dict) -> CocoDetection:
    """One 20 x 30 image whose entry holds ``size`` (``height`` / ``width`` or nothing) and
    ``boxes`` (COCO xywh)."""
    (root / "img").mkdir()
    cv2.imwrite(str(root / "img" / "a.png"), np.zeros((20, 30, 3), np.uint8))
    anns = [
        {"id": i, "image_id": 1, "category_id": 1, "bbox": box, "iscrowd": 0}
        for i, box in enumerate(boxes, start=1)
    ]
    data = {
        "images": [{"id": 1, "file_name": "a.png", **size}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "a"}],
    }
    (root / "ann.json").write_text(json.dumps(data))
    return CocoDetection(root / "img", root / "ann.json")


def _voc(root: Path, boxes: list[list[float]], size_xml: str) -> VOCDetection:
    """One 20 x 30 image whose xml holds ``size_xml`` and ``boxes`` (xywh, written 1-based)."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    cv2.imwrite(str(root / "JPEGImages" / "a.jpg"), np.zeros((20, 30, 3), np.uint8))
    objects = "".join(
        f"<object><name>a</name><bndbox><xmin>{x1 + 1}</xmin><ymin>{y1 + 1}</ymin>"
        f"<xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>"
        for x1, y1, x2, y2 in map(_xyxy, boxes)
    )
    xml = f"<annotation><filename>a.jpg</filename>{size_xml}{objects}</annotation>"
    (root / "Annotations" / "a.xml").write_text(xml)
    (root / "ImageSets/Main/trainval.txt").write_text("a\n")
    return VOCDetection(root, "trainval", classes=["a"])


COCO_SIZE = {"height": 20, "width": 30}
VOC_SIZE = "<size><width>30</width><height>20</height><depth>3</depth></size>"


def _kept_by_training(dataset) -> int:
    """How many boxes training keeps on the decoded images (the box checks)."""
    return sum(len(dataset[i][1]["boxes"]) for i in range(len(dataset)))


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [(OUTSIDE, 0), ([INSIDE, *OUTSIDE], 1), ([PARTLY_OUTSIDE, *OUTSIDE], 1)],
    ids=["all_outside", "one_inside", "one_partly_outside"],
)
@pytest.mark.parametrize("fmt", ["coco", "voc"])
def test_boxes_outside_the_stated_size_are_not_counted(tmp_path, fmt, boxes, expected):
    dataset = (
        _coco(tmp_path, boxes, COCO_SIZE) if fmt == "coco" else _voc(tmp_path, boxes, VOC_SIZE)
    )
    assert dataset.num_objects == expected
    assert dataset.num_objects == _kept_by_training(dataset)  # the same rule as training


@pytest.mark.parametrize("size", [{}, {"height": 20}, {"height": 20.5, "width": 30}])
def test_coco_without_a_whole_stated_size_counts_every_possible_box(tmp_path, size):
    dataset = _coco(tmp_path, [INSIDE, *OUTSIDE], size)
    assert dataset.num_objects == 4  # every box may be kept on a large enough image


def test_coco_sizes_written_as_floats_are_used(tmp_path):
    dataset = _coco(tmp_path, OUTSIDE, {"height": 20.0, "width": 30.0})
    assert dataset.num_objects == 0


def test_coco_zero_size_counts_every_possible_box(tmp_path):
    dataset = _coco(tmp_path, [INSIDE, RIGHT_OF], {"height": 0, "width": 0})
    assert dataset.num_objects == 2


@pytest.mark.parametrize(
    "size_xml", ["", "<size><width>0</width><height>0</height></size>"], ids=["absent", "zero"]
)
def test_voc_without_a_stated_size_counts_every_possible_box(tmp_path, size_xml):
    assert _voc(tmp_path, [INSIDE, *OUTSIDE], size_xml).num_objects == 4


def test_each_image_is_checked_against_its_own_size():
    boxes = np.array([_xyxy(RIGHT_OF)], dtype=np.float64)
    images = [(boxes, (20, 30)), (boxes, (20, 2000)), (boxes, None), (boxes, (20, 30))]
    assert count_possibly_kept(images) == 2
    assert possibly_kept(boxes, (20, 30)).tolist() == [False]
    assert possibly_kept(boxes).tolist() == [True]
    assert count_possibly_kept([]) == 0


def _yolo(root: Path, lines: str) -> YoloTxtDetection:
    for folder in ("images", "labels"):
        (root / folder).mkdir()
    cv2.imwrite(str(root / "images" / "a.png"), np.zeros((20, 30, 3), np.uint8))
    (root / "labels" / "a.txt").write_text(lines)
    return YoloTxtDetection(root / "images", classes=["a"])


def test_yolo_boxes_outside_the_image_are_not_counted(tmp_path):
    dataset = _yolo(tmp_path, "0 1.5 0.5 0.2 0.2\n0 0.5 1.5 0.2 0.2\n0 1.1 1.1 0.2 0.2\n")
    assert dataset.num_objects == 0
    assert _kept_by_training(dataset) == 0


def test_yolo_box_partly_outside_the_image_is_counted(tmp_path):
    dataset = _yolo(tmp_path, "0 1.5 0.5 0.2 0.2\n0 0.95 0.5 0.2 0.2\n")
    assert dataset.num_objects == 1
    assert _kept_by_training(dataset) == 1
