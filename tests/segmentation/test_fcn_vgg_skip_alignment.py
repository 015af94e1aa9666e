"""FCN-VGG's skip sums at network sizes that are not multiples of 32 (``input.scale < 1``).

The head pools ``c3`` / ``c4`` with ``ceil_mode`` (an odd side keeps its last row), but the
VGG backbone's own pools floor, so the coarser level can have one row less than the skip's
pool covers: ``c4`` of 9 columns pools to 5 in the head, while ``c5`` has 4 columns, whose
pool5 (2) upsamples to 4. The upsampled map must then be extended by one row/column, not only
cropped, or the sum fails (``The size of tensor a (4) must match the size of tensor b (5)``).
"""

from __future__ import annotations

import pytest
import torch

from detseg.models import build_model
from detseg.segmentation.fcn_vgg import _crop_to

NUM_CLASSES = 2


@pytest.mark.parametrize("variant", ["16s", "8s"])
@pytest.mark.parametrize(("scale", "size"), [(0.75, (100, 70)), (0.6, (45, 61)), (0.6, (64, 97))])
def test_fcn_vgg_skip_sums_align_when_the_coarser_level_is_short(variant, scale, size):
    torch.manual_seed(0)
    cfg = {"name": "fcn_vgg16", "variant": variant, "fc_channels": 8, "input": {"scale": scale}}
    model = build_model(cfg, NUM_CLASSES)
    images = torch.rand(1, 3, *size)
    masks = torch.randint(0, NUM_CLASSES + 1, (1, *size))
    losses = model.losses(images, masks)
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    with torch.no_grad():
        assert model(images).shape == (1, NUM_CLASSES + 1, *size)


def test_crop_to_crops_a_larger_map_and_extends_a_shorter_one():
    x = torch.arange(12.0).view(1, 1, 3, 4)
    torch.testing.assert_close(_crop_to(x, torch.zeros(1, 1, 2, 3)), x[..., :2, :3])
    assert _crop_to(x, torch.zeros(1, 1, 3, 4)) is x
    extended = _crop_to(x, torch.zeros(1, 1, 4, 5))  # one row and one column short
    assert extended.shape == (1, 1, 4, 5)
    torch.testing.assert_close(extended[..., :3, :4], x)
    torch.testing.assert_close(extended[..., 3, :4], x[..., 2, :])  # last row repeated
    torch.testing.assert_close(extended[..., :3, 4], x[..., :, 3])  # last column repeated
    mixed = _crop_to(x, torch.zeros(1, 1, 4, 3))  # a row short, a column over
    torch.testing.assert_close(mixed, torch.cat((x[..., :3], x[..., 2:3, :3]), dim=-2))
