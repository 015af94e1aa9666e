"""``--segments`` and a COCO mask in several parts (an occluded object): its outer contours are
joined into one ring whose extent is the mask's box, the box YOLO training reads from a segment
line (the largest part alone cost 16 of the shapes test split's 983 objects up to 117 px of
their box); an outline that still spans less than its annotation's box (a segmentation and a
bbox that disagree) is counted in one warning per split."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from detseg.convert.datasets.coco_reader import _pixel_edge_outline
from detseg.convert.datasets.records import DatasetRecord, ImageRecord, ObjectRecord, SplitRecord
from detseg.convert.datasets.yolo_writer import shrinks_box, write_yolo

#: The right half of a 40 x 40 box: an outline that disagrees with its box.
HALF = ObjectRecord(box=(10, 10, 50, 50), class_index=0, polygon=(30, 10, 50, 10, 50, 50, 30, 50))
#: An outline that spans its box.
WHOLE = ObjectRecord(box=(10, 10, 50, 50), class_index=0, polygon=(10, 10, 50, 10, 50, 50, 10, 50))


def _write(tmp_path, objects, segments=True):
    tmp_path.mkdir(parents=True, exist_ok=True)
    image = tmp_path / "a.png"
    Image.new("RGB", (64, 64)).save(image)
    record = ImageRecord(path=image, file_name="a.png", width=64, height=64, objects=objects)
    dataset = DatasetRecord(classes=["cat"], splits=[SplitRecord("train", [record])])
    return write_yolo(dataset, tmp_path / "out", False, lambda _, images: images, segments)


def test_an_outline_smaller_than_its_box_is_found():
    assert shrinks_box(HALF) and not shrinks_box(WHOLE)
    assert not shrinks_box(ObjectRecord(box=(10, 10, 50, 50), class_index=0))  # no outline


def test_segment_lines_that_shrink_a_box_are_counted_in_one_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        _write(tmp_path, [HALF, WHOLE, HALF])
    warnings = [r.getMessage() for r in caplog.records if "segment line" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("train: 2 object(s) written as a segment line that spans less")
    assert "without --segments" in warnings[0]


def test_boxes_and_whole_outlines_give_no_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        _write(tmp_path, [WHOLE])
        _write(tmp_path / "boxes", [HALF], segments=False)
    assert not [r for r in caplog.records if "segment line" in r.getMessage()]


def test_a_mask_in_parts_is_one_ring_with_the_mask_box_and_area():
    mask = np.zeros((30, 40), dtype=np.uint8)
    mask[5:20, 3:12] = 1  # the large part
    mask[22:26, 30:38] = 1  # a small part apart: right of and below the large one
    mask[2, 20] = 1  # a one-pixel part
    ring = _pixel_edge_outline(mask)
    xs, ys = np.array(ring[0::2]), np.array(ring[1::2])
    rle = mask_utils.encode(np.asfortranarray(mask))
    x, y, w, h = mask_utils.toBbox(rle)
    np.testing.assert_allclose([xs.min(), ys.min(), xs.max(), ys.max()], [x, y, x + w, y + h])
    area = abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))) / 2
    assert area == pytest.approx(float(mask_utils.area(rle)))  # the bridges add no area
    obj = ObjectRecord(box=(x, y, x + w, y + h), class_index=0, polygon=ring)
    assert not shrinks_box(obj)
