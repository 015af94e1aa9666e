"""An image whose decoded size differs from the size its annotations state (a COCO entry's
height/width, a VOC <size>): one warning naming the file and both sizes; VOC's stated size."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest

from detseg.data import CocoDetection, VOCDetection

MISMATCH = "is 30 x 20 (W x H) but its annotations say 60 x 40"


def _coco(root, stated):
    """Two 20x30 images whose entries state ``stated`` ``(H, W)``."""
    (root / "img").mkdir()
    images = []
    for i in (1, 2):
        cv2.imwrite(str(root / "img" / f"{i}.png"), np.zeros((20, 30, 3), np.uint8))
        images.append({"id": i, "file_name": f"{i}.png", "height": stated[0], "width": stated[1]})
    data = {"images": images, "annotations": [], "categories": [{"id": 1, "name": "a"}]}
    (root / "ann.json").write_text(json.dumps(data))
    return CocoDetection(root / "img", root / "ann.json")


def _voc(root, size_xml):
    """One 20x30 image ``a.jpg`` whose xml holds ``size_xml`` and one object."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    cv2.imwrite(str(root / "JPEGImages" / "a.jpg"), np.zeros((20, 30, 3), np.uint8))
    box = "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox>"
    xml = f"<annotation>{size_xml}<object><name>cat</name>{box}</object></annotation>"
    (root / "Annotations" / "a.xml").write_text(xml)
    (root / "ImageSets/Main/trainval.txt").write_text("a\n")
    return VOCDetection(root, "trainval")


def test_coco_size_mismatch_is_reported_once(tmp_path, caplog):
    dataset = _coco(tmp_path, (40, 60))
    with caplog.at_level(logging.WARNING, logger="detseg.data.base"):
        dataset[0], dataset[1], dataset[0]
    assert caplog.text.count(MISMATCH) == 1
    assert "1.png " + MISMATCH in caplog.text and "check_data" in caplog.text


def test_matching_sizes_are_not_reported(tmp_path, caplog):
    dataset = _coco(tmp_path, (20, 30))
    with caplog.at_level(logging.WARNING, logger="detseg.data.base"):
        dataset[0]
    assert "annotations say" not in caplog.text


def test_voc_size_mismatch_is_reported(tmp_path, caplog):
    size = "<size><width>60</width><height>40</height><depth>3</depth></size>"
    dataset = _voc(tmp_path, size)
    assert dataset.stated_size(0) == (40, 60)
    with caplog.at_level(logging.WARNING, logger="detseg.data.base"):
        _, target = dataset[0]
    assert "a.jpg " + MISMATCH in caplog.text
    assert target["boxes"].tolist() == [[0.0, 0.0, 5.0, 5.0]]  # read against the decoded image


@pytest.mark.parametrize(
    "size_xml",
    ["", "<size><width>0</width><height>0</height></size>", "<size><width>30</width></size>"],
)
def test_voc_without_a_usable_size_states_none(tmp_path, size_xml):
    assert _voc(tmp_path, size_xml).stated_size(0) is None


def test_voc_size_written_as_floats(tmp_path):
    size = "<size><width>30.0</width><height>20.0</height></size>"
    assert _voc(tmp_path, size).stated_size(0) == (20, 30)
