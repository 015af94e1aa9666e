"""Anchor (prior box) generators.

Every generator here tiles a small set of *cell anchors* (boxes centred on the origin)
over each feature map of a pyramid and returns one ``[num_anchors, 4]`` xyxy tensor in
the pixel coordinates of the padded input batch, ordered level -> y -> x -> anchor. The
same anchors serve every image of a batch.

``AnchorGenerator`` reproduces torchvision's anchors bit for bit (Faster R-CNN, RetinaNet).
SSD default boxes are in :mod:`detseg.ops.default_boxes` and YOLO grid priors in
:mod:`detseg.ops.yolo_priors`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def grid_shifts(
    feature_size: tuple[int, int], stride: tuple[int, int], device: torch.device | str = "cpu"
) -> Tensor:
    """Top-left pixel offsets of the cells of one feature map.

    Args:
        feature_size: ``(h, w)`` of the feature map.
        stride: integer ``(stride_y, stride_x)`` in pixels of the input image.
        device: Device of the result.

    Returns:
        Int32 ``[h * w, 4]`` rows ``(x, y, x, y)`` ordered y-major (row by row), ready to be
        added to xyxy cell anchors.
    """
    h, w = feature_size
    shifts_x = torch.arange(w, dtype=torch.int32, device=device) * stride[1]
    shifts_y = torch.arange(h, dtype=torch.int32, device=device) * stride[0]
    shift_y, shift_x = torch.meshgrid(shifts_y, shifts_x, indexing="ij")  # [h, w] each
    shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)
    return torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)


def cell_anchors(sizes: Sequence[float], aspect_ratios: Sequence[float]) -> Tensor:
    """Zero-centred anchors of one level, rounded to whole pixels.

    An aspect ratio is ``height / width``; an anchor of size ``s`` and ratio ``r`` has
    width ``s / sqrt(r)`` and height ``s * sqrt(r)`` (area ``s**2``). Coordinates are
    computed in float32 and rounded half to even, as torchvision does.

    Args:
        sizes: Anchor sizes (square root of the area) in pixels.
        aspect_ratios: Height / width ratios.

    Returns:
        Float32 ``[len(aspect_ratios) * len(sizes), 4]`` xyxy boxes, ratio-major
        (all sizes of the first ratio, then all sizes of the second, ...).
    """
    scales = torch.as_tensor(sizes, dtype=torch.float32)
    ratios = torch.as_tensor(aspect_ratios, dtype=torch.float32)
    h_ratios = torch.sqrt(ratios)
    w_ratios = 1 / h_ratios
    ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)  # [R * S]
    hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
    return (torch.stack((-ws, -hs, ws, hs), dim=1) / 2).round()


class AnchorGenerator:
    """Anchors of several sizes and aspect ratios at every cell of every pyramid level.

    The stride of a level is the integer ``image_size // feature_size`` per axis, and the
    cell anchors are centred on the top-left pixel of each cell (torchvision's convention).

    Args:
        sizes: One tuple of sizes (pixels) per feature level, e.g. ``((32,), (64,), ...)``.
        aspect_ratios: One tuple of height / width ratios per feature level.

    Raises:
        ValueError: If ``sizes`` or ``aspect_ratios`` is empty, holds an empty tuple, or the
            two have different numbers of levels.

    Example:
        >>> gen = AnchorGenerator(((32, 64),), ((0.5, 1.0, 2.0),))
        >>> gen((64, 64), [(8, 8)], torch.float32, "cpu").shape
        torch.Size([384, 4])
    """

    def __init__(
        self,
        sizes: tuple[tuple[int, ...], ...] = ((128, 256, 512),),
        aspect_ratios: tuple[tuple[float, ...], ...] = ((0.5, 1.0, 2.0),),
    ) -> None:
        for name, value in (("sizes", sizes), ("aspect_ratios", aspect_ratios)):
            if not value or not all(isinstance(v, (tuple, list)) and len(v) > 0 for v in value):
                raise ValueError(
                    f"{name} must be a non-empty tuple of non-empty tuples, one per feature "
                    f"level (e.g. ((32,), (64,)) ), got {value!r}"
                )
        if len(sizes) != len(aspect_ratios):
            raise ValueError(
                f"sizes has {len(sizes)} levels but aspect_ratios has {len(aspect_ratios)} "
                "(a detector's model.anchor_sizes and model.aspect_ratios); give one tuple of "
                "each per feature level"
            )
        self.sizes = tuple(tuple(s) for s in sizes)
        self.aspect_ratios = tuple(tuple(r) for r in aspect_ratios)
        self.cell_anchors = [
            cell_anchors(s, r) for s, r in zip(self.sizes, self.aspect_ratios, strict=True)
        ]
        self._cell_anchors_on: dict[tuple, list[Tensor]] = {}  # copies per (device, dtype)

    def num_anchors_per_location(self) -> list[int]:
        """Number of anchors ``A_l`` at each cell, one entry per level."""
        return [len(s) * len(r) for s, r in zip(self.sizes, self.aspect_ratios, strict=True)]

    def __call__(
        self,
        image_size: tuple[int, int],
        feature_sizes: Sequence[tuple[int, int]],
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
    ) -> Tensor:
        """Anchors for a batch padded to ``image_size``.

        Args:
            image_size: ``(H, W)`` of the padded batch tensor.
            feature_sizes: ``(h_l, w_l)`` of each feature level, in the order of ``sizes``.
            dtype: Floating dtype of the result.
            device: Device of the result.

        Returns:
            ``[sum_l h_l * w_l * A_l, 4]`` xyxy anchors in ``dtype``, in pixels of the padded
            batch, ordered level -> y -> x -> anchor.

        Raises:
            ValueError: If ``feature_sizes`` does not have one entry per level, or a feature
                size is empty or larger than ``image_size``.
        """
        if len(feature_sizes) != len(self.cell_anchors):
            raise ValueError(
                f"got {len(feature_sizes)} feature maps but the generator has "
                f"{len(self.cell_anchors)} levels of sizes/aspect_ratios; they must match"
            )
        height, width = int(image_size[0]), int(image_size[1])
        key = (str(device), dtype)
        if key not in self._cell_anchors_on:  # copied to a GPU once, not at every call
            self._cell_anchors_on[key] = [
                a.to(dtype=dtype, device=device) for a in self.cell_anchors
            ]
        anchors = []
        for (h, w), base in zip(feature_sizes, self._cell_anchors_on[key], strict=True):
            h, w = int(h), int(w)
            if h <= 0 or w <= 0 or h > height or w > width:
                raise ValueError(
                    f"feature size {(h, w)} is empty or larger than image {image_size}"
                )
            shifts = grid_shifts((h, w), (height // h, width // w), device)
            anchors.append((shifts[:, None, :] + base[None, :, :]).reshape(-1, 4))  # [h*w*A, 4]
        return torch.cat(anchors)
