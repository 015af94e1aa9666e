"""Aspect-ratio grouped batching: images of similar shape in one batch, so less padding.

A detector's transform pads every image of a batch to the batch's largest height and width.
A landscape and a portrait image in one batch waste about half of the padded tensor; grouping
by aspect ratio avoids most of that (Detectron2 groups into landscape / portrait; torchvision's
references into log-spaced ratio bins).

:func:`aspect_ratio_group_ids` puts each image in one of ``num_groups`` bins of its
``height / width`` ratio, with log-spaced bin edges between 1/2 and 2 (2 groups: portrait vs
landscape, split at 1). :class:`GroupedBatchSampler` then draws indices in the order of its
sampler and emits a batch as soon as one group has ``batch_size`` of them. At the end of the
pass the leftovers (fewer than ``batch_size`` per group) are emitted in batches of mixed groups,
so every index appears exactly once and a pass always has ``ceil(len(sampler) / batch_size)``
batches, like a plain ``BatchSampler`` (processes of a distributed run stay in step). With
``batch_size > 1``, a last batch of one index is topped up with the pass's first index (as a
``DistributedSampler`` pads by repeating items): no batch of one image reaches the model, whose
BatchNorm layers cannot train on one value per channel (an SSDlite's last extra layer is 1 x 1).
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np
from PIL import Image
from torch.utils.data import Sampler

from detseg.data.image_io import file_exif_orientation, pillow_pixel_limit_lifted

__all__ = ["GroupedBatchSampler", "aspect_ratio_group_ids", "image_sizes", "padding_fraction"]

logger = logging.getLogger(__name__)


def aspect_ratio_group_ids(sizes: Sequence[tuple[int, int]], num_groups: int) -> list[int]:
    """The aspect-ratio group of each image.

    Args:
        sizes: ``(height, width)`` of every image, in pixels.
        num_groups: Number of bins (>= 2). The inner bin edges are ``2 ** linspace(-1, 1,
            num_groups + 1)[1:-1]``; ratios beyond 1/2 or 2 fall into the end bins.

    Returns:
        A group in ``0..num_groups - 1`` per image (0 = the most landscape images).

    Raises:
        ValueError: ``num_groups < 2`` or a size that is not positive.
    """
    if num_groups < 2:
        raise ValueError(f"num_groups must be >= 2 (0 turns grouping off), got {num_groups}")
    edges = [float(e) for e in 2.0 ** np.linspace(-1.0, 1.0, num_groups + 1)[1:-1]]
    groups = []
    for i, (height, width) in enumerate(sizes):
        if height <= 0 or width <= 0:
            raise ValueError(f"image {i} has size {height}x{width}; sizes must be positive")
        groups.append(bisect.bisect_right(edges, height / width))
    return groups


def image_sizes(dataset: Any) -> list[tuple[int, int]]:
    """``(height, width)`` of every image of a detection or segmentation dataset, as the
    dataset reads it.

    COCO-json datasets give them from their ``images`` entries where those state a positive
    integer ``height`` and ``width``; other images (other formats, or an entry whose size is
    missing, ``null`` or ``0``) have their file header read with Pillow (no decoding), and
    the size is transposed where the dataset reads the image as displayed and its EXIF
    orientation swaps width and height (:func:`_read_size`: a quarter-turned photo of a YOLO
    dataset is grouped by its displayed shape). An unreadable file counts as square (it is
    skipped at load time anyway).
    """
    coco = dataset.coco_gt() if hasattr(dataset, "coco_gt") else None
    stated: dict[int, tuple[int, int]] = {}
    if coco is not None:
        for entry in coco["images"]:
            sides = (entry.get("height"), entry.get("width"))
            if all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in sides):
                stated[int(entry["id"])] = (int(sides[0]), int(sides[1]))
    ids = dataset.image_ids if stated else [None] * len(dataset)
    sizes = []
    for index, image_id in enumerate(ids):
        size = stated.get(int(image_id)) if image_id is not None else None
        sizes.append(size if size is not None else _read_size(dataset, index))
    return sizes


def _read_size(dataset: Any, index: int) -> tuple[int, int]:
    """:func:`read_size`, or ``(1, 1)`` with a warning for an unreadable file (grouped as
    square)."""
    size = read_size(dataset, index)
    if size is None:
        logger.warning("cannot read the size of %s; grouped as square", dataset.image_path(index))
        return 1, 1
    return size


def read_size(dataset: Any, index: int) -> tuple[int, int] | None:
    """``(height, width)`` image ``index`` of ``dataset`` is read at, from its file's header and
    EXIF orientation only: the stored size, transposed where the orientation swaps width and
    height (5..8) and the dataset's ``reads_as_displayed`` hook
    (:meth:`~detseg.data.base.ImageDataset.reads_as_displayed`) says it is read as displayed;
    ``None`` for a file whose header cannot be read.

    Pillow's decompression-bomb limit is lifted for this read (no pixels are decoded): a large
    aerial or slide image that OpenCV decodes for training is sized, not refused."""
    path = dataset.image_path(index)
    try:
        with pillow_pixel_limit_lifted(), Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError, SyntaxError):
        return None
    stored = (height, width)
    orientation = file_exif_orientation(path)
    hook = getattr(dataset, "reads_as_displayed", None)
    if orientation in (5, 6, 7, 8) and hook is not None and hook(index, orientation, stored):
        return width, height
    return stored


class SizedIndices(Protocol):
    """Dataset indices with a length: a ``DistributedSampler``, a ``range``, a list."""

    def __iter__(self) -> Iterator[int]: ...

    def __len__(self) -> int: ...


class GroupedBatchSampler(Sampler[list[int]]):
    """Batches whose indices share a group, in the order the sampler gives the indices.

    Args:
        sampler: Yields dataset indices (e.g. a ``DistributedSampler``).
        group_ids: Group of every dataset index.
        batch_size: Indices per batch (with ``batch_size > 1`` a last batch of one index gets
            the pass's first index as well).
    """

    def __init__(self, sampler: SizedIndices, group_ids: Sequence[int], batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.sampler = sampler
        self.group_ids = list(group_ids)
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[list[int]]:
        buffers: dict[int, list[int]] = {}
        first: int | None = None  # the pass's first index: tops up a last batch of one
        for index in self.sampler:
            first = int(index) if first is None else first
            buffer = buffers.setdefault(self.group_ids[index], [])
            buffer.append(int(index))
            if len(buffer) == self.batch_size:
                yield list(buffer)
                buffer.clear()
        leftovers = [i for group in sorted(buffers) for i in buffers[group]]
        if self.batch_size > 1 and first is not None and len(leftovers) % self.batch_size == 1:
            leftovers.append(first)  # no batch of one (see the module docstring)
        for start in range(0, len(leftovers), self.batch_size):
            yield leftovers[start : start + self.batch_size]

    def __len__(self) -> int:
        return math.ceil(len(self.sampler) / self.batch_size)


def padding_fraction(batches: Sequence[Sequence[tuple[int, int]]], divisor: int = 1) -> float:
    """Share of padded pixels when each batch is padded to its largest height and width.

    Args:
        batches: The ``(height, width)`` of the images of each batch (after resizing).
        divisor: Padded sides are rounded up to a multiple of it (a detector's
            ``size_divisible``).

    Returns:
        ``padded pixels / all pixels`` over all batches, in ``[0, 1)``.
    """
    total = real = 0
    for sizes in batches:
        height = math.ceil(max(h for h, _ in sizes) / divisor) * divisor
        width = math.ceil(max(w for _, w in sizes) / divisor) * divisor
        total += height * width * len(sizes)
        real += sum(h * w for h, w in sizes)
    return 1.0 - real / total if total else 0.0
