"""Box ops that index ``boxes[:, k]`` refuse a box tensor of the wrong rank in one line."""

import pytest
import torch

from detseg.ops import (
    batched_box_iou,
    box_area,
    box_iou,
    generalized_box_iou,
    remove_small_boxes,
)
from detseg.ops.yolo_priors import encode_yolov1_boxes

ONE_BOX = torch.tensor([0.0, 0.0, 10.0, 10.0])  # [4]
BATCH = torch.tensor([[[0.0, 0.0, 10.0, 10.0], [2.0, 2.0, 3.0, 3.0]]])  # [1, 2, 4]


@pytest.mark.parametrize(
    "call",
    [
        lambda: box_iou(ONE_BOX, ONE_BOX),
        lambda: box_iou(BATCH, BATCH),
        lambda: generalized_box_iou(ONE_BOX, ONE_BOX),
        lambda: box_area(ONE_BOX),
        lambda: box_area(BATCH),
        lambda: remove_small_boxes(BATCH, 1.0),
        lambda: encode_yolov1_boxes(BATCH, 7, (64, 64)),
        lambda: batched_box_iou(BATCH[0], BATCH[0]),
        lambda: batched_box_iou(BATCH, ONE_BOX),
    ],
    ids=[
        "iou_1d",
        "iou_3d",
        "giou_1d",
        "area_1d",
        "area_3d",
        "small_3d",
        "yolov1_3d",
        "batched_2d",
        "batched_other_1d",
    ],
)
def test_wrong_rank_is_one_line(call) -> None:
    with pytest.raises(ValueError, match=r"must have shape \[(B, )?N, 4\]") as info:
        call()
    assert "\n" not in str(info.value)


def test_single_box_hint_names_the_fix() -> None:
    with pytest.raises(
        ValueError, match=r"got \(4,\) \(add the missing dimension: boxes1\[None\]\)"
    ):
        box_iou(ONE_BOX, ONE_BOX[None])


def test_right_ranks_unchanged() -> None:
    boxes = BATCH[0]
    assert box_iou(boxes, boxes).shape == (2, 2)
    assert batched_box_iou(BATCH, boxes).shape == (1, 2, 2)
    assert remove_small_boxes(boxes, 5.0).tolist() == [0]
