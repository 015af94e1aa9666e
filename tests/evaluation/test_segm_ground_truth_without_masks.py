"""A COCO ground truth with an annotation without ``segmentation`` is refused for mask AP by a
message naming the file, the annotation and what to do (add the masks, or score boxes alone)."""

from __future__ import annotations

import pytest

from detseg.evaluation.coco_checks import check_segm_ground_truth


def _gt_without_segmentation() -> dict:
    return {
        "images": [{"id": 1, "file_name": "a.png", "height": 32, "width": 32}],
        "annotations": [
            {"id": 7, "image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 10], "area": 100}
        ],
        "categories": [{"id": 1, "name": "circle"}],
    }


def test_box_only_annotation_says_what_to_do():
    with pytest.raises(ValueError) as caught:
        check_segm_ground_truth(_gt_without_segmentation(), "val.json")
    message = str(caught.value)
    assert message.startswith("val.json: annotation 7 (image 1) has no 'segmentation'")
    assert "\n" not in message
    # the remedies: add the masks, or score boxes (a box-only model, or --iou-type bbox)
    assert "add each instance's mask" in message
    assert "faster_rcnn" in message and "--iou-type bbox" in message
