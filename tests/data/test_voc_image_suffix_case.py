"""A VOC image whose suffix is in mixed case (``a.Jpg``, as some cameras and Windows tools write
it) is found by its id on a case-sensitive file system, with no missing-image warning."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from detseg.data.voc import VOCDetection


def test_a_mixed_case_suffix_is_found(tmp_path, caplog):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    for name, file in (("a", "a.Jpg"), ("b", "b.jpg")):
        (tmp_path / "Annotations" / f"{name}.xml").write_text(
            "<annotation><object><name>cat</name><bndbox><xmin>2</xmin><ymin>2</ymin>"
            "<xmax>12</xmax><ymax>12</ymax></bndbox></object></annotation>"
        )
        assert cv2.imwrite(str(tmp_path / "JPEGImages" / file), np.zeros((16, 16, 3), np.uint8))
    (tmp_path / "ImageSets/Main/train.txt").write_text("a\nb\n")
    with caplog.at_level(logging.WARNING):
        dataset = VOCDetection(tmp_path, "train")
    assert not [r for r in caplog.records if "no image" in r.getMessage()]
    assert all(dataset[i] is not None for i in range(2))
