"""A VOC box with a negative ``xmin`` or ``ymin`` reaches outside the image: it is not taken
for a sign of 0-based files, whose advice (add 1 to all four coordinates) would not fix it."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from detseg.data import VOCDetection
from detseg.data.voc_xml import looks_zero_based


def _voc(root, box: tuple[int, int, int, int]) -> None:
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    (root / "ImageSets" / "Main" / "trainval.txt").write_text("a\n")
    assert cv2.imwrite(str(root / "JPEGImages" / "a.jpg"), np.zeros((50, 100, 3)))
    x1, y1, x2, y2 = box
    (root / "Annotations" / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><object><name>dog</name><bndbox>"
        f"<xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax>"
        "</bndbox></object></annotation>"
    )


def test_a_negative_corner_is_not_called_zero_based(tmp_path, caplog):
    _voc(tmp_path, (-20, 5, 30, 40))
    with caplog.at_level(logging.WARNING):
        dataset = VOCDetection(tmp_path, "trainval")
    assert not [r for r in caplog.records if "0-based" in r.getMessage()]
    assert dataset.annotations(0, (50, 100)).boxes.tolist() == [[-21.0, 4.0, 30.0, 40.0]]


def test_zero_and_fractional_corners_still_look_zero_based():
    assert looks_zero_based([[-1.0, 4.0, 10.0, 10.0]])  # xmin 0
    assert looks_zero_based([[4.0, -0.5, 10.0, 10.0]])  # ymin 0.5
    assert not looks_zero_based([[-21.0, 4.0, 30.0, 40.0]])  # xmin -20: outside the image
    assert not looks_zero_based([[0.0, 0.0, 10.0, 10.0]])  # xmin 1: 1-based
