"""BoxCoder on float16 / bfloat16 inputs (heads under autocast): computed in float32.

bfloat16 keeps 8 significant bits, so an anchor at x = 747 px is stored as 748 and a decoded
coordinate near 800 px moves in 4 px steps; the decoded boxes must be the float32 decoding of
the same (rounded) deltas.
"""

import pytest
import torch

from detseg.ops import BoxCoder

HALF = [torch.bfloat16, torch.float16]


def _anchors(n: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(n, 2, generator=g) * 700 + 0.25  # not whole pixels, nor bfloat16 values
    wh = torch.rand(n, 2, generator=g) * 100 + 16
    return torch.cat([xy, xy + wh], dim=1)


@pytest.mark.parametrize("dtype", HALF, ids=str)
@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)])
def test_decode_of_half_deltas_is_the_float32_decode(dtype, weights):
    coder = BoxCoder(weights)
    anchors = _anchors(64)
    deltas = torch.randn(64, 8, generator=torch.Generator().manual_seed(1)).to(dtype)  # K = 2
    boxes = coder.decode(deltas, anchors)
    assert boxes.dtype == torch.float32
    assert torch.equal(boxes, coder.decode(deltas.float(), anchors))


def test_decode_keeps_sub_pixel_anchor_offsets():
    anchors = torch.tensor([[747.25, 700.5, 795.75, 780.0]])
    boxes = BoxCoder().decode(torch.zeros(1, 4, dtype=torch.bfloat16), anchors)
    # zero deltas give the anchor back, not its bfloat16 rounding (748, 700, 796, 780)
    assert torch.equal(boxes[:, 0], anchors)


@pytest.mark.parametrize("dtype", HALF, ids=str)
def test_encode_of_half_boxes_is_the_float32_encode(dtype):
    coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
    anchors = _anchors(32)
    gt = (anchors + torch.randn(32, 4, generator=torch.Generator().manual_seed(2))).to(dtype)
    deltas = coder.encode(gt, anchors)
    assert deltas.dtype == torch.float32
    assert torch.equal(deltas, coder.encode(gt.float(), anchors))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_float32_and_float64_keep_their_dtype(dtype):
    anchors = _anchors(8)
    deltas = torch.randn(8, 4, generator=torch.Generator().manual_seed(3), dtype=dtype)
    assert BoxCoder().decode(deltas, anchors).dtype == dtype
    assert BoxCoder().encode(anchors.to(dtype), anchors).dtype == dtype
