"""GIoU and smooth L1 losses of float16/bfloat16 inputs: torchvision's and torch's numbers."""

import pytest
import torch
import torch.nn.functional as F
import torchvision.ops as tvops

from detseg.losses import giou_loss, smooth_l1_loss

HALF_DTYPES = [torch.float16, torch.bfloat16]


def _pixel_boxes(n, generator, max_xy=600.0, max_wh=400.0):
    xy = torch.rand(n, 2, generator=generator) * max_xy
    return torch.cat([xy, xy + torch.rand(n, 2, generator=generator) * max_wh + 1], dim=1)


def _values_and_grads(fn, *inputs):
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    out = fn(*leaves)
    return out.detach(), torch.autograd.grad(out.sum(), leaves)


@pytest.mark.parametrize("dtype", HALF_DTYPES)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_giou_loss_of_half_boxes_is_torchvisions(dtype, reduction):
    g = torch.Generator().manual_seed(0)
    pred, target = _pixel_boxes(64, g).to(dtype), _pixel_boxes(64, g).to(dtype)
    pred[0] = torch.tensor([0.0, 0.0, 300.0, 300.0])  # enclosing area above 65504
    target[0] = torch.tensor([10.0, 10.0, 310.0, 310.0])
    ours, our_grads = _values_and_grads(lambda p, t: giou_loss(p, t, reduction), pred, target)
    ref, ref_grads = _values_and_grads(
        lambda p, t: tvops.generalized_box_iou_loss(p, t, reduction), pred, target
    )
    assert ours.dtype == ref.dtype == torch.float32
    assert torch.isfinite(ours).all()
    assert torch.equal(ours, ref)
    for a, b in zip(our_grads, ref_grads, strict=True):
        assert a.dtype == b.dtype == dtype
        assert torch.equal(a, b)


def test_giou_loss_of_large_float16_boxes_is_finite():
    pred = torch.tensor([[0.0, 0.0, 300.0, 300.0]], dtype=torch.float16)
    target = torch.tensor([[10.0, 10.0, 310.0, 310.0]], dtype=torch.float16)
    loss = giou_loss(pred, target, reduction="none")
    # inter 290^2, union 2 * 300^2 - 290^2, enclosing 310^2
    inter, union, enclosing = 290.0**2, 2 * 300.0**2 - 290.0**2, 310.0**2
    expected = 1 - (inter / union - (enclosing - union) / enclosing)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("dtype", HALF_DTYPES)
@pytest.mark.parametrize("beta", [1 / 9, 1.0, 0.0])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_smooth_l1_of_half_inputs_is_torchs(dtype, beta, reduction):
    g = torch.Generator().manual_seed(1)
    pred = (torch.randn(500, generator=g) * 0.4).to(dtype)
    target = (torch.randn(500, generator=g) * 0.4).to(dtype)
    pred[:5] = target[:5]  # zero difference
    ours, our_grads = _values_and_grads(
        lambda p, t: smooth_l1_loss(p, t, beta, reduction), pred, target
    )
    ref, ref_grads = _values_and_grads(
        lambda p, t: F.smooth_l1_loss(p, t, reduction=reduction, beta=beta), pred, target
    )
    assert ours.dtype == ref.dtype == dtype
    assert torch.equal(ours, ref)
    for a, b in zip(our_grads, ref_grads, strict=True):
        assert torch.equal(a, b)
