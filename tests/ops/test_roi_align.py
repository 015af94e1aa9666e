"""``roi_align_fast_backward`` against ``torchvision.ops.roi_align``: values and gradients equal
bit for bit, and the pooler's choice of it."""

import pytest
import torch
from torchvision.ops import roi_align

from detseg.detection.roi_pooling import RoIPooler
from detseg.ops.roi_align import roi_align_fast_backward


def random_rois(generator, num_images, per_image, image_size, dtype):
    """RoIs with corners up to 20 px outside the image, sizes from 0.2 to 120 px."""
    corner = torch.rand(num_images * per_image, 2, generator=generator, dtype=dtype)
    corner = corner * (image_size + 40) - 20
    side = torch.rand(num_images * per_image, 2, generator=generator, dtype=dtype) * 120 + 0.2
    index = torch.arange(num_images, dtype=dtype).repeat_interleave(per_image)[:, None]
    return torch.cat([index, corner, corner + side], dim=1)


def values_and_gradients(function, features, rois, weights, *settings):
    pooled = function(features, rois, *settings)
    (grad,) = torch.autograd.grad((pooled * weights).sum(), features)
    return pooled, grad


@pytest.mark.parametrize("sampling_ratio", [1, 2, 3])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("map_size", [(16, 12), (5, 1)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_and_gradients_are_torchvisions_bit_for_bit(
    sampling_ratio, aligned, map_size, dtype
):
    generator = torch.Generator().manual_seed(sampling_ratio + 10 * aligned + map_size[1])
    features = torch.randn(3, 4, *map_size, generator=generator, dtype=dtype)
    features.requires_grad_(True)
    rois = random_rois(generator, 3, 17, 8 * max(map_size), dtype)
    rois = rois[rois[:, 0] != 1]  # an image without RoIs
    # RoIs that share pixels (so the order of the additions matters), one exactly on the border
    rois = torch.cat([rois, rois[:4], torch.tensor([[2.0, 0, 0, 8.0 * map_size[1], 40]])])
    weights = torch.randn(rois.shape[0], 4, 7, 5, generator=generator, dtype=dtype)
    settings = ((7, 5), 1 / 8, sampling_ratio, aligned)
    want = values_and_gradients(roi_align, features, rois, weights, *settings)
    have = values_and_gradients(roi_align_fast_backward, features, rois, weights, *settings)
    assert torch.equal(have[0], want[0]) and torch.equal(have[1], want[1])


def test_many_rois_in_chunks_channels_last_and_edge_cases(monkeypatch):
    import detseg.ops.roi_align as module

    monkeypatch.setattr(module, "_CHUNK_ELEMENTS", 5000)  # several RoIs per chunk, many chunks
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(2, 8, 32, 32, generator=generator)
    features = features.to(memory_format=torch.channels_last).requires_grad_(True)
    rois = random_rois(generator, 2, 64, 256, torch.float32)
    weights = torch.randn(128, 8, 7, 7, generator=generator)
    want = values_and_gradients(roi_align, features, rois, weights, 7, 1 / 8, 2)
    have = values_and_gradients(roi_align_fast_backward, features, rois, weights, 7, 1 / 8, 2)
    assert torch.equal(have[0], want[0]) and torch.equal(have[1], want[1])
    assert have[1].is_contiguous(memory_format=torch.channels_last)
    empty = roi_align_fast_backward(features, rois[:0], 7, 1 / 8, 2)
    assert empty.shape == (0, 8, 7, 7)
    (grad,) = torch.autograd.grad(empty.sum(), features, allow_unused=False)
    assert not grad.any()
    with pytest.raises(ValueError, match="sampling_ratio"):
        roi_align_fast_backward(features, rois, 7, 1 / 8, 0)


def test_pooler_uses_it_for_cpu_training_at_a_fixed_sampling_ratio(monkeypatch):
    import detseg.detection.roi_pooling as roi_pooling

    calls = []

    def spy(*args, **kwargs):
        calls.append(args[-2] if len(args) > 4 else kwargs)
        return roi_align_fast_backward(*args, **kwargs)

    monkeypatch.setattr(roi_pooling, "roi_align_fast_backward", spy)
    generator = torch.Generator().manual_seed(1)
    features = {
        "p3": torch.randn(2, 4, 32, 32, generator=generator, requires_grad=True),
        "p4": torch.randn(2, 4, 16, 16, generator=generator, requires_grad=True),
    }
    boxes = [random_rois(generator, 1, 20, 256, torch.float32)[:, 1:].clamp(0, 255) for _ in "ab"]
    boxes = [torch.cat([b[:, :2], torch.maximum(b[:, 2:], b[:, :2] + 1)], dim=1) for b in boxes]
    for ratio in (0, 1, 2):
        pooler = RoIPooler(["p3", "p4"], [8, 16], 7, "align", ratio)
        calls.clear()
        pooled = pooler(features, boxes)
        assert bool(calls) == (ratio > 0)
        with torch.no_grad():  # inference: torchvision's kernel, same values
            calls.clear()
            assert torch.equal(pooler(features, boxes), pooled)
            assert not calls
