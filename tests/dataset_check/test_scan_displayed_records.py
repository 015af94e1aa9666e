"""A scan record says whether training reads its image as displayed by the dataset's own rule
(:meth:`~detseg.data.base.ImageDataset.reads_as_displayed`): a YOLO dataset reads every tagged
JPEG as displayed, half turns, mirrors and square quarter turns included, whose size does not
change; a quarter turn of a non-square photo is checked at its transposed size."""

from __future__ import annotations

import pytest
from yolo_exif_photos import DISPLAYED_HW, yolo_photo

from detseg.data.yolo import YoloTxtDetection
from detseg.dataset_check.scan import scan_split


def _record(root, orientation, displayed_hw=DISPLAYED_HW, box=(4.0, 24.0, 16.0, 36.0)):
    yolo_photo(root, orientation, displayed_hw, box)
    dataset = YoloTxtDetection(root / "images" / "train", classes=["square"])
    (record,) = scan_split(dataset, "train", decode=False).records
    return record


@pytest.mark.parametrize("orientation", [2, 3, 4, 6])
def test_every_tagged_yolo_photo_is_recorded_as_displayed(tmp_path, orientation):
    record = _record(tmp_path, orientation)
    assert record.orientation == orientation
    assert record.displayed
    assert record.size == DISPLAYED_HW


def test_a_square_quarter_turned_yolo_photo_is_recorded_as_displayed(tmp_path):
    record = _record(tmp_path, 8, (32, 32), (4.0, 20.0, 12.0, 28.0))
    assert record.displayed and record.size == (32, 32)
