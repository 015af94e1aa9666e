"""The example image an export traces: its size (:func:`default_input_size`,
:func:`traced_size`) and its pixels (:func:`example_images`).

The traced size is the input size of a static export; a dynamic one only traces at it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from detseg.export.wrappers import ExportError
from detseg.memory_errors import is_out_of_memory

#: Traced (and, for a static export, fixed) size of a segmenter's input by default.
DEFAULT_SEGMENTATION_SIZE = (512, 512)


def default_input_size(model: nn.Module) -> tuple[int, int]:
    """The size a model works at: a fixed-size detector's input size, a resizing detector's
    ``min_size`` (square), :data:`DEFAULT_SEGMENTATION_SIZE` for a segmenter."""
    transform = getattr(model, "transform", None)
    if transform is None:
        return DEFAULT_SEGMENTATION_SIZE
    if transform.fixed_size is not None:
        return int(transform.fixed_size[0]), int(transform.fixed_size[1])
    return int(transform.min_size[-1]), int(transform.min_size[-1])


def traced_size(model: nn.Module, input_size: tuple[int, int] | None) -> tuple[int, int]:
    """``(H, W)`` of the traced example: ``input_size``, else :func:`default_input_size`;
    refused unless both sides are positive."""
    height, width = input_size or default_input_size(model)
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
