"""Class-wise NMS numbers its groups by label, as the torchvision twins' ``batched_nms``.

``torchvision.ops.batched_nms`` offsets each group's boxes by ``group id * (max coordinate +
1)`` (up to 1,000 boxes on the CPU), which changes how the float32 IoUs round. Faster R-CNN's
RoI heads and SSD's post-processing pass the labels ``1..K`` as group ids, as torchvision does
(``grouped_nms(..., first_group_id=1)``): with the ids ``0..K-1`` a box whose IoU with a better
one is 0.5 up to rounding would be kept by one and dropped by the other.
"""

from __future__ import annotations

import torch
import torchvision
from torchvision.models import detection as tv_detection

from detseg.detection.single_stage import postprocess_softmax
from detseg.models import from_torchvision

# Two boxes of IoU 0.5 in exact arithmetic; in float32 the IoU rounds above 0.5 with group id 1
# (the box is suppressed) and not above it with group id 0.
PAIR = torch.tensor([[0.2, 0.0, 0.5, 20.0], [0.3, 0.0, 0.6, 20.0]])


def test_the_pair_depends_on_the_group_id():
    scores = torch.tensor([0.9, 0.8])
    kept = [
        len(torchvision.ops.batched_nms(PAIR, scores, torch.full((2,), label), 0.5))
        for label in (0, 1)
    ]
    assert kept == [2, 1]


def test_ssd_postprocess_uses_the_labels_as_nms_groups():
    logits = torch.tensor([[[0.0, 2.0], [0.0, 1.0]]])  # [B=1, A=2, K+1=2]: class 1 for both
    (result,) = postprocess_softmax(logits, PAIR[None], 0.01, 100, 0.5, 100)
    scores = torch.softmax(logits[0], dim=-1)[:, 1]
    want = torchvision.ops.batched_nms(PAIR, scores, torch.ones(2, dtype=torch.int64), 0.5)
    assert want.tolist() == [0]
    torch.testing.assert_close(result["boxes"], PAIR[want], rtol=0, atol=0)
    assert result["labels"].tolist() == [1]


def test_faster_rcnn_odd_image_matches_torchvision():
    """A 97 x 131 image (random weights, many near-equal boxes): with the ids 0..K-1 the RoI
    heads keep another box than the twin."""
    torch.manual_seed(0)
    tv_model = tv_detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None,
        weights_backbone=None,
        num_classes=5,
        box_score_thresh=0.0,
        min_size=160,
        max_size=256,
    ).eval()
    model = from_torchvision(tv_model).eval()
    image = torch.rand(3, 97, 131, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        (want,) = tv_model([image])
        (have,) = model.predict([image])
    assert want["boxes"].shape[0] == 100
    torch.testing.assert_close(have["boxes"], want["boxes"], atol=1e-4, rtol=0)
    torch.testing.assert_close(have["scores"], want["scores"], atol=1e-5, rtol=0)
    assert torch.equal(have["labels"], want["labels"])
