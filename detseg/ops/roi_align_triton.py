"""Multi-level RoIAlign in one Triton kernel (forward and backward), without a host sync.

An FPN detector pools each RoI from one of its pyramid levels. With
``torchvision.ops.roi_align`` that takes one call per level on the RoIs of that level, and to
split the RoIs into per-level groups the host must read how many RoIs each level has (a
``.tolist()`` of the counts): on a GPU, the host then waits for the device in every training
step. Here one launch pools every RoI from its own level. Each Triton program reads the level
of its RoI from the device, picks that level's feature map (pointer, size and scale) and pools
the RoI; the shapes of everything depend only on ``R``, ``C`` and ``S``, so the host never
needs a value that the device computes.

The arithmetic is torchvision's RoIAlign with ``aligned=False`` and a fixed sampling ratio
``r`` (Mask R-CNN's; see :mod:`detseg.ops.roi_align` for the same rules in tensor code):

1. The RoI ``(x1, y1, x2, y2)`` in input pixels is multiplied by its level's
   ``spatial_scale``; its width and height are clamped to at least 1 feature pixel and cut into
   ``S x S`` bins of size ``bin_w x bin_h``.
2. Bin ``(ph, pw)`` is the mean of ``r x r`` bilinear samples at
   ``y = y1 + ph * bin_h + (iy + 0.5) * bin_h / r`` (and the same for ``x``).
3. A sample with ``y < -1`` or ``y > H`` (or ``x`` likewise) adds 0. Otherwise ``y`` is
   clamped to ``>= 0``, and a sample at or past the last row (``floor(y) >= H - 1``) reads the
   last row with full weight; the same for ``x``.

Kernels:

- ``_roi_align_forward_kernel``: one program per (RoI, block of channels) computes the
  ``[channels, S * S]`` tile of pooled values, accumulating in float32 whatever the features'
  dtype (as torchvision's CUDA kernel does), in torchvision's order of additions.
- ``_roi_align_backward_kernel``: the same positions and weights; every sample adds
  ``grad * weight / (r * r)`` to the four pixels it read, with ``tl.atomic_add`` into a float32
  gradient of its level (RoIs overlap, so several programs add to one pixel).

Only :func:`multi_level_roi_align` is meant to be called. The kernels also run on CPU tensors
under Triton's interpreter (``TRITON_INTERPRET=1``), which is how the tests check them without
a GPU.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torchvision.ops
import triton
import triton.language as tl
from torch import Tensor

MAX_LEVELS = 5  # feature-map arguments of the kernels (P2-P6); unused ones repeat level 0
_TILE_ELEMENTS = 2048  # channels x bins per program, at most


@triton.jit
def _pick(  # type: ignore[no-untyped-def]  # triton types args by annotation
    level,
    v0,
    v1,
    v2,
    v3,
    v4,
    NUM_LEVELS: tl.constexpr,
):
    """``v<level>`` of the first ``NUM_LEVELS`` values: a pointer, a size or a scale.

    ``v0`` for a level outside ``0..NUM_LEVELS-1``; the kernels mask such RoIs out.
    """
    value = v0
    if NUM_LEVELS > 1:
        value = tl.where(level == 1, v1, value)
    if NUM_LEVELS > 2:
        value = tl.where(level == 2, v2, value)
    if NUM_LEVELS > 3:
        value = tl.where(level == 3, v3, value)
    if NUM_LEVELS > 4:
        value = tl.where(level == 4, v4, value)
    return value


@triton.jit
def _sample_positions(  # type: ignore[no-untyped-def]  # triton types args by annotation
    start,
    bin_size,
    bin_index,
    i: tl.constexpr,
    GRID: tl.constexpr,
):
    """Coordinate of sample ``i`` (of ``GRID``) along one axis of the bins ``bin_index``.

    ``start + bin * bin_size + (i + 0.5) * bin_size / GRID``, in torchvision's order of
    operations, with an IEEE division (Triton's ``/`` is an approximate one on GPUs).
    """
    grid = tl.full([], GRID, tl.float32)
    offset = tl.math.div_rn((i + 0.5) * bin_size, grid)
    return start + bin_index.to(tl.float32) * bin_size + offset


@triton.jit
def _bilinear_axis(  # type: ignore[no-untyped-def]  # triton types args by annotation
    position,
    size,
):
    """torchvision's bilinear neighbours of sample coordinates along one axis of ``size`` pixels.

    Returns ``(low, high, low_weight, high_weight, inside)``: the two neighbouring pixel
    indices (int32), their weights ``1 - frac`` and ``frac``, and whether the sample lies
    within the 1-pixel margin around the map (outside it, the sample adds nothing).
    """
    inside = (position >= -1.0) & (position <= size)
    position = tl.maximum(position, 0.0)
    low = position.to(tl.int32)  # truncation = floor here, position >= 0
    at_edge = low >= size - 1  # at or past the last pixel: read it with full weight
    low = tl.where(at_edge, size - 1, low)
    high = tl.where(at_edge, size - 1, low + 1)
    position = tl.where(at_edge, low.to(tl.float32), position)
    frac = position - low.to(tl.float32)
    return low, high, 1.0 - frac, frac, inside


@triton.jit
def _roi_bins(  # type: ignore[no-untyped-def]  # triton types args by annotation
    rois_ptr,
    roi,
    scale,
    S: tl.constexpr,
):
    """The image index, scaled start and bin sizes of RoI ``roi`` (``aligned=False``)."""
    row = rois_ptr + roi * 5
    batch = tl.load(row).to(tl.int64)  # truncation, like torchvision's int cast
    start_x = tl.load(row + 1) * scale
    start_y = tl.load(row + 2) * scale
    end_x = tl.load(row + 3) * scale
    end_y = tl.load(row + 4) * scale
    bins = tl.full([], S, tl.float32)
    bin_w = tl.math.div_rn(tl.maximum(end_x - start_x, 1.0), bins)
    bin_h = tl.math.div_rn(tl.maximum(end_y - start_y, 1.0), bins)
    return batch, start_x, start_y, bin_w, bin_h


@triton.jit
def _pixel_offsets(  # type: ignore[no-untyped-def]  # triton types args by annotation
    channels,
    y,
    x,
    C,
    height,
    width,
    CHANNELS_LAST: tl.constexpr,
):
    """``[channels, bins]`` element offsets of pixels ``(y, x)`` in one image of a level."""
    if CHANNELS_LAST:
        return channels[:, None] + ((y * width + x) * C)[None, :]
    return (channels * (height * width))[:, None] + (y * width + x)[None, :]


@triton.jit
def _load_pixels(  # type: ignore[no-untyped-def]  # triton types args by annotation
    image, channels, y, x, mask, C, height, width, CHANNELS_LAST: tl.constexpr
):
    """The ``[channels, bins]`` values at pixels ``(y, x)``, in float32 (0 where masked)."""
    offsets = _pixel_offsets(channels, y, x, C, height, width, CHANNELS_LAST)
    return tl.load(image + offsets, mask=mask, other=0.0).to(tl.float32)


@triton.jit
def _add_to_pixels(  # type: ignore[no-untyped-def]  # triton types args by annotation
    image, channels, y, x, values, mask, C, height, width, CHANNELS_LAST: tl.constexpr
):
    """Add ``[channels, bins]`` values to pixels ``(y, x)`` (atomically: RoIs overlap)."""
    offsets = _pixel_offsets(channels, y, x, C, height, width, CHANNELS_LAST)
    tl.atomic_add(image + offsets, values, mask=mask, sem="relaxed")


@triton.jit
def _roi_align_forward_kernel(  # type: ignore[no-untyped-def]  # triton types args by annotation
    out_ptr,  # [R, C, S, S], written here
    rois_ptr,  # float32 [R, 5]: (image index, x1, y1, x2, y2) in input pixels
    levels_ptr,  # int64 [R]: the level of each RoI
    f0,  # the levels' features [B, C, H_l, W_l], all contiguous or all channels_last
    f1,
    f2,
    f3,
    f4,
    h0,  # H_l
    h1,
    h2,
    h3,
    h4,
    w0,  # W_l
    w1,
    w2,
    w3,
    w4,
    s0,  # spatial scale of level l: feature pixels per input pixel
    s1,
    s2,
    s3,
    s4,
    C,
    NUM_LEVELS: tl.constexpr,
    CHANNELS_LAST: tl.constexpr,
    S: tl.constexpr,  # output bins per side
    GRID: tl.constexpr,  # sampling ratio: samples per bin side
    BLOCK_C: tl.constexpr,
    BLOCK_BINS: tl.constexpr,  # S * S rounded up to a power of two
):
    roi = tl.program_id(0)
    channels = tl.program_id(1) * BLOCK_C + tl.arange(0, BLOCK_C)
    level = tl.load(levels_ptr + roi)
    known = (level >= 0) & (level < NUM_LEVELS)
    features = _pick(level, f0, f1, f2, f3, f4, NUM_LEVELS)
    height = _pick(level, h0, h1, h2, h3, h4, NUM_LEVELS)
    width = _pick(level, w0, w1, w2, w3, w4, NUM_LEVELS)
    scale = _pick(level, s0, s1, s2, s3, s4, NUM_LEVELS)
    batch, start_x, start_y, bin_w, bin_h = _roi_bins(rois_ptr, roi, scale, S)
    image = features + batch * C * height * width  # int64: large batches do not overflow
    bins = tl.arange(0, BLOCK_BINS)
    bin_ok = bins < S * S
    ph = bins // S
    pw = bins % S
    tile_ok = (channels < C)[:, None] & (bin_ok & known)[None, :]

    total = tl.zeros((BLOCK_C, BLOCK_BINS), dtype=tl.float32)
    for iy in tl.static_range(GRID):
        y = _sample_positions(start_y, bin_h, ph, iy, GRID)
        y_low, y_high, hy, ly, y_in = _bilinear_axis(y, height)
        for ix in tl.static_range(GRID):
            x = _sample_positions(start_x, bin_w, pw, ix, GRID)
            x_low, x_high, hx, lx, x_in = _bilinear_axis(x, width)
            ok = tile_ok & (y_in & x_in)[None, :]  # masked loads give 0: no contribution
            v1 = _load_pixels(image, channels, y_low, x_low, ok, C, height, width, CHANNELS_LAST)
            v2 = _load_pixels(image, channels, y_low, x_high, ok, C, height, width, CHANNELS_LAST)
            v3 = _load_pixels(image, channels, y_high, x_low, ok, C, height, width, CHANNELS_LAST)
            v4 = _load_pixels(image, channels, y_high, x_high, ok, C, height, width, CHANNELS_LAST)
            # torchvision's sum: ((w1 v1 + w2 v2) + w3 v3) + w4 v4, added sample by sample
            total += (
                (hy * hx)[None, :] * v1
                + (hy * lx)[None, :] * v2
                + (ly * hx)[None, :] * v3
                + (ly * lx)[None, :] * v4
            )
    pooled = tl.math.div_rn(total, tl.full([], GRID * GRID, tl.float32))
    out = out_ptr + (roi.to(tl.int64) * C + channels[:, None]) * (S * S) + bins[None, :]
    tile_stored = (channels < C)[:, None] & bin_ok[None, :]
    # to the features' dtype: a GPU rounds to nearest (the interpreter truncates to bfloat16)
    tl.store(out, pooled.to(out_ptr.dtype.element_ty), mask=tile_stored)


@triton.jit
def _roi_align_backward_kernel(  # type: ignore[no-untyped-def]  # triton types args by annotation
    grad_ptr,  # [R, C, S, S]: gradient of the pooled output
    rois_ptr,  # float32 [R, 5]
    levels_ptr,  # int64 [R]
    g0,  # float32 gradients of the levels' features, laid out like the features
    g1,
    g2,
    g3,
    g4,
    h0,
    h1,
    h2,
    h3,
    h4,
    w0,
    w1,
    w2,
    w3,
    w4,
    s0,
    s1,
    s2,
    s3,
    s4,
    C,
    NUM_LEVELS: tl.constexpr,
    CHANNELS_LAST: tl.constexpr,
    S: tl.constexpr,
    GRID: tl.constexpr,
    BLOCK_C: tl.constexpr,
    BLOCK_BINS: tl.constexpr,
):
    roi = tl.program_id(0)
    channels = tl.program_id(1) * BLOCK_C + tl.arange(0, BLOCK_C)
    level = tl.load(levels_ptr + roi)
    known = (level >= 0) & (level < NUM_LEVELS)
    grad_features = _pick(level, g0, g1, g2, g3, g4, NUM_LEVELS)
    height = _pick(level, h0, h1, h2, h3, h4, NUM_LEVELS)
    width = _pick(level, w0, w1, w2, w3, w4, NUM_LEVELS)
    scale = _pick(level, s0, s1, s2, s3, s4, NUM_LEVELS)
    batch, start_x, start_y, bin_w, bin_h = _roi_bins(rois_ptr, roi, scale, S)
    image = grad_features + batch * C * height * width
    bins = tl.arange(0, BLOCK_BINS)
    bin_ok = bins < S * S
    ph = bins // S
    pw = bins % S
    tile_ok = (channels < C)[:, None] & (bin_ok & known)[None, :]
    grad = tl.load(
        grad_ptr + (roi.to(tl.int64) * C + channels[:, None]) * (S * S) + bins[None, :],
        mask=tile_ok,
        other=0.0,
    ).to(tl.float32)
    count = tl.full([], GRID * GRID, tl.float32)

    for iy in tl.static_range(GRID):
        y = _sample_positions(start_y, bin_h, ph, iy, GRID)
        y_low, y_high, hy, ly, y_in = _bilinear_axis(y, height)
        for ix in tl.static_range(GRID):
            x = _sample_positions(start_x, bin_w, pw, ix, GRID)
            x_low, x_high, hx, lx, x_in = _bilinear_axis(x, width)
            ok = tile_ok & (y_in & x_in)[None, :]
            # torchvision's products: grad * weight / count, one per corner
            share = tl.math.div_rn(grad * (hy * hx)[None, :], count)
            _add_to_pixels(
                image, channels, y_low, x_low, share, ok, C, height, width, CHANNELS_LAST
            )
            share = tl.math.div_rn(grad * (hy * lx)[None, :], count)
            _add_to_pixels(
                image, channels, y_low, x_high, share, ok, C, height, width, CHANNELS_LAST
            )
            share = tl.math.div_rn(grad * (ly * hx)[None, :], count)
            _add_to_pixels(
                image, channels, y_high, x_low, share, ok, C, height, width, CHANNELS_LAST
            )
            share = tl.math.div_rn(grad * (ly * lx)[None, :], count)
            _add_to_pixels(
                image, channels, y_high, x_high, share, ok, C, height, width, CHANNELS_LAST
            )


def _level_arguments(maps: Sequence[Tensor], scales: Sequence[float]) -> list[Any]:
    """The per-level kernel arguments ``p0..p4, h0..h4, w0..w4, s0..s4``.

    ``maps`` are the levels' feature (or gradient) tensors; levels past ``len(maps)`` repeat
    level 0 (they are never read: the kernels compare every RoI's level with ``NUM_LEVELS``).
    """
    padded = list(maps) + [maps[0]] * (MAX_LEVELS - len(maps))
    padded_scales = [float(s) for s in scales] + [float(scales[0])] * (MAX_LEVELS - len(maps))
    return [
        *padded,
        *(int(m.shape[2]) for m in padded),
        *(int(m.shape[3]) for m in padded),
        *padded_scales,
    ]


def _tiles(channels: int, output_size: int) -> tuple[int, int, int]:
    """``(channel_blocks, BLOCK_C, BLOCK_BINS)``: the kernels run one program per RoI and
    block of ``BLOCK_C`` channels, on a ``[BLOCK_C, BLOCK_BINS]`` tile of bins."""
    block_bins = triton.next_power_of_2(output_size * output_size)
    block_c = min(triton.next_power_of_2(channels), max(1, _TILE_ELEMENTS // block_bins))
    return triton.cdiv(channels, block_c), block_c, block_bins


class _MultiLevelRoIAlign(torch.autograd.Function):
    """:func:`multi_level_roi_align` with its gradient for the features (none for the RoIs)."""

    @staticmethod
    def forward(
        ctx: Any,
        rois: Tensor,
        levels: Tensor,
        output_size: int,
        scales: Sequence[float],
        sampling_ratio: int,
        channels_last: bool,
        *maps: Tensor,
    ) -> Tensor:
        ctx.save_for_backward(rois, levels)
        ctx.settings = (output_size, tuple(scales), sampling_ratio, channels_last)
        ctx.map_dtype = maps[0].dtype
        ctx.map_shapes = [m.shape for m in maps]
        num_rois, channels = rois.shape[0], maps[0].shape[1]
        out = maps[0].new_empty((num_rois, channels, output_size, output_size))
        if num_rois == 0 or channels == 0:
            return out
        channel_blocks, block_c, block_bins = _tiles(channels, output_size)
        _roi_align_forward_kernel[(num_rois, channel_blocks)](
            out,
            rois,
            levels,
            *_level_arguments(maps, scales),
            channels,
            NUM_LEVELS=len(maps),
            CHANNELS_LAST=channels_last,
            S=output_size,
            GRID=sampling_ratio,
            BLOCK_C=block_c,
            BLOCK_BINS=block_bins,
        )
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        rois, levels = ctx.saved_tensors
        output_size, scales, sampling_ratio, channels_last = ctx.settings
        layout = torch.channels_last if channels_last else torch.contiguous_format
        # float32 accumulators, laid out like the features so that both kernels share offsets
        grads = [
            torch.empty(
                shape, dtype=torch.float32, device=grad.device, memory_format=layout
            ).zero_()
            for shape in ctx.map_shapes
        ]
        num_rois, channels = rois.shape[0], ctx.map_shapes[0][1]
        if num_rois > 0 and channels > 0:
            channel_blocks, block_c, block_bins = _tiles(channels, output_size)
            _roi_align_backward_kernel[(num_rois, channel_blocks)](
                grad.contiguous(),
                rois,
                levels,
                *_level_arguments(grads, scales),
                channels,
                NUM_LEVELS=len(grads),
                CHANNELS_LAST=channels_last,
                S=output_size,
                GRID=sampling_ratio,
                BLOCK_C=block_c,
                BLOCK_BINS=block_bins,
            )
        return (None,) * 6 + tuple(g.to(ctx.map_dtype) for g in grads)


def multi_level_roi_align(
    features: Sequence[Tensor],
    rois: Tensor,
    levels: Tensor,
    output_size: int,
    spatial_scales: Sequence[float],
    sampling_ratio: int,
) -> Tensor:
    """RoIAlign of every RoI from its own feature level, in one kernel launch.

    Row ``r`` of the result is ``torchvision.ops.roi_align(features[l], rois[r:r+1],
    output_size, spatial_scales[l], sampling_ratio, aligned=False)`` with ``l = levels[r]``.
    Unlike one ``roi_align`` call per level, nothing here reads a device value on the host (no
    per-level counts, no boolean indexing), in the forward or the backward pass.

    Args:
        features: ``L`` (1 to 5) feature maps ``Float[B, C, H_l, W_l]`` (float32, bfloat16 or
            float16; the same ``B``, ``C``, dtype and device). The kernels read all levels in
            one layout, that of ``features[0]``: channels_last when it is channels_last (and
            not also contiguous), else contiguous; a level in another layout is first copied
            into it.
        rois: ``Float[R, 5]`` rows ``(image_index, x1, y1, x2, y2)``, xyxy in input pixels
            (read in float32). No gradient flows to them (as in torchvision).
        levels: ``Int64[R]`` level of each RoI, in ``0..L-1`` (a RoI with another level gets
            zeros).
        output_size: ``S``, bins per side of the pooled feature.
        spatial_scales: feature pixels per input pixel of each level (``1 / stride``).
        sampling_ratio: samples per bin side, ``>= 1`` (torchvision's adaptive ``<= 0``, which
            varies per RoI, is not available here).

    Returns:
        ``Float[R, C, S, S]`` pooled features in the dtype of ``features``, in the order of
        ``rois``. The sums run in float32; the backward adds float32 gradients atomically (in
        no fixed order) and returns them in the features' dtype.

    Raises:
        ValueError: If ``sampling_ratio < 1`` or ``output_size < 1``; if there are not 1 to 5
            maps with one scale each; if the maps differ in ``B``, ``C``, dtype or device, are
            not 4-D or not float32/bfloat16/float16; if ``rois`` is not ``[R, 5]``, ``levels``
            not ``[R]`` or not of an integer dtype.
    """
    if sampling_ratio <= 0:
        raise ValueError(
            f"multi_level_roi_align needs a fixed sampling_ratio >= 1, got {sampling_ratio}; "
            "use torchvision.ops.roi_align once per level for the adaptive one."
        )
    if not 1 <= len(features) <= MAX_LEVELS or len(spatial_scales) != len(features):
        raise ValueError(
            f"need 1 to {MAX_LEVELS} feature maps and one spatial scale each, got "
            f"{len(features)} maps and {len(spatial_scales)} scales"
        )
    first = features[0]
    for feature in features:
        if feature.dim() != 4 or feature.shape[:2] != first.shape[:2]:
            raise ValueError(
                "features must be [B, C, H, W] with the same B and C, got "
                f"{[tuple(f.shape) for f in features]}"
            )
        if feature.dtype != first.dtype or feature.device != first.device:
            raise ValueError("features must share one dtype and one device")
    if first.dtype not in (torch.float32, torch.bfloat16, torch.float16):
        raise ValueError(f"features must be float32, bfloat16 or float16, got {first.dtype}")
    if rois.dim() != 2 or rois.shape[1] != 5 or levels.shape != (rois.shape[0],):
        raise ValueError(
            f"rois must be [R, 5] and levels [R], got {tuple(rois.shape)} and {tuple(levels.shape)}"
        )
    if levels.dtype.is_floating_point or levels.dtype == torch.bool:
        raise ValueError(f"levels must be integers, got {levels.dtype}")
    if output_size < 1:
        raise ValueError(f"output_size must be >= 1, got {output_size}")
    channels_last = first.is_contiguous(memory_format=torch.channels_last) and not (
        first.is_contiguous()
    )
    layout = torch.channels_last if channels_last else torch.contiguous_format
    maps = [f.contiguous(memory_format=layout) for f in features]  # no copy when already so
    return _MultiLevelRoIAlign.apply(
        rois.detach().to(device=first.device, dtype=torch.float32).contiguous(),
        levels.to(device=first.device, dtype=torch.int64).contiguous(),
        int(output_size),
        [float(s) for s in spatial_scales],
        int(sampling_ratio),
        channels_last,
        *maps,
    )


@functools.cache
def matches_torchvision_on(device: str) -> bool:
    """Run the kernels once on ``device`` against ``torchvision.ops.roi_align`` per level.

    The forward values and the gradients of a small random case (two images, three levels,
    RoIs inside, across and outside the maps) must agree within float32 rounding (``1e-4``).
    The answer is cached per device. A kernel that does not compile there, or computes
    something else, gives ``False`` and a warning, so that callers keep torchvision's path
    instead of training on wrong features.

    Args:
        device: a CUDA device, e.g. ``"cuda:0"``.

    Returns:
        True when the kernels agree with torchvision on ``device``.
    """
    # the caller may be a model's forward under no_grad, inference_mode or autocast
    with (
        torch.inference_mode(False),
        torch.enable_grad(),
        torch.autocast(torch.device(device).type, enabled=False),
    ):
        return _agrees_with_torchvision(device)


def _agrees_with_torchvision(device: str) -> bool:
    """The comparison of :func:`matches_torchvision_on` (not cached)."""
    generator = torch.Generator().manual_seed(0)
    sizes = ((24, 20), (12, 10), (6, 5))
    scales = (1 / 4, 1 / 8, 1 / 16)
    maps = [torch.randn(2, 8, h, w, generator=generator) for h, w in sizes]
    xy = torch.rand(24, 2, generator=generator) * 110 - 10
    boxes = torch.cat([xy, xy + torch.rand(24, 2, generator=generator) * 60 + 0.5], dim=1)
    rois = torch.cat([(torch.arange(24) % 2)[:, None].float(), boxes], dim=1)
    levels = torch.arange(24) % 3
    upstream = torch.randn(24, 8, 7, 7, generator=generator)
    try:
        ours = [m.to(device, copy=True).requires_grad_() for m in maps]
        pooled = multi_level_roi_align(ours, rois.to(device), levels.to(device), 7, scales, 2)
        (pooled * upstream.to(device)).sum().backward()
        have = [pooled.cpu(), *(m.grad.cpu() for m in ours if m.grad is not None)]
    except Exception as error:  # a compile or launch failure: keep torchvision's path
        warnings.warn(
            f"multi-level RoIAlign kernel unusable on {device} ({error}); "
            "pooling one level at a time",
            stacklevel=2,
        )
        return False
    theirs = [m.clone().requires_grad_() for m in maps]  # leaves: maps need no grad
    reference = torch.zeros(24, 8, 7, 7)
    for level, (feature, scale) in enumerate(zip(theirs, scales, strict=True)):
        rows = levels == level
        reference[rows] = torchvision.ops.roi_align(feature, rois[rows], 7, scale, 2)
    (reference * upstream).sum().backward()
    want = [reference, *(m.grad for m in theirs if m.grad is not None)]
    agree = len(have) == len(want) and all(
        torch.allclose(h, w, rtol=1e-4, atol=1e-4) for h, w in zip(have, want, strict=True)
    )
    if not agree:
        warnings.warn(
            f"multi-level RoIAlign kernel disagrees with torchvision on {device}; "
            "pooling one level at a time",
            stacklevel=2,
        )
    return agree
