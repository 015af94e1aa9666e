"""``input.scale < 1`` on an odd side: the shrink before the network and the upsampling of the
logits map pixel centres by the same ratio of sizes, so the two resizes are inverse.

A 37-pixel side at scale 0.5 runs at 18 pixels. The logits go back by ``37 / 18``; a shrink by
the factor 0.5 (``1 / 0.5 = 2``) instead put every prediction ``(x + 0.5) / 37`` pixels toward
the far edge (0.5 px in the middle, nearly 1 px at the end). With an identity network the
logits are the image after both resizes: for a ramp, :func:`_round_trip` gives them, and
mirrored images give mirrored logits.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from detseg.export import export_model
from detseg.export.verify import load_exported
from detseg.segmentation.model import SegmentationModel

SIZES = [(37, 45), (45, 37), (375, 500), (9, 7)]


class _Identity(nn.Module):
    """Backbone ``{"x": x}`` and head ``features["x"][:, :2]``: the logits ``Float[B, 2, h, w]``
    are the first two channels of the (scaled) batch."""

    def forward(self, x: Tensor | dict[str, Tensor]) -> Tensor | dict[str, Tensor]:
        if isinstance(x, dict):
            return x["x"][:, :2]
        return {"x": x}


def _model(scale: float = 0.5) -> SegmentationModel:
    identity = _Identity()
    return SegmentationModel(
        identity,
        identity,
        1,
        image_mean=(0.0, 0.0, 0.0),
        image_std=(1.0, 1.0, 1.0),
        input_scale=scale,
    ).eval()


def _ramps(h: int, w: int) -> Tensor:
    """``Float[1, 3, h, w]`` in ``[0, 1)``: channel 0 ``x / w``, channel 1 ``y / h``."""
    y, x = torch.meshgrid(torch.arange(h) / h, torch.arange(w) / w, indexing="ij")
    return torch.stack((x, y, torch.zeros(h, w)))[None]


def _round_trip(n: int, scale: float) -> Tensor:
    """``Float64[n, n]``: a side of ``n`` pixels shrunk to ``floor(n * scale)`` (the triangle
    filter stretched by the ratio of the sizes, weights renormalised inside the image), then
    enlarged back to ``n`` (bilinear, clamped at the borders), as one linear map."""
    m = int(n * scale)
    ratio = n / m
    pixels = torch.arange(n, dtype=torch.float64)
    centres = (torch.arange(m, dtype=torch.float64) + 0.5) * ratio - 0.5  # in input pixels
    down = (1 - (pixels[None] - centres[:, None]).abs() / ratio).clamp(min=0)
    down = down / down.sum(dim=1, keepdim=True)  # [m, n]
    source = ((pixels + 0.5) / ratio - 0.5).clamp(0, m - 1)  # in network pixels
    low = source.floor().long()
    high = (low + 1).clamp(max=m - 1)
    up = torch.zeros(n, m, dtype=torch.float64)
    up[torch.arange(n), low] += 1 - (source - low)
    up[torch.arange(n), high] += source - low
    return up @ down


def _ramp_logits(h: int, w: int) -> Tensor:
    """``Float[1, 2, h, w]``: the logits of the identity model at scale 0.5 for
    ``_ramps(h, w)``, each ramp through :func:`_round_trip` along its own axis."""
    ramps = _ramps(h, w)[0].double()
    across = _round_trip(w, 0.5) @ ramps[0, 0]  # [w]
    down = _round_trip(h, 0.5) @ ramps[1, :, 0]  # [h]
    return torch.stack((across.expand(h, w), down[:, None].expand(h, w)))[None].float()


@pytest.mark.parametrize(("h", "w"), SIZES)
def test_a_ramp_comes_back_where_the_two_resizes_put_it(h, w):
    with torch.no_grad():
        logits = _model()(_ramps(h, w))
    torch.testing.assert_close(logits, _ramp_logits(h, w), rtol=0, atol=1e-5)


@pytest.mark.parametrize("format", ["onnx", "torchscript"])
def test_a_dynamic_export_resizes_to_the_size_of_each_input(format, tmp_path):
    if format == "onnx":
        pytest.importorskip("onnxruntime")
    path = tmp_path / ("identity.onnx" if format == "onnx" else "identity.pt")
    result = export_model(_model(), path, format=format, dynamic=True, input_size=(40, 48))
    run = load_exported(result)
    for h, w in SIZES:
        logits = run(_ramps(h, w))[0]
        # onnxruntime's float32 scales: the antialias weights differ by ~1e-5 at 500 px
        torch.testing.assert_close(logits, _ramp_logits(h, w), rtol=0, atol=1e-4)


@pytest.mark.parametrize(("h", "w"), SIZES)
@pytest.mark.parametrize("scale", [0.5, 0.3])
def test_mirrored_images_give_mirrored_logits(h, w, scale):
    model = _model(scale)
    images = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(images)
        mirrored = model(images.flip(-1, -2)).flip(-1, -2)
    torch.testing.assert_close(mirrored, logits, rtol=0, atol=1e-5)
