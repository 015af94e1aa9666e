"""Data augmentation: albumentations pipelines built from config lists.

A config names augmentations as a list of dicts, e.g.::

    augmentations:
      - {name: HorizontalFlip, p: 0.5}
      - {name: RandomBrightnessContrast, p: 0.2}
      - {name: OneOf, p: 0.3, transforms: [{name: Blur}, {name: GaussNoise}]}

:func:`build_augmentations` turns it into an ``albumentations.Compose`` whose boxes follow the
image: ``BboxParams(format="pascal_voc", clip=True, min_width=1, min_height=1,
min_visibility=0)``. That is, boxes are ``xyxy`` pixels, boxes pushed partly outside the image
by a geometric transform are clipped to it, and a box is removed only when less than 1 px of
width or height is left (less :data:`BOX_ROUND_OFF` of float round-off, so that a flip keeps a
box of exactly 1 px; a crop that cuts an object to a sliver keeps the sliver). Instance masks,
when the sample has them, go through the same geometric transforms; a transform that
cuts part of an object away (a crop, a translation) moves the box by its corners only, so
:func:`apply_augmentations` then fits each box to what is left of its mask and drops the
instances whose mask is gone (as Detectron2's ``recompute_boxes`` and
``filter_empty_instances`` do). A transform that places its crop on a mask
(``CropNonEmptyMaskIfExists``, see :data:`MASK_GUIDED_TRANSFORMS`) reads the instance masks, or,
for a sample without them (``load_masks`` off, or an image without objects), the boxes painted
into one mask: a random crop for an image without objects, as the library describes the
transform, instead of its error. A transform that reads a single ``mask`` entry for itself
(``MaskDropout``, see :data:`DETECTION_UNUSABLE`) cannot run on a detection sample and is
refused when the pipeline is built.

A transform that fails on one sample at run time (a fixed-size crop larger than the image) is
an :class:`~detseg.data.augmentation_errors.AugmentationError` naming the image file, the
transform's place in the config list and what to change; it stops the run (see
:mod:`detseg.data.augmentation_errors` for why it is not skipped as an unreadable image is).

Augmentations run on the ``Float32[H, W, 3]`` RGB image in ``[0, 1]`` before it becomes a tensor.
Nothing here normalizes or resizes to the network's input size: the model's transform does that.

The transforms of a config list, shared with segmentation pipelines, are built by
:mod:`detseg.data.augmentation_builder`; boxes are fitted to their masks by
:mod:`detseg.data.mask_boxes`.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from detseg.data.albumentations_import import A, BaseCompose
from detseg.data.augmentation_builder import (
    LABEL_FIELDS,
    REFUSED_AUGMENTATIONS,
    SAMPLE_KEYS,
    available_augmentations,
    build_transforms,
    check_refused_transforms,
    seed_augmentations,
    transforms_preorder,
)
from detseg.data.augmentation_errors import run_pipeline, transform_places
from detseg.data.mask_boxes import MASK_BOX_TOLERANCE, box_mask, fit_boxes_to_masks, mask_extents

# the names of augmentation_builder and mask_boxes are imported from here too (this module
# held them first)
__all__ = [
    "DETECTION_UNUSABLE",
    "MASK_BOX_TOLERANCE",
    "MASK_GUIDED_TRANSFORMS",
    "REFUSED_AUGMENTATIONS",
    "SAMPLE_KEYS",
    "apply_augmentations",
    "available_augmentations",
    "box_mask",
    "build_augmentations",
    "build_transforms",
    "check_detection_pipeline",
    "check_detection_transforms",
    "check_refused_transforms",
    "detection_bbox_params",
    "fit_boxes_to_masks",
    "mask_extents",
    "seed_augmentations",
]

#: Float round-off (px) that the library's box arithmetic adds (it works on boxes divided by the
#: image size, in float32): a flip moves a coordinate by up to about 2e-6 px, so a box of exactly
#: 1 px would fall below ``min_width`` without this margin.
BOX_ROUND_OFF = 1e-3

#: Transforms that choose their crop from a ``mask`` or ``masks`` entry and raise without one.
MASK_GUIDED_TRANSFORMS: tuple[type, ...] = (A.CropNonEmptyMaskIfExists,)

#: Transforms a detection pipeline refuses, with why: they read a single ``mask`` entry (a
#: segmentation label map) that :func:`apply_augmentations` does not pass, so they would fail on
#: the first sample. A segmentation pipeline takes them.
DETECTION_UNUSABLE = {
    "MaskDropout": (
        "it drops the objects of a single label map ('mask'), which a detection sample does not "
        "have (its objects are boxes and instance masks), so it would fail on every image; use "
        "CoarseDropout or GridDropout here, or MaskDropout in a segmentation config"
    ),
}


def build_augmentations(
    spec: list[dict[str, Any]] | None, seed: int | None = None
) -> A.Compose | None:
    """Build an albumentations pipeline from a list of ``{"name": ..., **kwargs}`` dicts.

    Args:
        spec: Transforms in order, each ``{"name": <albumentations class>, **constructor kwargs}``.
            Composers (``OneOf``, ``SomeOf``, ``Sequential``) take a nested ``transforms`` list.
            ``None`` or ``[]`` means no augmentation.
        seed: Seed of the pipeline's random streams, one per transform (see
            :func:`seed_augmentations`; ``None``: fresh entropy). The loader re-seeds it per
            item (see :func:`detseg.data.loader.build_loader`).

    Returns:
        An ``albumentations.Compose`` with ``xyxy`` pixel box handling (see the module
        docstring), or ``None`` when ``spec`` is empty.

    Raises:
        ValueError: An unknown transform name (the message lists close names), an argument the
            transform does not take, an invalid argument value (the message names the transform),
            or a transform that cannot run on a detection sample (:data:`DETECTION_UNUSABLE`).
    """
    if not spec:
        return None
    transforms = build_transforms(spec)
    bbox_params = detection_bbox_params()
    with warnings.catch_warnings():
        # A pipeline of photometric transforms only has no box to move; that is fine here.
        warnings.filterwarnings("ignore", message="Got processor for bboxes", category=UserWarning)
        pipeline = A.Compose(transforms, bbox_params=bbox_params, seed=seed)
    check_detection_transforms(pipeline)
    if seed is not None:
        seed_augmentations(pipeline, seed)
    return pipeline


def check_detection_transforms(pipeline: BaseCompose) -> None:
    """Refuse a transform of :data:`DETECTION_UNUSABLE` (nested ones included), or any other
    that needs a ``mask`` entry for itself (``targets_as_params``).

    Raises:
        ValueError: Naming the first such transform by its place (``augmentations[1]``,
            ``augmentations[0].OneOf[1]``) and why it is refused.
    """
    for place, transform in transform_places(pipeline):
        name = type(transform).__name__
        needs_mask = "mask" in (getattr(transform, "targets_as_params", None) or ())
        if name in DETECTION_UNUSABLE or (
            needs_mask and not isinstance(transform, MASK_GUIDED_TRANSFORMS)
        ):
            reason = DETECTION_UNUSABLE.get(
                name, "it reads a single label map ('mask'), which a detection sample does not have"
            )
            raise ValueError(
                f"{place}: augmentation {name!r} cannot run in a detection pipeline: {reason}"
            )


def detection_bbox_params() -> Any:
    """The ``albumentations.BboxParams`` of a detection pipeline (see the module docstring):
    ``xyxy`` pixel boxes (``pascal_voc``), clipped to the image, dropped below 1 px, with the
    label fields ``labels`` and ``instance_index`` that :func:`apply_augmentations` passes.

    A pipeline of your own for a detection dataset::

        A.Compose([MyTransform(p=0.5), A.HorizontalFlip(p=0.5)],
                  bbox_params=detection_bbox_params())
    """
    return A.BboxParams(
        format="pascal_voc",
        label_fields=list(LABEL_FIELDS),
        clip=True,
        min_width=1.0 - BOX_ROUND_OFF,
        min_height=1.0 - BOX_ROUND_OFF,
        min_visibility=0.0,
    )


def check_detection_pipeline(pipeline: Any) -> None:
    """Refuse a pipeline that would move a detection image without its boxes.

    An ``albumentations.Compose`` without ``bbox_params`` flips or crops the image and leaves
    the boxes where they were, silently; one with another box format or other label fields
    reads the boxes wrong. Photometric-only pipelines need the same settings, because
    :func:`apply_augmentations` passes boxes and label fields to every pipeline.

    Raises:
        ValueError: ``pipeline`` is not an ``albumentations.Compose`` with
            :func:`detection_bbox_params`' box format and label fields, or it holds a transform
            that cannot run on a detection sample (:func:`check_detection_transforms`).
    """
    advice = (
        "build it with bbox_params=detseg.data.transforms.detection_bbox_params() (xyxy pixel "
        "boxes, label fields 'labels' and 'instance_index'), or from a config list with "
        "build_augmentations"
    )
    if not isinstance(pipeline, A.Compose):
        raise ValueError(
            f"detection augmentations must be an albumentations.Compose, got "
            f"{type(pipeline).__name__}; {advice}"
        )
    processor = pipeline.processors.get("bboxes")
    if processor is None:
        raise ValueError(
            f"the augmentation pipeline has no bbox_params: it would move the image and not its "
            f"boxes; {advice}"
        )
    check_refused_transforms(pipeline)
    check_detection_transforms(pipeline)
    params = processor.params
    fields = tuple(params.label_fields or ())
    if params.format != "pascal_voc" or not set(LABEL_FIELDS) <= set(fields):
        raise ValueError(
            f"the augmentation pipeline reads boxes as {params.format!r} with label fields "
            f"{list(fields)}; detseg passes 'pascal_voc' boxes (xyxy pixels) with "
            f"{list(LABEL_FIELDS)}; {advice}"
        )


def apply_augmentations(
    pipeline: A.Compose,
    image: np.ndarray,
    boxes: np.ndarray,
    labels: np.ndarray,
    masks: np.ndarray | None = None,
    source: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Run a pipeline on one sample and report which instances survived.

    Args:
        pipeline: A pipeline from :func:`build_augmentations`.
        image: ``Float32[H, W, 3]`` RGB in ``[0, 1]``.
        boxes: ``[N, 4]`` valid boxes, ``xyxy`` pixels inside the image.
        labels: ``Int64[N]``.
        masks: Optional ``UInt8[N, H, W]`` instance masks.
        source: The image file, named in the error of a transform that cannot run on it.

    Returns:
        ``(image Float32[H', W', 3], boxes Float32[M, 4] xyxy px, kept Int64[M], masks)`` where
        ``kept`` indexes the surviving input instances and ``masks`` is ``UInt8[M, H', W']``
        (``None`` when no masks were given). With masks, an instance whose mask the
        transforms emptied is not kept, and a box side that lies more than
        :data:`MASK_BOX_TOLERANCE` px outside its mask is moved onto the mask (see
        :func:`fit_boxes_to_masks`).

    Raises:
        AugmentationError: A transform failed on this sample (a crop larger than the image);
            the message names ``source``, the transform's place and what to change (see
            :mod:`detseg.data.augmentation_errors`).
    """
    data: dict[str, Any] = {
        "image": image,
        "bboxes": np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        "labels": np.asarray(labels, dtype=np.int64),
        "instance_index": np.arange(len(labels), dtype=np.int64),
    }
    if masks is not None and len(masks) > 0:
        data["masks"] = np.asarray(masks, dtype=np.uint8)
    elif any(isinstance(t, MASK_GUIDED_TRANSFORMS) for t in transforms_preorder(pipeline)):
        data["mask"] = box_mask(data["bboxes"], image.shape[:2])
    out = run_pipeline(pipeline, data, source)
    new_image = np.ascontiguousarray(out["image"], dtype=np.float32)
    height, width = new_image.shape[:2]
    new_boxes = np.asarray(out["bboxes"], dtype=np.float32).reshape(-1, 4)
    new_boxes[:, 0::2] = new_boxes[:, 0::2].clip(0, width)  # float round-off of the transforms
    new_boxes[:, 1::2] = new_boxes[:, 1::2].clip(0, height)
    kept = np.asarray(out["instance_index"], dtype=np.int64).reshape(-1)
    new_masks = None
    if masks is not None:
        if "masks" in data:
            new_masks = np.asarray(out["masks"], dtype=np.uint8)[kept]
            new_boxes, fits = fit_boxes_to_masks(new_boxes, new_masks)
            new_boxes, kept, new_masks = new_boxes[fits], kept[fits], new_masks[fits]
        else:
            new_masks = np.zeros((0, height, width), dtype=np.uint8)
    return new_image, new_boxes, kept, new_masks
