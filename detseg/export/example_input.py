"""The example image an export traces: its size (:func:`default_input_size`,
:func:`traced_size`) and its pixels (:func:`example_images`).

The traced size is the input size of a static export; a dynamic one only traces at it. A
detector's is the size its transform resizes to. A segmenter resizes nothing (it labels an
image at the image's size), so its default is the size it was trained at, that of the last
fixed-size crop, resize or padding of its config's augmentations (:func:`trained_size`: 256 for
``configs/segmentation/unet_shapes.yaml``, 480 for the VOC configs), else 512.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from detseg.export.wrappers import ExportError
from detseg.memory_errors import is_out_of_memory

#: Traced (and, for a static export, fixed) size of a segmenter's input where no size it was
#: trained at is known (a model given from Python, a config without a fixed-size crop).
DEFAULT_SEGMENTATION_SIZE = (512, 512)

#: The albumentations transforms whose output has one size, ``height`` x ``width`` (or
#: ``size``): a segmenter's config ends its augmentations with one, so that images stack.
SIZED_TRANSFORMS = (
    "RandomCrop",
    "CenterCrop",
    "Resize",
    "RandomResizedCrop",
    "RandomSizedCrop",
    "RandomSizedBBoxSafeCrop",
    "CropNonEmptyMaskIfExists",
)


def trained_size(augmentations: Sequence[Mapping[str, Any]] | None) -> tuple[int, int] | None:
    """``(H, W)`` of the training images by a config's ``data.augmentations`` (items
    ``{"name": ..., "height": ..., "width": ...}`` or ``"size": [H, W]``): the last of
    :data:`SIZED_TRANSFORMS`, raised by a ``PadIfNeeded`` after it to its ``min_height`` x
    ``min_width``; or a ``PadIfNeeded`` after a ``LongestMaxSize`` no longer than it (the
    letterbox pattern). Items with ``p: 0`` never run and do not count; a choice among
    transforms (``OneOf``) gives no one size. ``None`` where no size is known."""
    found: tuple[int, int] | None = None
    longest: int | None = None  # the bound of a LongestMaxSize, until a size is known
    for item in augmentations or ():
        if not isinstance(item, Mapping) or item.get("p", 1) == 0:
            continue
        name = item.get("name")
        if name in SIZED_TRANSFORMS:
            found, longest = _sides(item.get("size"), item.get("height"), item.get("width")), None
        elif name == "LongestMaxSize" and isinstance(item.get("max_size"), int):
            found, longest = None, int(item["max_size"])
        elif name == "PadIfNeeded":
            pad = _sides(None, item.get("min_height"), item.get("min_width"))
            if pad is not None and found is not None:
                found = (max(found[0], pad[0]), max(found[1], pad[1]))
            elif pad is not None and longest is not None and longest <= min(pad):
                found, longest = pad, None
    return found


def _sides(size: Any, height: Any, width: Any) -> tuple[int, int] | None:
    """``(H, W)`` of a transform's ``size: [H, W]`` or its ``height`` and ``width``, when they
    are positive whole numbers; else ``None``."""
    sides = size if isinstance(size, (list, tuple)) else (height, width)
    if len(sides) == 2 and all(isinstance(v, int) and v > 0 for v in sides):
        return int(sides[0]), int(sides[1])
    return None


def default_input_size(model: nn.Module, trained: tuple[int, int] | None = None) -> tuple[int, int]:
    """The size a model works at: a fixed-size detector's input size, a resizing detector's
    ``min_size`` (square); for a segmenter ``trained``, the size it was trained at
    (:func:`trained_size` of its config), else :data:`DEFAULT_SEGMENTATION_SIZE`."""
    transform = getattr(model, "transform", None)
    if transform is None:
        return trained or DEFAULT_SEGMENTATION_SIZE
    if transform.fixed_size is not None:
        return int(transform.fixed_size[0]), int(transform.fixed_size[1])
    return int(transform.min_size[-1]), int(transform.min_size[-1])


def traced_size(
    model: nn.Module, input_size: tuple[int, int] | None, trained: tuple[int, int] | None = None
) -> tuple[int, int]:
    """``(H, W)`` of the traced example: ``input_size``, else :func:`default_input_size`
    (``trained``: a segmenter's training size); refused unless both sides are positive."""
    height, width = input_size or default_input_size(model, trained)
    if height < 1 or width < 1:
        raise ExportError("{input_size}: both sides must be positive", input_size=(height, width))
    return height, width


def example_images(batch_size: int, height: int, width: int) -> Tensor:
    """The traced example ``Float[B, 3, H, W]``: uniform noise, the same at every export.

    Raises:
        ExportError: the example does not fit in memory (``--input-size 100000``), naming the
            size; raised before any file is written.
    """
    try:
        generator = torch.Generator().manual_seed(0)
        return torch.rand(batch_size, 3, height, width, generator=generator)
    except (MemoryError, RuntimeError) as error:
        if not is_out_of_memory(error):  # the CPU allocator's failure is a RuntimeError
            raise
        gib = batch_size * 3 * height * width * 4 / 2**30
        raise ExportError(
            f"{{input_size}} with {{batch_size}}: the example image of {gib:.1f} GiB does not "
            "fit in memory; give a smaller input size or batch size",
            input_size=(height, width),
            batch_size=batch_size,
        ) from error
