"""BoxCoder: hand-computed deltas, round trip, and bit-exact parity with torchvision's twin."""

import math

import pytest
import torch
from torchvision.models.detection._utils import BoxCoder as TVBoxCoder

from detseg.ops import BoxCoder


def _random_boxes(n, generator, max_xy=300.0, min_wh=1.0, max_wh=200.0):
    xy = torch.rand(n, 2, generator=generator) * max_xy
    wh = torch.rand(n, 2, generator=generator) * (max_wh - min_wh) + min_wh
    return torch.cat([xy, xy + wh], dim=1)


def test_encode_written_case():
    anchor = torch.tensor([[0.0, 0.0, 10.0, 10.0]])  # center (5, 5), 10 x 10
    gt = torch.tensor([[5.0, 5.0, 15.0, 25.0]])  # center (10, 15), 10 x 20
    deltas = BoxCoder().encode(gt, anchor)
    torch.testing.assert_close(deltas, torch.tensor([[0.5, 1.0, 0.0, math.log(2.0)]]))
    weighted = BoxCoder(weights=(10.0, 10.0, 5.0, 5.0)).encode(gt, anchor)
    torch.testing.assert_close(weighted, torch.tensor([[5.0, 10.0, 0.0, 5 * math.log(2.0)]]))


def test_decode_written_case_and_clip():
    anchor = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    deltas = torch.tensor([[0.5, 1.0, 0.0, math.log(2.0), 0.0, 0.0, 100.0, 0.0]])  # K = 2
    boxes = BoxCoder().decode(deltas, anchor)
    assert boxes.shape == (1, 2, 4)
    torch.testing.assert_close(boxes[0, 0], torch.tensor([5.0, 5.0, 15.0, 25.0]))
    # dw = 100 is clamped to log(1000 / 16): width 10 * 62.5 = 625 around center x = 5
    torch.testing.assert_close(boxes[0, 1], torch.tensor([5 - 312.5, 0.0, 5 + 312.5, 10.0]))


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)])
def test_round_trip(weights):
    g = torch.Generator().manual_seed(0)
    # size ratios stay below 1000 / 16, so no delta reaches bbox_xform_clip
    anchors, gt = _random_boxes(500, g, min_wh=10.0), _random_boxes(500, g, min_wh=10.0)
    coder = BoxCoder(weights)
    decoded = coder.decode(coder.encode(gt, anchors), anchors)[:, 0]
    # float32 coordinates up to ~500 (ulp 3e-5): the round trip is off by a few ulps at most
    torch.testing.assert_close(decoded, gt, atol=1e-4, rtol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    "weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0), (2.0, 3.0, 0.5, 7.0)]
)
def test_parity_with_torchvision(weights, dtype):
    g = torch.Generator().manual_seed(1)
    ours, theirs = BoxCoder(weights), TVBoxCoder(weights)
    anchors = _random_boxes(400, g).to(dtype)
    gt = _random_boxes(400, g).to(dtype)
    assert torch.equal(ours.encode(gt, anchors), theirs.encode_single(gt, anchors))
    for k in (1, 3):
        deltas = (torch.randn(400, 4 * k, generator=g) * 3).to(dtype)  # some hit the clamp
        expected = theirs.decode(deltas, [anchors[:150], anchors[150:]])  # [N, K, 4]
        assert torch.equal(ours.decode(deltas, anchors), expected)


def test_decode_casts_anchors_and_handles_empty():
    coder = BoxCoder()
    out = coder.decode(torch.zeros(0, 8), torch.zeros(0, 4))
    assert out.shape == (0, 2, 4)
    anchors = torch.ones(2, 4).cumsum(1)  # float32 (1, 2, 3, 4)
    out = coder.decode(torch.zeros(2, 4, dtype=torch.float64), anchors)
    assert out.dtype == torch.float64
    assert torch.equal(out[:, 0], anchors.double())  # zero deltas decode to the anchors


def test_bad_inputs_raise():
    coder = BoxCoder()
    with pytest.raises(ValueError, match="deltas"):
        coder.decode(torch.zeros(3, 5), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="same N"):
        coder.encode(torch.zeros(3, 4), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="weights"):
        BoxCoder((1.0, 1.0, 0.0, 1.0))
