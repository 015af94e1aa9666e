"""The CRF refines a large image in horizontal bands: the same result as all rows at once, with
memory bounded by a small multiple of the probabilities."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from detseg.segmentation import crf as crf_module
from detseg.segmentation.crf import PROBABILITY_FLOOR, LocalCRF

REPO = Path(__file__).resolve().parents[2]

#: Largest difference allowed between the banded and the whole-image result (float32 round-off;
#: the banded rows see the same numbers in the same order, so it is 0 on CPU).
TOLERANCE = 1e-6


def _all_rows_at_once(crf: LocalCRF, probabilities: torch.Tensor, images: torch.Tensor):
    """The CRF with the pairwise weights of every pixel held at once (``[O, B, H, W]``): the
    reference the bands must reproduce."""
    colours = images.float() * 255.0
    r, (h, w) = crf.radius, colours.shape[-2:]
    padded = F.pad(colours, (r, r, r, r), mode="replicate")
    weights = []
    for dy, dx in crf.offsets():
        distance2 = float(dy * dy + dx * dx)
        neighbour = padded[:, :, r + dy : r + dy + h, r + dx : r + dx + w]
        colour2 = (neighbour - colours).square().sum(dim=1)
        appearance = torch.exp(
            -distance2 / (2 * crf.spatial_sigma**2) - colour2 / (2 * crf.color_sigma**2)
        )
        smoothness = math.exp(-distance2 / (2 * crf.smoothness_sigma**2))
        weights.append(crf.appearance_weight * appearance + crf.smoothness_weight * smoothness)
    probabilities = probabilities.float()
    unary = probabilities.clamp_min(PROBABILITY_FLOOR).log()
    q = probabilities
    for _ in range(crf.iterations):
        padded_q = F.pad(q, (r, r, r, r))
        message = torch.zeros_like(q)
        for weight, (dy, dx) in zip(weights, crf.offsets(), strict=True):
            message.addcmul_(
                weight[:, None], padded_q[:, :, r + dy : r + dy + h, r + dx : r + dx + w]
            )
        q = (unary + message).softmax(dim=1)
    return q


def _inputs(batch=1, classes=5, height=300, width=200, seed=0):
    """Random probabilities ``[B, C, H, W]`` and a blocky random image (colour edges)."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, classes, height, width, generator=generator) * 2
    blocks = torch.rand(batch, 3, height // 10 + 1, width // 10 + 1, generator=generator)
    images = blocks.repeat_interleave(10, 2).repeat_interleave(10, 3)[:, :, :height, :width]
    images = (images + 0.05 * torch.rand(images.shape, generator=generator)).clamp(0, 1)
    return logits.softmax(dim=1), images


@pytest.mark.parametrize(
    ("crf", "budget_rows"),
    [
        (LocalCRF(), 73),  # unet_shapes' CRF: 5 iterations, radius 4, reach 20 rows
        (LocalCRF(), 1),  # the smallest band: iterations x radius rows
        (LocalCRF(iterations=3, radius=2, smoothness_weight=0.5, color_sigma=40.0), 50),
    ],
)
def test_bands_give_the_whole_image_result(crf, budget_rows, monkeypatch):
    probabilities, images = _inputs()
    reach = crf.iterations * crf.radius
    # a band budget of ``budget_rows + 2 x reach`` rows of weights for this 300 x 200 image
    per_row = len(crf.offsets()) * 200 * 4
    monkeypatch.setattr(crf_module, "MIN_BAND_BYTES", (budget_rows + 2 * reach) * per_row)
    monkeypatch.setattr(crf_module, "BAND_WEIGHT_SHARE", 0)
    rows = crf.band_rows(tuple(probabilities.shape))
    assert rows == max(budget_rows, reach) and rows < 300  # several bands
    expected = _all_rows_at_once(crf, probabilities, images)
    refined = crf(probabilities, images)
    assert (refined - expected).abs().max().item() <= TOLERANCE
    assert not torch.allclose(refined, probabilities, atol=1e-2)  # the CRF did work


def test_a_batch_in_bands_and_a_small_image_in_one_band(monkeypatch):
    crf = LocalCRF(iterations=2, radius=3)
    probabilities, images = _inputs(batch=2, classes=3, height=61, width=47, seed=1)
    assert crf.band_rows(tuple(probabilities.shape)) >= 61  # default budget: one band
    expected = _all_rows_at_once(crf, probabilities, images)
    assert (crf(probabilities, images) - expected).abs().max().item() <= TOLERANCE
    monkeypatch.setattr(crf_module, "MIN_BAND_BYTES", 0)
    monkeypatch.setattr(crf_module, "BAND_WEIGHT_SHARE", 0)
    assert crf.band_rows(tuple(probabilities.shape)) == 6  # the reach: 10 bands
    assert (crf(probabilities, images) - expected).abs().max().item() <= TOLERANCE


def test_the_band_weights_of_a_photo_fit_twice_its_probabilities():
    """A 12-megapixel photo, 6 classes: all its weights would be 80 x H x W x 4 bytes (3.8 GB);
    a band's (its reach included) at most twice the probabilities' 288 MB."""
    crf = LocalCRF()
    shape = (1, 6, 3000, 4000)
    rows = crf.band_rows(shape)
    band_weights = len(crf.offsets()) * 4000 * 4 * (rows + 2 * crf.iterations * crf.radius)
    assert rows < 3000 and band_weights <= 2 * 6 * 3000 * 4000 * 4


_PEAK_SCRIPT = """
import resource, sys
import torch
from detseg.segmentation.crf import LocalCRF
torch.set_num_threads(1)
h, w, c = 1000, 1500, 6
probabilities = torch.full((1, c, h, w), 1.0 / c)
probabilities[:, 0, :, : w // 2] = 0.5
images = torch.rand(1, 3, h, w)
crf = LocalCRF(iterations=1)
crf(probabilities[:, :, :32, :32], images[:, :, :32, :32])  # kernels and allocator warmed up
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
refined = crf(probabilities, images)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) * 1024)  # bytes (ru_maxrss is in KiB on Linux)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's")
def test_peak_memory_is_a_small_multiple_of_the_probabilities():
    """Peak resident memory added by one CRF call on a 1000 x 1500 image, 6 classes (36 MB of
    probabilities), in a fresh process: ~4.5 times the probabilities (the result, a band's
    weights, the band's mean-field tensors); all weights at once added ~26 times (0.9 GB)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PEAK_SCRIPT)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    growth = int(result.stdout.split()[-1])
    probabilities_bytes = 6 * 1000 * 1500 * 4
    assert growth < 6 * probabilities_bytes, f"peak grew by {growth / 2**20:.0f} MiB"
