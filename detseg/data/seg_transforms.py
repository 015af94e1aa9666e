"""Augmentations for semantic segmentation: the label map follows the image.

The config lists augmentations exactly as for detection (see :mod:`detseg.data.transforms`)::

    augmentations:
      - {name: RandomScale, scale_limit: 0.25}
      - {name: PadIfNeeded, min_height: 256, min_width: 256}
      - {name: RandomCrop, height: 256, width: 256}
      - {name: HorizontalFlip, p: 0.5}

:func:`build_segmentation_augmentations` builds an ``albumentations.Compose`` without box
handling. Geometric transforms move the ``[H, W]`` label map with the image (albumentations
resamples masks with nearest-neighbour interpolation, so no new label values appear), and every
transform that fills new pixels (``PadIfNeeded``, ``Rotate``, ``Affine``, ``RandomCrop`` with
``pad_if_needed``, ...) fills the label map with ``255`` (ignore) unless the config sets
``fill_mask`` itself: padding is not background. Dropout transforms (``CoarseDropout``,
``GridDropout``, ...) fill the image only and keep the labels under their holes, as in
albumentations. ``CropNonEmptyMaskIfExists`` places its crop on labelled pixels: ``255`` is
among its ``ignore_values`` (with background ``0``) unless the config sets them.

:func:`apply_segmentation_augmentations` also accepts a detection pipeline from
:func:`detseg.data.transforms.build_augmentations` (it then passes an empty box list), but such
a pipeline pads masks with 0 (background) unless ``fill_mask: 255`` is written in the config.
"""

from __future__ import annotations

import copy
import inspect
import os
from typing import Any

import cv2
import numpy as np

from detseg.data.albumentations_import import A
from detseg.data.augmentation_builder import (
    build_transforms,
    check_refused_transforms,
    seed_augmentations,
)
from detseg.data.augmentation_errors import AugmentationError, run_pipeline

__all__ = [
    "IGNORE_INDEX",
    "apply_segmentation_augmentations",
    "build_segmentation_augmentations",
    "check_segmentation_pipeline",
]

#: Label-map value of pixels that carry no label (VOC borders, padding, COCO crowd regions).
IGNORE_INDEX = 255

#: Transforms that read the boxes of a sample, which a label map does not have.
BOX_TRANSFORMS = ("BBoxSafeRandomCrop", "RandomSizedBBoxSafeCrop")


def _fills_mask(name: Any) -> bool:
    """True when transform ``name`` writes its ``fill_mask`` into the label map by default.

    Dropout transforms (``CoarseDropout``, ``GridDropout``, ``XYMasking``, ``Erasing``, ...)
    default to ``fill_mask=None``: the labels under their holes stay as they are (the model
    learns to label what is hidden), so they keep that default.
    """
    cls = getattr(A, str(name), None)
    if not inspect.isclass(cls):
        return False  # unknown names are reported by build_augmentations
    parameter = inspect.signature(cls.__init__).parameters.get("fill_mask")
    return parameter is not None and parameter.default is not None


def _with_ignore_fill(item: Any) -> Any:
    """Copy of a spec item with ``fill_mask = 255`` where the transform fills the label map
    (see :func:`_fills_mask`) and the item does not set it; a box-guided crop or a mask
    interpolation other than nearest is a ``ValueError``."""
    if not isinstance(item, dict):
        return item  # malformed; build_augmentations names it
    item = copy.copy(item)
    if item.get("name") in BOX_TRANSFORMS:
        raise ValueError(
            f"augmentation {item['name']!r} keeps boxes inside its crop, and a segmentation "
            "sample has no boxes; use RandomCrop or RandomSizedCrop"
        )
    mask_interpolation = item.get("mask_interpolation", cv2.INTER_NEAREST)
    if mask_interpolation != cv2.INTER_NEAREST:
        raise ValueError(
            f"augmentation {item.get('name')!r}: mask_interpolation must be 0 (nearest) for a "
            f"label map, got {mask_interpolation!r}: another interpolation invents labels"
        )
    if "fill_mask" not in item and _fills_mask(item.get("name")):
        item["fill_mask"] = IGNORE_INDEX
    if item.get("name") == "CropNonEmptyMaskIfExists" and "ignore_values" not in item:
        item["ignore_values"] = [IGNORE_INDEX]  # a crop on unlabelled pixels is no object crop
    if isinstance(item.get("transforms"), list):
        item["transforms"] = [_with_ignore_fill(sub) for sub in item["transforms"]]
    return item


def build_segmentation_augmentations(
    spec: list[dict[str, Any]] | None, seed: int | None = None
) -> A.Compose | None:
    """Build an albumentations pipeline for ``(image, label map)`` pairs.

    Args:
        spec: Transforms in order, each ``{"name": <albumentations class>, **kwargs}``
            (the same format as :func:`detseg.data.transforms.build_augmentations`).
        seed: Seed of the pipeline's random streams, one per transform (see
            :func:`detseg.data.augmentation_builder.seed_augmentations`; ``None``: fresh entropy).

    Returns:
        An ``albumentations.Compose`` without box processing, or ``None`` when ``spec`` is
        empty. Transforms that fill new pixels fill the label map with ``255`` unless
        ``fill_mask`` is given.

    Raises:
        ValueError: An unknown transform name, argument or argument value (as for detection),
            a box-guided crop (:data:`BOX_TRANSFORMS`) or a mask interpolation other than
            nearest.
    """
    if not spec:
        return None
    if not isinstance(spec, list):
        raise ValueError(f"augmentations must be a list of dicts, got {type(spec).__name__}")
    pipeline = A.Compose(build_transforms([_with_ignore_fill(item) for item in spec]), seed=seed)
    if seed is not None:
        seed_augmentations(pipeline, seed)
    return pipeline


def check_segmentation_pipeline(pipeline: Any) -> None:
    """Refuse a pipeline that a segmentation dataset cannot run as the model expects.

    The model normalises its ``[0, 1]`` input itself and the dataset makes the tensor, so a
    pipeline of one's own with ``Normalize`` (the usual albumentations recipe) would train on
    images normalised twice, and one with ``ToTensorV2`` would hand back a transposed image.

    Raises:
        ValueError: ``pipeline`` is not an ``albumentations.Compose``, or holds one of
            :data:`detseg.data.augmentation_builder.REFUSED_AUGMENTATIONS`.
    """
    if not isinstance(pipeline, A.Compose):
        raise ValueError(
            f"segmentation augmentations must be an albumentations.Compose, got "
            f"{type(pipeline).__name__}; build one with build_segmentation_augmentations"
        )
    check_refused_transforms(pipeline)


def apply_segmentation_augmentations(
    pipeline: A.Compose,
    image: np.ndarray,
    mask: np.ndarray,
    source: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run a pipeline on one image and its label map.

    Args:
        pipeline: From :func:`build_segmentation_augmentations` (or a detection pipeline).
        image: ``Float32[H, W, 3]`` RGB in ``[0, 1]``.
        mask: ``UInt8[H, W]`` label map (``0`` background, ``1..K``, ``255`` ignore).
        source: The image file, named in the error of a transform that cannot run on it.

    Returns:
        ``(image Float32[H', W', 3], mask UInt8[H', W'])``.

    Raises:
        AugmentationError: A transform failed on this sample (a crop larger than the image),
            naming ``source``, the transform's place and what to change (see
            :mod:`detseg.data.augmentation_errors`); or the pipeline returned an image and a
            mask of different sizes (a transform that does not move masks, e.g. one applied to
            the image only).
    """
    data: dict[str, Any] = {"image": image, "mask": np.ascontiguousarray(mask, dtype=np.uint8)}
    if "bboxes" in pipeline.processors:  # a detection pipeline needs its box fields
        data["bboxes"] = np.zeros((0, 4), dtype=np.float32)
        for field in pipeline.processors["bboxes"].params.label_fields or []:
            data[field] = np.zeros(0, dtype=np.int64)
    out = run_pipeline(pipeline, data, source)
    new_image = np.ascontiguousarray(out["image"], dtype=np.float32)
    new_mask = np.ascontiguousarray(out["mask"], dtype=np.uint8)
    if new_image.shape[:2] != new_mask.shape[:2]:
        head = f"{source}: " if source is not None else ""
        raise AugmentationError(
            f"{head}augmentations gave an image of size {new_image.shape[:2]} but a label map of "
            f"size {new_mask.shape[:2]}; use transforms that apply to masks as well"
        )
    return new_image, new_mask
