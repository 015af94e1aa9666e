"""Which boxes and labels of a detection target break the target contract: the shared predicates.

Two checks read detection targets (``docs/ARCHITECTURE.md``, "Contracts": ``boxes``
``Float[N, 4]`` ``xyxy`` absolute pixels, ``labels`` ``Int64[N]`` in ``1..K``): the loader's check
of a dataset's items (:mod:`detseg.data.sample_checks`, one ``TargetError`` line naming the
dataset item) and a detector's check where a batch enters it
(:func:`detseg.detection.validation.check_targets`, a ``ValueError`` or ``TypeError`` naming the
image of the batch). Each words its errors for its own reader; what counts as broken is decided
here, once, one topic a function.

The layout predicates read host metadata only (dtype, shape). The value predicates return a
``Bool[N]`` tensor on the targets' device and read nothing on the host: a caller on a GPU folds
them into one reduction and one read, a caller on the CPU picks the first bad row to name.

Imports nothing from detseg (the bottom layer of ``docs/ARCHITECTURE.md``), so ``data/`` and
``detection/`` both use it without loading each other or ``ops/`` (``torchvision``).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = [
    "boxes_are_n_by_4",
    "boxes_have_float_dtype",
    "boxes_outside_image",
    "degenerate_boxes",
    "labels_above_k",
    "labels_below_1",
    "labels_have_int64_dtype",
    "labels_match_boxes",
    "labels_outside_1_to_k",
    "nonfinite_boxes",
]


def boxes_have_float_dtype(boxes: Tensor) -> bool:
    """Whether ``boxes`` has a floating-point dtype (coordinates are pixels, not indices)."""
    return boxes.is_floating_point()


def boxes_are_n_by_4(boxes: Tensor) -> bool:
    """Whether ``boxes`` is ``[N, 4]`` (one ``x1, y1, x2, y2`` row per object; ``N`` may be 0)."""
    return boxes.dim() == 2 and boxes.shape[1] == 4


def nonfinite_boxes(boxes: Tensor) -> Tensor:
    """``Bool[N]``: the rows of ``boxes`` (``Float[N, 4]``) with a NaN or infinite coordinate."""
    return ~torch.isfinite(boxes).all(dim=1)


def degenerate_boxes(boxes: Tensor) -> Tensor:
    """``Bool[N]``: the rows of ``boxes`` (``Float[N, 4]``) that are no ``xyxy`` box with
    ``x1 < x2`` and ``y1 < y2`` (``x2 <= x1`` or ``y2 <= y1``: empty, or ``xywh`` with
    ``w <= x`` or ``h <= y``).

    A NaN compares false, so a row with a NaN is flagged by :func:`nonfinite_boxes` only.
    """
    return (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])


def boxes_outside_image(boxes: Tensor, image_size: tuple[int, int]) -> Tensor:
    """``Bool[N]``: the rows of ``boxes`` (``Float[N, 4]`` xyxy px) with no overlap of positive
    area with their ``(H, W)`` image (``x1 >= W``, ``y1 >= H``, ``x2 <= 0`` or ``y2 <= 0``): a
    box no anchor or proposal inside the image can match, whose box loss then grows without
    bound. The dataset readers drop such boxes (:mod:`detseg.data.target_checks`)."""
    height, width = image_size
    return (
        (boxes[:, 0] >= width) | (boxes[:, 1] >= height) | (boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
    )


def labels_have_int64_dtype(labels: Tensor) -> bool:
    """Whether ``labels`` is ``int64`` (class numbers, as the losses index with them)."""
    return labels.dtype == torch.int64


def labels_match_boxes(labels: Tensor, num_boxes: int) -> bool:
    """Whether ``labels`` is ``[num_boxes]``: one label per box."""
    return labels.dim() == 1 and labels.shape[0] == num_boxes


def labels_below_1(labels: Tensor) -> Tensor:
    """``Bool[N]``: the labels (``Int64[N]``) below 1 (0 is background, not a class)."""
    return labels < 1


def labels_above_k(labels: Tensor, num_classes: int) -> Tensor:
    """``Bool[N]``: the labels (``Int64[N]``) above ``K = num_classes``."""
    return labels > num_classes


def labels_outside_1_to_k(labels: Tensor, num_classes: int | None) -> Tensor:
    """``Bool[N]``: the labels (``Int64[N]``) outside ``1..K``; ``num_classes=None`` (``K``
    unknown) flags those below 1 only."""
    outside = labels_below_1(labels)
    if num_classes is not None:
        outside |= labels_above_k(labels, num_classes)
    return outside
