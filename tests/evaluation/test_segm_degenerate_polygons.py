"""Polygon segmentations with a part of fewer than 3 points (COCO has a few: a part of 4
numbers) are drawn without that part, as the dataset reader trains on them, and the mask
report of such a ground truth is written (pycocotools would read a first part of 4 numbers as
``[x, y, w, h]`` boxes and fail)."""

from __future__ import annotations

import cv2
import numpy as np

from detseg.data.coco_masks import decode_segmentation
from detseg.evaluation.coco_format import masks_to_rles, segmentation_mask
from detseg.evaluation.report import write_detection_report

H, W = 40, 50
SQUARE = [5.0, 3.0, 30.0, 3.0, 30.0, 25.0, 5.0, 25.0]


def test_short_parts_are_left_out_as_the_reader_does(tmp_path):
    alone = segmentation_mask([SQUARE], H, W)
    assert alone.sum() > 0
    for polygons in ([[1.0, 1.0, 2.0, 2.0], SQUARE], [SQUARE, [1.0, 1.0]], [[], SQUARE]):
        drawn = segmentation_mask(polygons, H, W)
        assert drawn.shape == (H, W) and drawn.dtype == np.uint8
        np.testing.assert_array_equal(drawn, alone)
        read = decode_segmentation({"segmentation": polygons}, H, W, tmp_path / "a.png")
        np.testing.assert_array_equal(drawn, read)


def test_only_short_parts_draw_an_empty_mask():
    drawn = segmentation_mask([[1.0, 1.0, 9.0, 9.0], [3.0, 4.0]], H, W)
    assert drawn.shape == (H, W) and not drawn.any()


def test_mask_report_of_a_ground_truth_with_a_short_part(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    assert cv2.imwrite(str(images / "a.png"), np.full((H, W, 3), 90, dtype=np.uint8))
    gt = {
        "images": [{"id": 1, "file_name": "a.png", "height": H, "width": W}],
        "categories": [{"id": 1, "name": "box"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [5.0, 3.0, 25.0, 22.0],
                "area": 550.0,
                "iscrowd": 0,
                "segmentation": [[1.0, 1.0, 2.0, 2.0], SQUARE],
            }
        ],
    }
    mask = np.zeros((1, H, W), dtype=np.uint8)
    mask[0, :4, :4] = 1  # a miss: the image is among the worst, drawn with its gt outlines
    (rle,) = masks_to_rles(mask, 1)
    det = {"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [0.0, 0.0, 4.0, 4.0]}
    path = write_detection_report(
        tmp_path / "report", gt, [{**det, "segmentation": rle}], images, segm=True
    )
    assert path.is_file() and "<img" in path.read_text(encoding="utf-8")
