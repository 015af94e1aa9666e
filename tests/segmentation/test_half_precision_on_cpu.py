"""A segmenter cast to bfloat16 or float16 runs on a CPU, with an input scale below 1 (whose
antialiased resize has no half-precision CPU kernel), and gives float32 logits and probabilities
whose labels are the float32 model's on at least 99% of the pixels (measured: 99.5 to 100%)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from detseg.segmentation import builders
from detseg.segmentation.crf import LocalCRF
from detseg.segmentation.inference import SegmentationInference
from detseg.segmentation.model import SegmentationModel

SMALL = {
    "unet": {"base_channels": 8, "depth": 2, "stem_stride": 2},
    "lraspp": {"inter_channels": 16, "width_mult": 0.5},
}


def _segmenter(name: str) -> SegmentationModel:
    """A small segmenter without pretrained weights, its classifier drawn so that the labels
    vary from pixel to pixel (freshly built ones label every pixel alike)."""
    torch.manual_seed(0)
    model = getattr(builders, name)(num_classes=3, input={"scale": 0.5}, **SMALL[name]).eval()
    with torch.no_grad():
        for module in model.head.modules():
            if isinstance(module, torch.nn.Conv2d) and module.out_channels == 4:
                module.weight.normal_(0.0, 1.0)
                if module.bias is not None:
                    module.bias.zero_()
    return model


def _images() -> torch.Tensor:
    """``Float[2, 3, 48, 64]`` in ``[0, 1]``: smoothed noise."""
    noise = torch.rand(2, 3, 48, 64, generator=torch.Generator().manual_seed(1))
    smooth = F.avg_pool2d(noise, 5, stride=1, padding=2)
    return (smooth - smooth.min()) / (smooth.max() - smooth.min())


@pytest.mark.parametrize(
    ("name", "dtype"),
    [
        ("unet", torch.bfloat16),
        ("unet", torch.float16),
        ("lraspp", torch.bfloat16),
    ],
)
def test_a_half_precision_segmenter_runs_on_a_cpu(name, dtype):
    model = _segmenter(name)
    images = _images()
    reference = model.predict(images)
    assert len(reference.unique()) >= 2  # the agreement below means something
    half = copy.deepcopy(model).to(dtype)

    logits = half(images)
    labels = half.predict(images)

    assert logits.dtype == torch.float32 and logits.shape == (2, 4, 48, 64)
    assert bool(torch.isfinite(logits).all())
    assert (labels == reference).float().mean().item() >= 0.99


def test_half_precision_tta_and_crf_give_float32_probabilities():
    model = _segmenter("unet").to(torch.bfloat16)
    inference = SegmentationInference("hflip", (1.0, 0.75), LocalCRF(iterations=2))

    probabilities = inference.probabilities(model, _images())

    assert probabilities.dtype == torch.float32 and probabilities.shape == (2, 4, 48, 64)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(2, 48, 64))
