"""RoI rows that torchvision's CPU kernels would read memory outside the features for (a NaN or
infinite coordinate, an image index outside ``0..B-1``) are refused with one line naming the
row, by ``roi_align_fast_backward`` and by ``RoIPooler``; a huge finite coordinate gives
torchvision's values and gradient (zeros), not an out-of-range index in the backward."""

import pytest
import torch
from torchvision.ops import roi_align

from detseg.detection.roi_pooling import RoIPooler
from detseg.ops.roi_align import roi_align_fast_backward

GOOD = [0.0, 1.0, 1.0, 5.0, 5.0]


def rois_with(row: list[float]) -> torch.Tensor:
    """``Float[2, 5]``: a valid RoI, then ``row``."""
    return torch.tensor([GOOD, row])


@pytest.mark.parametrize("value", [float("nan"), float("-inf"), float("inf")])
@pytest.mark.parametrize("column", [0, 1, 4])
def test_fast_backward_refuses_a_non_finite_row(value, column) -> None:
    row = list(GOOD)
    row[column] = value
    features = torch.randn(1, 2, 8, 8, requires_grad=True)
    with pytest.raises(ValueError, match="RoI row 1 .* not finite") as info:
        roi_align_fast_backward(features, rois_with(row), 2, 1.0, 2)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("index", [2.0, -1.0])
def test_fast_backward_refuses_an_image_index_past_the_batch(index) -> None:
    features = torch.randn(2, 2, 8, 8, requires_grad=True)
    with pytest.raises(ValueError, match=r"RoI row 1 .*image index .* 2 images"):
        roi_align_fast_backward(features, rois_with([index, 1.0, 1.0, 5.0, 5.0]), 2, 1.0, 2)


@pytest.mark.parametrize("kind", ["align", "pool"])
@pytest.mark.parametrize("strides", [(8,), (4, 8)])
def test_pooler_refuses_a_nan_box(kind, strides) -> None:
    pooler = RoIPooler([f"p{s}" for s in strides], strides, output_size=2, kind=kind)
    features = {f"p{s}": torch.randn(1, 2, 64 // s, 64 // s) for s in strides}
    boxes = [torch.tensor([[1.0, 1.0, 30.0, 30.0], [float("nan"), 2.0, 20.0, 20.0]])]
    with pytest.raises(ValueError, match="RoI row 1 .* not finite"):
        pooler(features, boxes)


def test_pooler_refuses_boxes_for_an_image_the_batch_lacks() -> None:
    pooler = RoIPooler(["p8"], (8,), output_size=2)
    features = {"p8": torch.randn(1, 2, 8, 8)}
    boxes = [torch.tensor([[1.0, 1.0, 30.0, 30.0]]), torch.tensor([[1.0, 1.0, 30.0, 30.0]])]
    with pytest.raises(ValueError, match=r"RoI row 1 .*image index 1 .* 1 images"):
        pooler(features, boxes)


def test_huge_finite_coordinates_give_torchvisions_values_and_gradient() -> None:
    features = torch.randn(1, 2, 8, 8, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor(
        [GOOD, [0.0, 1e30, 1.0, 5.0, 5.0], [0.0, 1.0, 1e30, 5.0, 1e31], [0.0, -1e30, 1, 5, 5]],
        dtype=torch.float64,
    )
    have = roi_align_fast_backward(features, rois, 2, 1.0, 2)
    (have_grad,) = torch.autograd.grad(have.sum(), features)
    want = roi_align(features, rois, 2, 1.0, 2)
    (want_grad,) = torch.autograd.grad(want.sum(), features)
    assert torch.equal(have, want) and torch.equal(have_grad, want_grad)
