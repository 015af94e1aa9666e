"""RoIAlign with torchvision's forward and a faster backward on the CPU, bit for bit the same.

Why: on a CPU, torchvision's RoIAlign backward walks every (RoI, channel, bin, sample) and
recomputes the four bilinear weights of a sample once per channel, one scalar add at a time.
In a Mask R-CNN training step that is about a quarter of the time. The weights do not depend
on the channel, so :func:`roi_align_fast_backward` computes them once per sample, multiplies
them with the gradient rows of all channels at once, and accumulates the products into the
feature gradient with ``index_add_``.

``index_add_`` adds its rows one after another, in index order. The index order here is
torchvision's loop order: by RoI, then bin (row-major), then sample (row-major), then corner
(top-left, top-right, bottom-left, bottom-right). Every feature pixel therefore receives the
same products in the same order, and the gradient is bit-identical to torchvision's.

The arithmetic of a sample is torchvision's (Mask R-CNN's RoIAlign). A RoI
``(x1, y1, x2, y2)`` in input pixels is multiplied by ``spatial_scale``, minus half a pixel
when ``aligned``. It is cut into ``S_h x S_w`` bins; without ``aligned`` each side is at least
1 feature pixel. Each bin is the mean of ``r x r`` bilinear samples at the centres of an
``r x r`` split of the bin. A sample more than one pixel outside the map adds nothing; one
within that margin takes the border value.

torchvision's kernels trust the RoI rows: a NaN or infinite coordinate turns into a pixel index
far outside the features (on the CPU, a segmentation fault), and so does an image index outside
``0..B-1``. :func:`check_roi_rows` refuses such rows. It reads the rows on the host, which on
the CPU costs no wait; on a GPU it would wait for the device, so CUDA rows are not checked
there and the caller keeps them valid (detseg's proposals are finite: the RPN drops the rest).
"""

from __future__ import annotations

from typing import Any

import torch
import torchvision.ops
from torch import Tensor

from detseg.ops.padding import host_reads_are_free

# products held at once by the backward, in elements (16 MiB of float32): large enough for
# vectorised adds, small enough to stay in cache
_CHUNK_ELEMENTS = 1 << 22


def _axis_corners(position: Tensor, size: int) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """torchvision's bilinear neighbours along one axis.

    Args:
        position: ``Float[...]`` sample coordinates in feature pixels.
        size: map size along this axis.

    Returns:
        ``(low, high, low_weight, high_weight, inside)``: ``Int64`` neighbour indices, their
        weights (``1 - frac`` for ``low``, ``frac`` for ``high``) and ``Bool`` whether the
        sample is within the 1-pixel margin (outside it, the sample adds nothing).
    """
    inside = (position >= -1.0) & (position <= size)
    # clamped to the map on both sides: a sample past it (weight 0) still gets valid indices
    position = position.clamp(min=0.0, max=float(size))
    low = position.floor().to(torch.int64)
    at_edge = low >= size - 1
    low = torch.where(at_edge, size - 1, low)
    high = torch.where(at_edge, size - 1, low + 1)
    position = torch.where(at_edge, low.to(position.dtype), position)
    frac = position - low
    return low, high, 1 - frac, frac, inside


def _sample_positions(start: Tensor, length: Tensor, bins: int, ratio: int) -> Tensor:
    """``Float[R, bins, ratio]`` coordinates of the samples along one axis, as torchvision
    computes them: ``start + bin * bin_size + (i + 0.5) * bin_size / ratio``."""
    bin_size = length / bins
    bin_index = torch.arange(bins, dtype=start.dtype, device=start.device)
    sample = torch.arange(ratio, dtype=start.dtype, device=start.device) + 0.5
    bin_start = start[:, None, None] + bin_index[None, :, None] * bin_size[:, None, None]
    return bin_start + sample[None, None, :] * bin_size[:, None, None] / ratio


def bilinear_taps(
    rois: Tensor,
    feature_size: tuple[int, int],
    output_size: tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool,
) -> tuple[Tensor, Tensor]:
    """Where each RoIAlign output reads its input, and with what weight.

    Args:
        rois: ``Float[R, 5]`` rows ``(image_index, x1, y1, x2, y2)`` in input pixels (xyxy).
        feature_size: ``(H, W)`` of the feature map.
        output_size: ``(S_h, S_w)`` bins per RoI.
        spatial_scale, sampling_ratio, aligned: as for ``torchvision.ops.roi_align``
            (``sampling_ratio >= 1``).

    Returns:
        ``(pixels, weights)``: ``Int64[R, S_h * S_w, r * r * 4]`` flat indices into
        ``[B * H * W]`` and ``Float[R, S_h * S_w, r * r * 4]`` bilinear weights (0 for samples
        outside the margin; the mean over the ``r * r`` samples is left to the caller), in
        torchvision's order: bin, then sample, then corner.
    """
    height, width = feature_size
    bins_h, bins_w = output_size
    ratio = sampling_ratio
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (rois[:, 1:] * spatial_scale - offset).unbind(dim=1)
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
    y_low, y_high, y_low_w, y_high_w, y_in = _axis_corners(
        _sample_positions(y1, roi_h, bins_h, ratio), height
    )  # [R, S_h, r] each
    x_low, x_high, x_low_w, x_high_w, x_in = _axis_corners(
        _sample_positions(x1, roi_w, bins_w, ratio), width
    )  # [R, S_w, r] each

    def rows(t: Tensor) -> Tensor:  # [R, S_h, r] -> [R, S_h, 1, r, 1]
        return t[:, :, None, :, None]

    def columns(t: Tensor) -> Tensor:  # [R, S_w, r] -> [R, 1, S_w, 1, r]
        return t[:, None, :, None, :]

    image = rois[:, 0].to(torch.int64)[:, None, None, None, None] * (height * width)
    pixels = torch.stack(
        [
            image + rows(y_low) * width + columns(x_low),
            image + rows(y_low) * width + columns(x_high),
            image + rows(y_high) * width + columns(x_low),
            image + rows(y_high) * width + columns(x_high),
        ],
        dim=-1,
    )  # [R, S_h, S_w, r, r, 4]
    inside = (rows(y_in) & columns(x_in)).to(rois.dtype)
    weights = (
        torch.stack(
            [
                rows(y_low_w) * columns(x_low_w),
                rows(y_low_w) * columns(x_high_w),
                rows(y_high_w) * columns(x_low_w),
                rows(y_high_w) * columns(x_high_w),
            ],
            dim=-1,
        )
        * inside[..., None]
    )
    taps = ratio * ratio * 4
    shape = (rois.shape[0], bins_h * bins_w, taps)
    return pixels.reshape(shape), weights.reshape(shape)


def check_roi_rows(rois: Tensor, num_images: int) -> None:
    """Refuse RoI rows that torchvision's CPU kernels would read outside the features for.

    Only CPU rows are checked (reading them on the host costs no device wait); rows on
    another device, and rows under ``torch.compile`` (where the host read would break the
    graph), pass unchecked.

    Args:
        rois: ``Float[R, 5]`` rows ``(image_index, x1, y1, x2, y2)`` in input pixels (xyxy).
        num_images: ``B``, images in the feature maps.

    Raises:
        ValueError: naming the first row with a NaN or infinite value, or with an image index
            outside ``0..B-1``.
    """
    if not host_reads_are_free(rois.device) or torch.compiler.is_compiling() or not len(rois):
        return
    bad = ~torch.isfinite(rois).all(dim=1)
    if bool(bad.any()):
        row = int(bad.nonzero()[0, 0])
        raise ValueError(
            f"RoI row {row} = {rois[row].tolist()} is not finite: RoIs must be finite "
            "(image_index, x1, y1, x2, y2) rows in input pixels; drop or fix that box"
        )
    # torchvision truncates the index to an integer, so (-1, B) is the valid open range
    index = rois[:, 0]
    outside = (index <= -1) | (index >= num_images)
    if bool(outside.any()):
        row = int(outside.nonzero()[0, 0])
        raise ValueError(
            f"RoI row {row} has image index {rois[row, 0].item():g} but the features hold "
            f"{num_images} images: give each image's boxes in the batch order"
        )


class _RoIAlignFastBackward(torch.autograd.Function):
    """``torchvision.ops.roi_align`` forward; backward by :func:`bilinear_taps` and
    ``index_add_`` (see the module docstring)."""

    @staticmethod
    def forward(
        ctx: Any,
        features: Tensor,
        rois: Tensor,
        output_size: tuple[int, int],
        spatial_scale: float,
        sampling_ratio: int,
        aligned: bool,
    ) -> Tensor:
        ctx.save_for_backward(rois)
        ctx.settings = (features.shape, output_size, spatial_scale, sampling_ratio, aligned)
        ctx.channels_last = features.is_contiguous(memory_format=torch.channels_last)
        return torchvision.ops.roi_align(
            features, rois, output_size, spatial_scale, sampling_ratio, aligned
        )

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        (rois,) = ctx.saved_tensors
        shape, output_size, spatial_scale, sampling_ratio, aligned = ctx.settings
        batch, channels, height, width = shape
        # accumulated as [B * H * W, C]: one contiguous row of channels per pixel
        result = grad.new_zeros((batch * height * width, channels))
        if rois.shape[0] > 0:
            pixels, weights = bilinear_taps(
                rois.to(grad.dtype),
                (height, width),
                output_size,
                spatial_scale,
                sampling_ratio,
                aligned,
            )
            # [R, S_h * S_w, 1, C]: the gradient row of each bin, for all channels
            grad_rows = grad.flatten(2).transpose(1, 2).unsqueeze(2).contiguous()
            samples = sampling_ratio * sampling_ratio
            per_roi = pixels.shape[1] * pixels.shape[2] * channels
            step = max(1, _CHUNK_ELEMENTS // per_roi)
            for start in range(0, rois.shape[0], step):
                part = slice(start, start + step)
                products = grad_rows[part] * weights[part, ..., None]  # [part, S*S, taps, C]
                if samples > 1:  # torchvision's order: (gradient * weight) / samples
                    products /= samples
                result.index_add_(0, pixels[part].flatten(), products.view(-1, channels))
        result = result.view(batch, height, width, channels).permute(0, 3, 1, 2)
        layout = torch.channels_last if ctx.channels_last else torch.contiguous_format
        return result.contiguous(memory_format=layout), None, None, None, None, None


def roi_align_fast_backward(
    features: Tensor,
    rois: Tensor,
    output_size: int | tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool = False,
) -> Tensor:
    """``torchvision.ops.roi_align``, with a faster CPU backward that gives the same gradient.

    Args:
        features: ``Float[B, C, H, W]`` feature maps (float32 or float64).
        rois: ``Float[R, 5]`` rows ``(image_index, x1, y1, x2, y2)`` in input pixels (xyxy).
            No gradient flows to them (as in torchvision).
        output_size: ``S`` or ``(S_h, S_w)`` bins per RoI.
        spatial_scale: feature pixels per input pixel (``1 / stride``).
        sampling_ratio: samples per bin side, ``>= 1`` (torchvision's adaptive ``<= 0``
            varies per RoI and is not available here).
        aligned: subtract half a pixel from the scaled RoI (torchvision's ``aligned=True``).

    Returns:
        ``Float[R, C, S_h, S_w]`` pooled features, in the order of ``rois``: torchvision's
        values, and in backward torchvision's gradient, bit for bit.

    Raises:
        ValueError: If ``sampling_ratio < 1``; for CPU ``rois``, a row that is not finite or
            whose image index is outside ``0..B-1`` (see :func:`check_roi_rows`).
    """
    if sampling_ratio < 1:
        raise ValueError(
            f"roi_align_fast_backward needs a fixed sampling_ratio >= 1, got {sampling_ratio}; "
            "use torchvision.ops.roi_align for the adaptive one."
        )
    check_roi_rows(rois, features.shape[0])
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    return _RoIAlignFastBackward.apply(
        features, rois.detach(), size, spatial_scale, sampling_ratio, aligned
    )
