"""A transform that cannot run on one sample: one line naming the image, the transform and the fix.

A pipeline that builds may still fail on a particular image: a fixed-size ``RandomCrop`` or
``CenterCrop`` larger than the image, a ``Crop`` whose box lies outside it. albumentations
then raises its own error, inside a loader worker, naming neither the image file nor the
config item. :func:`run_pipeline` runs a pipeline on one sample and turns an error raised
inside one of its transforms into an :class:`AugmentationError` of one line::

    datasets/x/train/images/7.jpg: augmentations[1] (RandomCrop) cannot run on this 256 x 192
    (W x H) image: Crop size ... exceeds image dimensions ...; add PadIfNeeded(min_height=512,
    min_width=512) before it (or set pad_if_needed: true on it), or use RandomSizedCrop /
    RandomResizedCrop or a smaller crop

(on one line). The transform is named by its place in the config list, as the config
errors of :func:`detseg.data.transforms.build_augmentations` name it (``augmentations[0].OneOf[1]``
for a transform nested in a composer; a pipeline of one's own is named the same way).

Such an error stops the run; it is not a bad sample to skip and count, as an unreadable image
is (the dataset returns ``None`` for that, and the loader counts it). A crop larger than the
image is a mismatch between the config and the data that hits every image that small: skipping
them would train, without a word, on the large images only (or on none). The first such image
stops the run with the line above; :class:`AugmentationError` is a ``ValueError``, so the
command-line tools print it as one line without a traceback, from a loader worker too
(:mod:`detseg.command_line`). An error raised outside every transform (in the library's own
checks of the inputs) is not a sample's problem and propagates unchanged.
"""

from __future__ import annotations

import os
from typing import Any

from detseg.data.albumentations_import import A, BaseCompose

__all__ = ["FIXED_SIZE_CROPS", "AugmentationError", "run_pipeline", "transform_places"]

#: Crops of a fixed ``height`` x ``width`` region of the image, which fail on a smaller image
#: (``RandomSizedCrop``, ``RandomResizedCrop`` and ``RandomSizedBBoxSafeCrop`` resize their crop
#: to their size instead, and run on any image).
FIXED_SIZE_CROPS: tuple[type[Any], ...] = (
    A.RandomCrop,
    A.CenterCrop,
    A.CropNonEmptyMaskIfExists,
    A.AtLeastOneBBoxRandomCrop,
)


class AugmentationError(ValueError):
    """A transform of an augmentation pipeline cannot run on one sample.

    Constructed from the message alone as well (a loader worker's error is re-raised in the
    main process as ``type(message)``).

    Attributes:
        path: The image, where the dataset named it (else ``None``).
        where: The transform's place in the pipeline, e.g. ``augmentations[1] (RandomCrop)``.
    """

    def __init__(
        self, message: str, path: str | os.PathLike | None = None, where: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.where = where


def transform_places(pipeline: BaseCompose, where: str = "augmentations") -> list[tuple[str, Any]]:
    """Every transform of ``pipeline`` with its place, depth first (children after parent).

    Returns:
        ``(place, transform)`` pairs, places as the config errors name them:
        ``augmentations[i]`` for the ``i``-th transform, ``augmentations[i].OneOf[j]`` for the
        ``j``-th transform inside a composer ``OneOf`` at ``augmentations[i]``.
    """
    found = []
    for index, transform in enumerate(pipeline.transforms):
        place = f"{where}[{index}]"
        found.append((place, transform))
        if isinstance(transform, BaseCompose):
            found.extend(transform_places(transform, f"{place}.{type(transform).__name__}"))
    return found


def run_pipeline(
    pipeline: BaseCompose, data: dict[str, Any], source: str | os.PathLike | None = None
) -> dict[str, Any]:
    """``pipeline(**data)``, with an error raised inside one of its transforms as an
    :class:`AugmentationError` (see the module docstring).

    Args:
        pipeline: An albumentations compose.
        data: Its inputs, ``image`` (``[H, W, C]``) first among them.
        source: The image file, named first in the error (``None``: not named).

    Returns:
        What the pipeline returns.

    Raises:
        AugmentationError: A transform raised; the message names ``source``, the transform's
            place and type, the image size, the library's reason and what to change.
    """
    try:
        return pipeline(**data)
    except MemoryError:
        raise
    except Exception as exc:
        transform = _failing_transform(exc)
        if transform is None:
            raise
        where = _place_of(pipeline, transform)
        height, width = data["image"].shape[:2]
        reason = " ".join(str(exc).split()) or type(exc).__name__
        advice = _advice(transform, (height, width))
        head = f"{source}: " if source is not None else ""
        message = (
            f"{head}{where} cannot run on this {width} x {height} (W x H) image: {reason}; {advice}"
        )
        raise AugmentationError(message, source, where) from exc


def _failing_transform(exc: BaseException) -> Any | None:
    """The innermost albumentations transform (not a composer) whose code the traceback of
    ``exc`` passes through, or ``None``."""
    found = None
    trace = exc.__traceback__
    while trace is not None:
        candidate = trace.tb_frame.f_locals.get("self")
        if isinstance(candidate, A.BasicTransform):
            found = candidate
        trace = trace.tb_next
    return found


def _place_of(pipeline: BaseCompose, transform: Any) -> str:
    """``augmentations[i] (Name)`` of ``transform`` in ``pipeline`` (see
    :func:`transform_places`), or ``Name`` when it is not found there."""
    name = type(transform).__name__
    for place, candidate in transform_places(pipeline):
        if candidate is transform:
            return f"{place} ({name})"
    return name


def _advice(transform: Any, size: tuple[int, int]) -> str:
    """What to change so that ``transform`` runs on an image of ``size = (H, W)``."""
    height, width = size
    crop = _crop_size(transform)
    if crop is not None and (crop[0] > height or crop[1] > width):
        fix = f"add PadIfNeeded(min_height={crop[0]}, min_width={crop[1]}) before it"
        if hasattr(transform, "pad_if_needed"):
            fix += " (or set pad_if_needed: true on it)"
        if isinstance(transform, A.Crop):
            return f"{fix}, or give it a box inside every image"
        return f"{fix}, or use RandomSizedCrop / RandomResizedCrop or a smaller crop"
    return "change or remove it in the augmentations"


def _crop_size(transform: Any) -> tuple[int, int] | None:
    """``(height, width)`` of the region a fixed-size crop needs (``Crop``: up to its box's
    far corner), or ``None`` for other transforms."""
    if isinstance(transform, A.Crop):
        return int(transform.y_max), int(transform.x_max)
    if isinstance(transform, FIXED_SIZE_CROPS):
        return int(transform.height), int(transform.width)
    return None
