"""detseg.ops: the box machinery shared by every detector (pure tensor code).

Boxes are ``xyxy`` in absolute pixels unless a docstring says otherwise.
"""

from detseg.ops.anchors import AnchorGenerator
from detseg.ops.box_coder import BoxCoder
from detseg.ops.boxes import (
    batched_box_iou,
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    clip_boxes_to_sizes,
    generalized_box_iou,
    invalid_box_mask,
    remove_small_boxes,
)
from detseg.ops.matching import BalancedSampler, Matcher, hard_negative_mining
from detseg.ops.nms import batched_nms, filter_detections, grouped_nms

__all__ = [
    "AnchorGenerator",
    "BalancedSampler",
    "BoxCoder",
    "Matcher",
    "batched_nms",
    "box_area",
    "box_convert",
    "batched_box_iou",
    "box_iou",
    "clip_boxes_to_image",
    "clip_boxes_to_sizes",
    "filter_detections",
    "generalized_box_iou",
    "grouped_nms",
    "hard_negative_mining",
    "invalid_box_mask",
    "remove_small_boxes",
]
