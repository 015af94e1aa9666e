"""RoIAlign written with ``F.grid_sample``, a second implementation of torchvision's RoIAlign.

Why a second one: on a CPU, torchvision's RoIAlign backward recomputes the bilinear weights
of every sample once per channel. ``grid_sample``'s backward does not. With one sample per bin
(``sampling_ratio=1``, the shapes demo's setting) its forward + backward is the faster of the
two on a CPU; with 2 samples per bin it is the slower one. So ``RoIPooler`` calls it only for
CPU training at 1 sample per bin, and uses torchvision's kernel everywhere else (inference,
GPU, the twins' settings).

The arithmetic is torchvision's (Mask R-CNN's RoIAlign). A RoI ``(x1, y1, x2, y2)`` in input
pixels is multiplied by ``spatial_scale``, minus half a pixel when ``aligned``. It is cut into
``S_h x S_w`` bins; without ``aligned`` each side is at least 1 feature pixel. Each bin is the
mean of ``r x r`` bilinear samples at the centres of an ``r x r`` split of the bin. A sample
more than one pixel outside the map counts as 0. A sample within that margin takes the border
value. That is what ``grid_sample(padding_mode="border", align_corners=True)`` computes for
the pixel coordinates used below.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _sample_positions(
    start: Tensor, length: Tensor, bins: int, samples: int, size: int
) -> tuple[Tensor, Tensor]:
    """Sample coordinates along one axis and whether each lies within the map's 1-pixel margin.

    Args:
        start, length: ``Float[R]`` RoI start and side in feature pixels.
        bins, samples: bins per side and samples per bin side.
        size: map size along this axis.

    Returns:
        ``grid_sample`` coordinates ``Float[R, bins * samples]`` in ``[-1, 1]`` (align_corners)
        and ``Bool[R, bins * samples]`` (False: the sample counts as 0).
    """
    steps = bins * samples
    fraction = (torch.arange(steps, dtype=start.dtype, device=start.device) + 0.5) / steps
    position = start[:, None] + fraction[None] * length[:, None]  # feature pixels
    inside = (position >= -1.0) & (position <= size)
    normalised = position.clamp(min=0.0) * (2.0 / max(size - 1, 1)) - 1.0
    return normalised, inside


def roi_align_grid_sample(
    features: Tensor,
    rois: Tensor,
    output_size: int | tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool = False,
) -> Tensor:
    """RoIAlign of ``rois`` on ``features``; the values of ``torchvision.ops.roi_align``.

    Args:
        features: ``Float[B, C, H, W]`` feature maps.
        rois: ``Float[R, 5]`` rows ``(image_index, x1, y1, x2, y2)`` in input pixels (xyxy).
            No gradient flows to them (as in torchvision).
        output_size: ``S`` or ``(S_h, S_w)`` bins per RoI.
        spatial_scale: feature pixels per input pixel (``1 / stride``).
        sampling_ratio: samples per bin side, ``>= 1`` (torchvision's adaptive ``<= 0`` is not
            available here).
        aligned: subtract half a pixel from the scaled RoI (torchvision's ``aligned=True``).

    Returns:
        ``Float[R, C, S_h, S_w]`` pooled features, in the order of ``rois``.
    """
    if sampling_ratio < 1:
        raise ValueError(
            f"roi_align_grid_sample needs a fixed sampling_ratio >= 1, got {sampling_ratio}; "
            "use torchvision.ops.roi_align for the adaptive one."
        )
    bins_h, bins_w = (output_size, output_size) if isinstance(output_size, int) else output_size
    _, channels, height, width = features.shape
    rois = rois.detach().to(features.dtype)
    num_rois = rois.shape[0]
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (rois[:, 1:] * spatial_scale - offset).unbind(dim=1)
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
    r = sampling_ratio
    grid_x, inside_x = _sample_positions(x1, roi_w, bins_w, r, width)  # [R, S_w * r]
    grid_y, inside_y = _sample_positions(y1, roi_h, bins_h, r, height)  # [R, S_h * r]
    grid = torch.stack(torch.broadcast_tensors(grid_x[:, None, :], grid_y[:, :, None]), dim=-1)

    samples = features.new_zeros((num_rois, channels, bins_h * r, bins_w * r))
    image_index = rois[:, 0].to(torch.int64)
    for index in image_index.unique().tolist():
        chosen = torch.where(image_index == index)[0]
        # all RoIs of one image as one tall grid: [1, n * S_h * r, S_w * r, 2]
        tall = grid[chosen].reshape(1, -1, bins_w * r, 2)
        sampled = F.grid_sample(
            features[index : index + 1],
            tall,
            mode="bilinear",
            padding_mode="border",
            align_corners=True,
        )  # [1, C, n * S_h * r, S_w * r]
        sampled = sampled.view(channels, chosen.numel(), bins_h * r, bins_w * r)
        samples[chosen] = sampled.transpose(0, 1)
    inside = (inside_y[:, :, None] & inside_x[:, None, :]).to(features.dtype)
    samples = samples * inside[:, None]
    return F.avg_pool2d(samples, r) if r > 1 else samples
