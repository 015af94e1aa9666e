"""YOLO label files saved as UTF-16 (with its byte-order mark, as Windows PowerShell's ``>``
writes them) are read as such, not dropped line by line as garbage."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detseg.data import YoloTxtDetection


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_label_file_encodings_with_a_byte_order_mark(tmp_path, encoding):
    images, labels = tmp_path / "images" / "train", tmp_path / "labels" / "train"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    cv2.imwrite(str(images / "a.png"), np.zeros((20, 40, 3), np.uint8))
    text = "0 0.5 0.5 0.5 0.5\r\n1 0.25 0.25 0.5 0.5\r\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # the big-endian codec writes no byte-order mark itself
    (labels / "a.txt").write_bytes(data)
    _, target = YoloTxtDetection(images, classes=["cat", "dog"])[0]
    assert target["labels"].tolist() == [1, 2] and target["dropped_boxes"] == 0
    assert target["boxes"].tolist() == [[10.0, 5.0, 30.0, 15.0], [0.0, 0.0, 20.0, 10.0]]
