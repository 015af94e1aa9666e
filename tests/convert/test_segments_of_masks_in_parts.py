"""``--segments`` writes a COCO mask in several parts as its largest part, whose extent is the
box YOLO training reads: the writer counts the objects whose segment spans less than their box
in one warning per split (16 of the shapes test split's 983 objects lost up to 117 px of their
box without a word)."""

from __future__ import annotations

import logging

from PIL import Image

from detseg.convert.datasets.records import DatasetRecord, ImageRecord, ObjectRecord, SplitRecord
from detseg.convert.datasets.yolo_writer import shrinks_box, write_yolo

#: The right half of a 40 x 40 box: the largest part of a mask cut in two.
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
