"""IoU of float16 / bfloat16 boxes (what a head returns under AMP) against torchvision.ops.

``torchvision.ops.box_iou`` upcasts half-precision boxes to float32 before the area products:
a float16 area overflows to ``inf`` from 256 x 256 pixels (65504 is the largest float16), and
bfloat16 keeps only 8 significant bits. detseg's own IoU kernels (the batched one used by
every matcher, and the paired / shape-only ones of the YOLO targets) must do the same.
"""

import pytest
import torch
import torchvision.ops as tvops

from detseg.ops import batched_box_iou
from detseg.ops.yolo_priors import paired_box_iou, wh_iou

HALF = [torch.float16, torch.bfloat16]


def _random_boxes(generator: torch.Generator, *shape: int, scale: float = 600.0) -> torch.Tensor:
    """Float32 xyxy boxes on a 1-pixel grid (exact in float16), sides up to ``scale / 2``."""
    xy = torch.randint(0, int(scale), (*shape, 2), generator=generator).float()
    wh = torch.randint(0, int(scale / 2), (*shape, 2), generator=generator).float()
    return torch.cat([xy, xy + wh], dim=-1)


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("shared", [False, True])
def test_batched_box_iou_of_half_boxes_equals_torchvision_per_image(dtype, shared):
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        boxes1 = _random_boxes(g, 3, 5).to(dtype)
        boxes2 = (_random_boxes(g, 7) if shared else _random_boxes(g, 3, 7)).to(dtype)
        iou = batched_box_iou(boxes1, boxes2)
        assert iou.dtype == torch.float32
        for b in range(3):
            want = tvops.box_iou(boxes1[b], boxes2 if shared else boxes2[b])
            torch.testing.assert_close(iou[b], want, rtol=0, atol=0, equal_nan=True)


def test_large_float16_prediction_still_overlaps_its_ground_truth():
    # a 300 x 300 box: its float16 area (90000) used to overflow to inf, so IoU 0 with itself
    gt = torch.tensor([[[10.0, 20.0, 310.0, 320.0]]])
    pred = gt.half()
    assert batched_box_iou(pred, gt).item() == 1.0
    assert batched_box_iou(pred, pred).item() == 1.0
    assert paired_box_iou(pred, gt).item() == 1.0
    assert wh_iou(pred[0, :, 2:] - pred[0, :, :2], torch.tensor([[300.0, 300.0]]).half()) == 1.0


@pytest.mark.parametrize("dtype", HALF)
def test_paired_box_iou_of_half_boxes_equals_torchvision_diagonal(dtype):
    g = torch.Generator().manual_seed(1)
    boxes1, boxes2 = _random_boxes(g, 200).to(dtype), _random_boxes(g, 200).to(dtype)
    iou = paired_box_iou(boxes1, boxes2)
    assert iou.dtype == torch.float32
    want = tvops.box_iou(boxes1, boxes2).diagonal().nan_to_num(0.0)  # paired: 0, not NaN
    torch.testing.assert_close(iou, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", HALF)
def test_wh_iou_of_half_sizes_equals_torchvision_on_centred_boxes(dtype):
    g = torch.Generator().manual_seed(2)
    wh1 = torch.randint(1, 400, (30, 2), generator=g).to(dtype)
    wh2 = torch.randint(1, 400, (9, 2), generator=g).to(dtype)
    iou = wh_iou(wh1, wh2)
    assert iou.dtype == torch.float32
    centred = [torch.cat([-wh.float() / 2, wh.float() / 2], dim=1) for wh in (wh1, wh2)]
    torch.testing.assert_close(iou, tvops.box_iou(*centred), rtol=1e-6, atol=1e-7)
