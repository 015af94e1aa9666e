"""Aspect-ratio grouping of a COCO dataset whose image entries state no usable size: the size
comes from the file header instead of a crash (null) or a refused size (0)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from detseg.data import CocoDetection
from detseg.data.group_sampler import aspect_ratio_group_ids, image_sizes


@pytest.mark.parametrize("stated_height", [None, 0, "20", True])
def test_unusable_stated_sizes_are_read_from_the_file(tmp_path, stated_height):
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "wide.png"), np.zeros((20, 30, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "img" / "tall.png"), np.zeros((40, 10, 3), np.uint8))
    images = [
        {"id": 1, "file_name": "wide.png", "height": stated_height, "width": 30},
        {"id": 2, "file_name": "tall.png", "height": 40, "width": 10},
    ]
    data = {"images": images, "annotations": [], "categories": [{"id": 1, "name": "a"}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    dataset = CocoDetection(tmp_path / "img", tmp_path / "ann.json")
    sizes = image_sizes(dataset)
    assert sizes == [(20, 30), (40, 10)]
    assert aspect_ratio_group_ids(sizes, 2) == [0, 1]
