"""VOC ``<difficult>`` flags as converters write them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detseg.convert.datasets.voc_reader import read_voc
from detseg.data import VOCDetection


def _voc(root, difficult: str) -> None:
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    assert cv2.imwrite(str(root / "JPEGImages" / "1.jpg"), np.zeros((50, 100, 3), np.uint8))
    (root / "ImageSets" / "Main" / "trainval.txt").write_text("1\n")
    flag = "" if difficult is None else f"<difficult>{difficult}</difficult>"
    (root / "Annotations" / "1.xml").write_text(
        "<annotation><filename>1.jpg</filename><object><name>dog</name>"
        "<pose>Unspecified</pose><truncated>1</truncated>"
        f"{flag}<bndbox><xmin>5</xmin><ymin>5</ymin><xmax>15</xmax><ymax>15</ymax></bndbox>"
        "</object><object><name>dog</name><difficult>0</difficult>"
        "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>100</xmax><ymax>50</ymax></bndbox>"
        "</object></annotation>"
    )


@pytest.mark.parametrize(
    ("text", "flag"),
    [("1", 1), ("1.0", 1), (" 1 ", 1), ("true", 1), ("True", 1),
     ("0", 0), ("0.0", 0), ("false", 0), ("", 0), (None, 0)],
)  # fmt: skip
def test_difficult_flag_forms(tmp_path, text, flag):
    _voc(tmp_path, text)
    _, target = VOCDetection(tmp_path, "trainval")[0]
    assert target["difficult"].tolist() == [flag, 0]
    # 1-based inclusive pixel indices: (xmin - 1, ymin - 1, xmax, ymax)
    assert target["boxes"].tolist() == [[4.0, 4.0, 15.0, 15.0], [0.0, 0.0, 100.0, 50.0]]


def test_a_difficult_object_written_as_1_0_is_left_out_of_training(tmp_path):
    _voc(tmp_path, "1.0")
    _, target = VOCDetection(tmp_path, "trainval", keep_difficult=False)[0]
    assert target["boxes"].tolist() == [[0.0, 0.0, 100.0, 50.0]]


def test_dataset_conversion_reads_the_flag_as_training_does(tmp_path):
    _voc(tmp_path, "1.0")
    record = read_voc(tmp_path, ["trainval"], classes=["dog"])
    (image,) = record.splits[0].images
    assert [obj.difficult for obj in image.objects] == [True, False]
