"""clip_boxes_to_sizes in backward: torchvision's clip_boxes_to_image gradient, bounds included."""

import pytest
import torch
import torchvision.ops as tvops

from detseg.ops.boxes import clip_boxes_to_sizes

SIZES = [(48, 64), (30, 20)]


def _boxes(dtype):
    boxes = torch.tensor(
        [
            [[-5.0, -5.0, 100.0, 100.0], [0.0, 0.0, 64.0, 48.0], [10.0, 10.0, 20.0, 20.0]],
            [[0.0, 3.0, 20.0, 30.0], [19.5, 29.5, 20.0, 30.0], [-1.0, 30.0, 25.0, 31.0]],
        ],
        dtype=dtype,
    )
    boxes[1, 2, 0] = float("nan")
    return boxes


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_and_gradient_equal_clipping_image_by_image(dtype):
    boxes = _boxes(dtype)
    ours_in = boxes.clone().requires_grad_(True)
    ours = clip_boxes_to_sizes(ours_in, SIZES)
    weights = torch.arange(1.0, 1.0 + ours.numel(), dtype=dtype).view_as(ours)
    (our_grad,) = torch.autograd.grad((ours.nan_to_num() * weights).sum(), ours_in)

    ref_in = boxes.clone().requires_grad_(True)
    ref = torch.stack([tvops.clip_boxes_to_image(b, s) for b, s in zip(ref_in, SIZES, strict=True)])
    (ref_grad,) = torch.autograd.grad((ref.nan_to_num() * weights).sum(), ref_in)

    assert torch.equal(ours.detach().nan_to_num(-7.0), ref.detach().nan_to_num(-7.0))
    assert ours.isnan().equal(ref.isnan())
    assert torch.equal(our_grad, ref_grad)


def test_coordinate_on_the_image_border_gets_no_gradient():
    boxes = torch.tensor([[[0.0, 0.0, 64.0, 48.0]]], requires_grad=True)
    (grad,) = torch.autograd.grad(clip_boxes_to_sizes(boxes, [(48, 64)]).sum(), boxes)
    assert torch.equal(grad, torch.zeros_like(grad))
