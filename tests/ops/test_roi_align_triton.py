"""The Triton multi-level RoIAlign against torchvision.ops.roi_align, level by level.

The reference pools the RoIs of each level with one ``torchvision.ops.roi_align`` call
(``aligned=False``) and puts the rows back in RoI order; its gradient is that of the sum of
these calls. Cases: RoIs partly or wholly outside the map, tiny RoIs (< 1 pixel), RoIs on the
borders, several images, no RoIs, one level and four levels of different sizes, channels_last
maps, bfloat16/float16 maps, and no host synchronisation in forward + backward.

Tolerances (float32): values ``atol = rtol = 1e-5`` and gradients ``atol = rtol = 1e-5``.
Under Triton's interpreter the arithmetic is numpy float32 in torchvision's order: the values
came out equal to torchvision's CPU ones bit for bit (x86-64), the gradients within 5e-7 (the
atomic adds run in another order than torchvision's loop). On CUDA both kernels may contract
multiply-adds into FMAs differently, hence a tolerance rather than equality.

Half precision: the sums run in float32, so the result is the float32 reference on the same
(rounded) inputs, rounded once: ``rtol = 2**-8`` (bfloat16) or ``2**-11`` (float16), half a
unit in the last place. Under the interpreter bfloat16 gets ``2**-7``: its float32 -> bfloat16
cast truncates (a GPU rounds to nearest), which can be a whole unit off.

The cases run on CUDA (marked ``cuda``) and, without a GPU, on the CPU through Triton's
interpreter (``TRITON_INTERPRET=1``, set in a subprocess by
:func:`test_triton_kernels_under_the_interpreter`; tiny sizes there, the interpreter is slow).
"""

from __future__ import annotations

import pytest
import torch
from torchvision.ops import roi_align
from triton_interpreter import DEVICES, INTERPRETED, assert_cpu_cases_pass_under_the_interpreter

from detseg.benchmark.host_syncs import HostSyncRecorder

pytest.importorskip("triton")
from detseg.ops import roi_align_triton  # noqa: E402
from detseg.ops.roi_align_triton import matches_torchvision_on, multi_level_roi_align  # noqa: E402

FLOAT32_VALUES = {"atol": 1e-5, "rtol": 1e-5}
FLOAT32_GRADIENTS = {"atol": 1e-5, "rtol": 1e-5}
# one rounding of the output; the interpreter's float32 -> bfloat16 cast truncates
HALF_RTOL = {torch.bfloat16: 2**-7 if INTERPRETED else 2**-8, torch.float16: 2**-11}

STRIDES = (4, 8, 16, 32)
SCALES = [1 / s for s in STRIDES]


def _sizes(device):
    """``(channels, output_size, RoIs per image)``: tiny under the interpreter (its cost grows
    with the RoIs; the hand-picked ones of :func:`_rois` reach every border case)."""
    return (16, 7, 40) if device == "cuda" else (3, 3, 2)


def _maps(generator, num_images, channels, image_size, strides, device, dtype=torch.float32):
    """One ``[B, C, H, W]`` map per stride for an ``image_size`` (H, W) input."""
    height, width = image_size
    return [
        torch.randn(num_images, channels, -(-height // s), -(-width // s), generator=generator)
        .to(device=device, dtype=dtype)
        .requires_grad_(True)
        for s in strides
    ]


def _rois(generator, num_images, per_image, image_size):
    """``[R, 5]`` RoIs: random ones (corners up to 30 px outside the image, sides 0.2 to 130 px)
    plus hand-picked ones in the last image: sub-pixel, on the borders, outside."""
    height, width = image_size
    n = num_images * per_image
    corner = torch.rand(n, 2, generator=generator) * torch.tensor([width + 60.0, height + 60.0])
    corner -= 30
    side = torch.rand(n, 2, generator=generator) * 130 + 0.2
    index = torch.arange(num_images).repeat_interleave(per_image)[:, None].float()
    special = torch.tensor(
        [
            [3.3, 4.1, 3.5, 4.6],  # tiny: 0.2 x 0.5 px
            [0.0, 0.0, width, height],  # the whole image, exactly on the borders
            [width - 6.0, 2.0, width + 0.0, 30.0],  # on the right border
            [-40.0, -40.0, -1.0, -1.0],  # wholly outside, above and left
            [-7.0, height - 9.0, 5.0, height + 7.0],  # across the bottom-left corner
            [width + 3.0, height + 3.0, width + 50.0, height + 60.0],  # outside, bottom right
        ]
    )
    last = torch.full((len(special), 1), num_images - 1.0)  # in the last image
    return torch.cat(
        [torch.cat([index, corner, corner + side], dim=1), torch.cat([last, special], 1)]
    )


def _reference(features, rois, levels, output_size, scales, sampling_ratio):
    """torchvision's roi_align once per level, rows put back in RoI order (differentiable)."""
    indices = [torch.where(levels == level)[0] for level in range(len(features))]
    pooled = [
        roi_align(f, rois[i], output_size, scale, sampling_ratio, aligned=False)
        for f, i, scale in zip(features, indices, scales, strict=True)
    ]
    order = torch.cat(indices)
    return torch.cat(pooled)[torch.argsort(order)]


def _values_and_gradients(function, features, rois, levels, weights, *settings):
    pooled = function(features, rois, levels, *settings)
    grads = torch.autograd.grad((pooled.float() * weights).sum(), features)
    return pooled, grads


def _check_against_torchvision(features, rois, levels, output_size, scales, ratio=2):
    generator = torch.Generator().manual_seed(7)
    channels = features[0].shape[1]
    shape = (rois.shape[0], channels, output_size, output_size)
    weights = torch.randn(shape, generator=generator).to(rois.device)
    settings = (output_size, scales, ratio)
    have, have_grads = _values_and_gradients(
        multi_level_roi_align, features, rois, levels, weights, *settings
    )
    want, want_grads = _values_and_gradients(_reference, features, rois, levels, weights, *settings)
    assert have.shape == shape and have.dtype == features[0].dtype
    torch.testing.assert_close(have, want, **FLOAT32_VALUES)
    for level, (g, w) in enumerate(zip(have_grads, want_grads, strict=True)):
        torch.testing.assert_close(g, w, **FLOAT32_GRADIENTS, msg=f"level {level}")


@pytest.mark.parametrize("device", DEVICES)
def test_four_levels_of_different_sizes_and_several_images(device):
    generator = torch.Generator().manual_seed(0)
    channels, output_size, per_image = _sizes(device)
    image_size = (100, 28)  # levels of 25 x 7, 13 x 4, 7 x 2 and 4 x 1 pixels
    features = _maps(generator, 3, channels, image_size, STRIDES, device)
    rois = _rois(generator, 3, per_image, image_size)
    levels = torch.randint(0, 4, (rois.shape[0],), generator=generator)
    _check_against_torchvision(features, rois.to(device), levels.to(device), output_size, SCALES)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("sampling_ratio", [1, 3])
def test_one_level_and_other_sampling_ratios(device, sampling_ratio):
    generator = torch.Generator().manual_seed(sampling_ratio)
    channels, output_size, per_image = _sizes(device)
    image_size = (48, 64)
    features = _maps(generator, 2, channels, image_size, (8,), device)
    rois = _rois(generator, 2, per_image, image_size).to(device)
    levels = torch.zeros(rois.shape[0], dtype=torch.int64, device=device)
    _check_against_torchvision(features, rois, levels, output_size, [1 / 8], sampling_ratio)


@pytest.mark.parametrize("device", DEVICES)
def test_channels_last_and_mixed_layouts(device):
    generator = torch.Generator().manual_seed(2)
    channels, output_size, per_image = _sizes(device)
    image_size = (40, 56)
    features = _maps(generator, 2, channels, image_size, STRIDES[:3], device)
    rois = _rois(generator, 2, per_image, image_size).to(device)
    levels = torch.randint(0, 3, (rois.shape[0],), generator=generator).to(device)
    as_channels_last = [
        f.detach().contiguous(memory_format=torch.channels_last).requires_grad_(True)
        for f in features
    ]
    _check_against_torchvision(as_channels_last, rois, levels, output_size, SCALES[:3])
    # the first level decides the layout the kernels read; the others are copied into it
    mixed = [as_channels_last[0], features[1], as_channels_last[2]]
    _check_against_torchvision(mixed, rois, levels, output_size, SCALES[:3])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_is_the_float32_result_rounded(device, dtype):
    generator = torch.Generator().manual_seed(3)
    channels, output_size, per_image = _sizes(device)
    image_size = (64, 64)
    features = _maps(generator, 2, channels, image_size, STRIDES, device, dtype)
    rois = _rois(generator, 2, per_image, image_size).to(device)
    levels = torch.randint(0, 4, (rois.shape[0],), generator=generator).to(device)
    weights = torch.randn(rois.shape[0], channels, output_size, output_size, generator=generator)
    weights = weights.to(dtype).float()  # the pooled rows' gradient is in `dtype`
    settings = (output_size, SCALES, 2)
    have, have_grads = _values_and_gradients(
        multi_level_roi_align, features, rois, levels, weights.to(device), *settings
    )
    # the reference: float32 on the same (already rounded) inputs
    exact = [f.detach().float().requires_grad_(True) for f in features]
    want, want_grads = _values_and_gradients(
        _reference, exact, rois, levels, weights.to(device), *settings
    )
    assert have.dtype == dtype and all(g.dtype == dtype for g in have_grads)
    rtol = HALF_RTOL[dtype]
    torch.testing.assert_close(have.float(), want, atol=1e-6, rtol=rtol)
    for g, w in zip(have_grads, want_grads, strict=True):
        # the float32 sums may differ in their last bits before the rounding
        torch.testing.assert_close(g.float(), w, atol=1e-5, rtol=rtol)


@pytest.mark.parametrize("device", DEVICES)
def test_no_rois_and_unknown_levels(device):
    generator = torch.Generator().manual_seed(4)
    features = _maps(generator, 2, 3, (32, 32), STRIDES[:2], device)
    rois = torch.zeros(0, 5, device=device)
    levels = torch.zeros(0, dtype=torch.int64, device=device)
    pooled = multi_level_roi_align(features, rois, levels, 3, SCALES[:2], 2)
    assert pooled.shape == (0, 3, 3, 3)
    grads = torch.autograd.grad(pooled.sum(), features)
    assert all(g.shape == f.shape and not g.any() for g, f in zip(grads, features, strict=True))
    # a level outside 0..L-1 reads nothing
    box = torch.tensor([[1.0, 2.0, 3.0, 20.0, 25.0]] * 2, device=device)
    pooled = multi_level_roi_align(
        features, box, torch.tensor([5, -1]).to(device), 3, SCALES[:2], 2
    )
    assert not pooled.any()


@pytest.mark.parametrize("device", DEVICES)
def test_forward_and_backward_make_no_host_sync(device):
    generator = torch.Generator().manual_seed(5)
    channels, output_size, per_image = _sizes(device)
    features = _maps(generator, 2, channels, (64, 48), STRIDES, device)
    rois = _rois(generator, 2, per_image, (64, 48)).to(device)
    levels = torch.randint(0, 4, (rois.shape[0],), generator=generator).to(device)

    def forward_backward():
        pooled = multi_level_roi_align(features, rois, levels, output_size, SCALES, 2)
        return torch.autograd.grad(pooled.square().sum(), features)

    if device == "cuda":
        forward_backward()  # compile the kernels first
    with HostSyncRecorder() as recorder:
        forward_backward()
    assert recorder.total == 0, recorder.sites
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")
        try:
            forward_backward()
        finally:
            torch.cuda.set_sync_debug_mode(0)


def test_adaptive_sampling_ratio_and_bad_arguments_are_refused():
    features = [torch.zeros(1, 2, 8, 8)]
    rois = torch.zeros(1, 5)
    levels = torch.zeros(1, dtype=torch.int64)
    with pytest.raises(ValueError, match="roi_align once per level"):
        multi_level_roi_align(features, rois, levels, 7, [0.25], 0)
    with pytest.raises(ValueError, match="one spatial scale each"):
        multi_level_roi_align(features, rois, levels, 7, [0.25, 0.125], 2)
    with pytest.raises(ValueError, match="same B and C"):
        multi_level_roi_align([*features, torch.zeros(1, 3, 4, 4)], rois, levels, 7, [1, 1], 2)
    with pytest.raises(ValueError, match="levels"):
        multi_level_roi_align(features, rois, levels[:0], 7, [0.25], 2)


@pytest.mark.parametrize("device", DEVICES)
def test_self_check_accepts_the_kernel(device):
    """The one-time check that the RoI pooler runs before it uses the kernel on a device, also
    from inside a forward under inference mode and autocast (where a model first calls it; one
    run under both: the check must undo each of them)."""
    matches_torchvision_on.cache_clear()
    with torch.inference_mode(), torch.autocast(device, torch.bfloat16):
        assert matches_torchvision_on(device)
    matches_torchvision_on.cache_clear()


def test_self_check_refuses_a_kernel_that_fails_or_disagrees(monkeypatch):
    """A kernel that raises (e.g. does not compile on that GPU) or pools other values is
    refused with a warning, so the pooler keeps torchvision's path."""

    def fails(*args):
        raise RuntimeError("PTX compile error")

    def off_by_one_percent(features, rois, levels, output_size, scales, sampling_ratio):
        pooled = torch.zeros(rois.shape[0], features[0].shape[1], output_size, output_size)
        for level, (feature, scale) in enumerate(zip(features, scales, strict=True)):
            rows = roi_align(feature, rois, output_size, scale, sampling_ratio, aligned=False)
            pooled = torch.where((levels == level)[:, None, None, None], rows, pooled)
        return pooled * 1.01

    for fake, message in (
        (fails, "unusable on cpu .PTX compile error"),
        (off_by_one_percent, "disagrees"),
    ):
        monkeypatch.setattr(roi_align_triton, "multi_level_roi_align", fake)
        matches_torchvision_on.cache_clear()
        with pytest.warns(UserWarning, match=message):
            assert not matches_torchvision_on("cpu")
    matches_torchvision_on.cache_clear()


@pytest.mark.cuda
def test_detector_sizes_on_cuda():
    """Faster R-CNN's sizes: 4 images x 512 RoIs, 256 channels, 7 x 7 bins, 4 FPN levels."""
    generator = torch.Generator().manual_seed(6)
    image_size = (512, 672)
    features = _maps(generator, 4, 256, image_size, STRIDES, "cuda")
    rois = _rois(generator, 4, 512, image_size).cuda()
    levels = torch.randint(0, 4, (rois.shape[0],), generator=generator).cuda()
    _check_against_torchvision(features, rois, levels, 7, SCALES)


def test_triton_kernels_under_the_interpreter():
    """Run this file's CPU cases with TRITON_INTERPRET=1 (Triton kernels on the CPU)."""
    assert_cpu_cases_pass_under_the_interpreter(__file__)
