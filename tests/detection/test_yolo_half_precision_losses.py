"""YOLO losses under float16 / bfloat16 autocast: finite, and close to the float32 values.

The v3 GIoU box term multiplies pixel widths and heights: in float16 the area of a box over
256 x 256 px (and of the enclosing box) is past 65504, so the box term is computed in float32.
"""

from __future__ import annotations

import pytest
import torch

from detseg.detection.yolo_heads import YOLOv1GridHead, YOLOv3Head
from detseg.detection.yolo_loss import YOLOv3LossConfig

# a large object (390 x 370 px) and a small one, on a 416 px input
TARGETS = [
    {"boxes": torch.tensor([[10.0, 10.0, 400.0, 380.0]]), "labels": torch.tensor([1])},
    {"boxes": torch.tensor([[10.0, 10.0, 40.0, 38.0]]), "labels": torch.tensor([3])},
]


def _losses(head, features, image_size, dtype):
    if dtype is None:
        return head.losses(features, TARGETS, image_size)
    with torch.autocast("cpu", dtype=dtype):
        return head.losses(features, TARGETS, image_size)


def _tolerance(dtype: torch.dtype) -> dict[str, float]:
    """Each loss is a sum of terms of the logits rounded to ``dtype``: within two of its
    rounding steps (``finfo.eps``: 2**-10 for float16, 2**-7 for bfloat16) of the float32
    value, relative only (the v1 objectness loss is about 0.008: an absolute tolerance of
    0.02 would accept a zero)."""
    return {"rtol": 2 * torch.finfo(dtype).eps, "atol": 0.0}


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
@pytest.mark.parametrize("box_loss", ["giou", "smooth_l1"])
def test_yolov3_losses_under_autocast(box_loss, dtype):
    torch.manual_seed(0)
    priors = [[[10.0, 13.0]], [[62.0, 45.0]], [[373.0, 326.0]]]
    config = YOLOv3LossConfig(box_loss=box_loss)
    head = YOLOv3Head([8] * 3, [8, 16, 32], priors, 3, 8, 8, config)
    features = [torch.randn(2, 8, 52, 52), torch.randn(2, 8, 26, 26), torch.randn(2, 8, 13, 13)]
    reference = _losses(head, features, (416, 416), None)
    losses = _losses(head, features, (416, 416), dtype)
    sum(losses.values()).backward()
    assert all(torch.isfinite(p.grad).all() for p in head.parameters() if p.grad is not None)
    for name, value in losses.items():
        assert torch.isfinite(value), name
        torch.testing.assert_close(value.float(), reference[name], **_tolerance(dtype))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
def test_yolov1_losses_under_autocast(dtype):
    torch.manual_seed(0)
    head = YOLOv1GridHead(8, 3, 7, 2, 8)
    features = [torch.randn(2, 8, 14, 14)]
    reference = _losses(head, features, (448, 448), None)
    losses = _losses(head, features, (448, 448), dtype)
    assert len(reference) > 0 and losses.keys() == reference.keys()
    for name, value in losses.items():
        assert torch.isfinite(value), name
        torch.testing.assert_close(value.float(), reference[name], **_tolerance(dtype))


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_losses_of_a_head_cast_to_bfloat16(version):
    """A head cast with ``.to(torch.bfloat16)`` (no autocast) computes its losses in float32:
    in bfloat16 the objectness BCE of a v3 negative at the initial logit -4.6 (about 0.01)
    cancels to 0, and the objectness loss drops from about 70 to about 5."""
    torch.manual_seed(0)
    if version == "v3":
        priors = [[[10.0, 13.0]], [[62.0, 45.0]], [[373.0, 326.0]]]
        head = YOLOv3Head([8] * 3, [8, 16, 32], priors, 3, 8, 8)
        features = [torch.randn(2, 8, s, s) for s in (52, 26, 13)]
        image_size = (416, 416)
    else:
        head = YOLOv1GridHead(8, 3, 7, 2, 8)
        features = [torch.randn(2, 8, 14, 14)]
        image_size = (448, 448)
    reference = head.losses(features, TARGETS, image_size)
    head.to(torch.bfloat16)
    losses = head.losses([f.bfloat16() for f in features], TARGETS, image_size)
    sum(losses.values()).backward()
    assert all(torch.isfinite(p.grad).all() for p in head.parameters() if p.grad is not None)
    for name, value in losses.items():
        assert value.dtype == torch.float32, name
        # the weights and features rounded to bfloat16 move each loss by well under 2 %
        torch.testing.assert_close(value, reference[name], rtol=0.02, atol=0.0)
