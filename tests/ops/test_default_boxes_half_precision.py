"""SSD default boxes for float16/bfloat16 feature maps: torchvision's float32 boxes."""

import pytest
import torch
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator as TVDefaultBoxes
from torchvision.models.detection.image_list import ImageList

from detseg.ops.default_boxes import DefaultBoxGenerator

SSD300 = (
    [[2], [2, 3], [2, 3], [2, 3], [2], [2]],
    {"scales": [0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05], "steps": [8, 16, 32, 64, 100, 300]},
    (300, 300),
    [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)],
)
SSDLITE = ([[2, 3]] * 2, {"min_ratio": 0.2, "max_ratio": 0.95}, (320, 320), [(20, 20), (10, 10)])
UNCLIPPED = ([[2, 3], [2]], {"clip": False}, (200, 320), [(7, 11), (3, 5)])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
@pytest.mark.parametrize("config", [SSD300, SSDLITE, UNCLIPPED], ids=["ssd300", "lite", "noclip"])
def test_default_boxes_equal_torchvisions_in_every_dtype(config, dtype):
    ratios, kwargs, image_size, feature_sizes = config
    ours = DefaultBoxGenerator(ratios, **kwargs)(image_size, feature_sizes, dtype)
    images = ImageList(torch.zeros(1, 3, *image_size, dtype=dtype), [image_size])
    features = [torch.zeros(1, 1, *size, dtype=dtype) for size in feature_sizes]
    (ref,) = TVDefaultBoxes(ratios, **kwargs)(images, features)
    assert ours.dtype == ref.dtype
    assert torch.equal(ours, ref)


def test_half_feature_maps_keep_float32_box_sizes():
    gen = DefaultBoxGenerator([[2]], scales=[0.2, 0.8])
    boxes = gen((100, 100), [(1, 1)], torch.float16)
    assert boxes.dtype == torch.float32
    widths = boxes[:, 2] - boxes[:, 0]
    # sqrt(0.2 * 0.8) * 100 = 40 and 0.2 * sqrt(2) * 100: float16 sizes would be off by ~0.01
    torch.testing.assert_close(widths[1], torch.tensor(40.0), rtol=1e-6, atol=1e-5)
    torch.testing.assert_close(widths[2], torch.tensor(0.2 * 2**0.5 * 100), rtol=1e-6, atol=1e-5)
