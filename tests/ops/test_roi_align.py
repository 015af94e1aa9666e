"""``roi_align_grid_sample`` against ``torchvision.ops.roi_align``: values and gradients."""

import pytest
import torch
from torchvision.ops import roi_align

from detseg.detection.roi_pooling import RoIPooler
from detseg.ops.roi_align import roi_align_grid_sample


def random_rois(generator, num_images, per_image, image_size, dtype):
    """RoIs with corners up to 20 px outside the image, sizes from 0.2 to 120 px."""
    corner = torch.rand(num_images * per_image, 2, generator=generator, dtype=dtype)
    corner = corner * (image_size + 40) - 20
    side = torch.rand(num_images * per_image, 2, generator=generator, dtype=dtype) * 120 + 0.2
    index = torch.arange(num_images, dtype=dtype).repeat_interleave(per_image)[:, None]
    return torch.cat([index, corner, corner + side], dim=1)


@pytest.mark.parametrize("sampling_ratio", [1, 2, 3])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("map_size", [(16, 12), (5, 1)])
def test_values_and_gradients_equal_torchvision(sampling_ratio, aligned, map_size):
    generator = torch.Generator().manual_seed(sampling_ratio + 10 * aligned + map_size[1])
    # float64: both implementations are then equal to ~1e-12, so a wrong sample shows
    features = torch.randn(3, 4, *map_size, generator=generator, dtype=torch.float64)
    features.requires_grad_(True)
    rois = random_rois(generator, 3, 17, 8 * max(map_size), torch.float64)
    rois = rois[rois[:, 0] != 1]  # an image without RoIs
    want = roi_align(features, rois, (7, 5), 1 / 8, sampling_ratio, aligned)
    got = roi_align_grid_sample(features, rois, (7, 5), 1 / 8, sampling_ratio, aligned)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-10)
    weights = torch.randn(want.shape, generator=generator, dtype=torch.float64)
    (want_grad,) = torch.autograd.grad((want * weights).sum(), features)
    (got_grad,) = torch.autograd.grad((got * weights).sum(), features)
    torch.testing.assert_close(got_grad, want_grad, rtol=0, atol=1e-10)


def test_float32_and_edge_cases():
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(2, 8, 32, 32, generator=generator)
    rois = random_rois(generator, 2, 64, 256, torch.float32)
    torch.testing.assert_close(
        roi_align_grid_sample(features, rois, 7, 1 / 8, 1),
        roi_align(features, rois, 7, 1 / 8, 1),
        rtol=1e-4,
        atol=1e-4,
    )
    empty = roi_align_grid_sample(features, rois[:0], 7, 1 / 8, 1)
    assert empty.shape == (0, 8, 7, 7)
    with pytest.raises(ValueError, match="sampling_ratio"):
        roi_align_grid_sample(features, rois, 7, 1 / 8, 0)


def test_pooler_uses_it_for_cpu_training_at_one_sample_per_bin(monkeypatch):
    import detseg.detection.roi_pooling as roi_pooling

    calls = []

    def spy(*args, **kwargs):
        calls.append(args[-2] if len(args) > 4 else kwargs)
        return roi_align_grid_sample(*args, **kwargs)

    monkeypatch.setattr(roi_pooling, "roi_align_grid_sample", spy)
    generator = torch.Generator().manual_seed(1)
    features = {
        "p3": torch.randn(2, 4, 32, 32, generator=generator, requires_grad=True),
        "p4": torch.randn(2, 4, 16, 16, generator=generator, requires_grad=True),
    }
    boxes = [random_rois(generator, 1, 20, 256, torch.float32)[:, 1:].clamp(0, 255) for _ in "ab"]
    boxes = [torch.cat([b[:, :2], torch.maximum(b[:, 2:], b[:, :2] + 1)], dim=1) for b in boxes]
    for ratio in (1, 2):
        pooler = RoIPooler(["p3", "p4"], [8, 16], 7, "align", ratio)
        calls.clear()
        pooled = pooler(features, boxes)
        assert bool(calls) == (ratio == 1)
        with torch.no_grad():  # inference: torchvision's kernel, same values
            calls.clear()
            torch.testing.assert_close(pooler(features, boxes), pooled, rtol=1e-4, atol=1e-4)
            assert not calls
