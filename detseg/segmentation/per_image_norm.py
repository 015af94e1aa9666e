"""Per-image standardisation (``input.per_image_norm``): each image centred and divided by its
own per-channel standard deviation, so that a segmenter sees every colour relative to the
image it is in (used by :class:`~detseg.segmentation.model.SegmentationModel` and by its
export graph, :class:`~detseg.export.wrappers.SegmenterExport`, which must compute it the same
way to match).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["PER_IMAGE_EPS", "standardized_per_image"]

#: Added to a per-image standard deviation (images in [0, 1]) so a flat image stays finite.
PER_IMAGE_EPS = 0.02


def standardized_per_image(pixels: Tensor, sqrt_dof: float | Tensor) -> Tensor:
    """``Float[B, 3, H, W]`` (or ``[B, 3, N]``) pixels centred and divided by their standard
    deviation (plus ``PER_IMAGE_EPS``), per image and channel, in the input's shape;
    ``sqrt_dof`` is ``sqrt(max(H * W - 1, 1))`` (a tensor in a traced graph, where a Python
    ``max`` would keep the example's branch).

    The sums run over each row first, then over the rows: one float32 sum over all ``H * W``
    pixels drifts with their count, in torch's norm (7e-5 off float64 on a 512 px image) and
    more in onnxruntime's ``ReduceMean`` / ``ReduceL2`` (7e-4, more than an exported model's
    check allows), while sums of one row each stay near 1e-6 in both. A ``[B, 3, N]`` input is
    one row.
    """
    rows = pixels if pixels.dim() == 4 else pixels.unsqueeze(2)  # [B, 3, R, C]
    mean = rows.mean(dim=3, keepdim=True).mean(dim=2, keepdim=True)  # rows of equal length
    # the broadcasts on [B, 3, H * W]: on a CPU several times faster than over H x W
    centred = pixels.flatten(2) - mean.flatten(2)
    row_norms = torch.linalg.vector_norm(centred.view_as(rows), dim=3)  # [B, 3, R]
    std = torch.linalg.vector_norm(row_norms, dim=2, keepdim=True) / sqrt_dof  # [B, 3, 1]
    return (centred / (std + PER_IMAGE_EPS)).view_as(pixels)
