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
"""

from __future__ import annotations

import functools
import inspect
import os
import warnings
from typing import Any

import numpy as np

from detseg.config.suggest import did_you_mean
from detseg.data.albumentations_import import A, BaseCompose
from detseg.data.augmentation_errors import run_pipeline, transform_places

__all__ = [
    "DETECTION_UNUSABLE",
    "MASK_GUIDED_TRANSFORMS",
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

_LABEL_FIELDS = ("labels", "instance_index")

#: Float round-off (px) that the library's box arithmetic adds (it works on boxes divided by the
#: image size, in float32): a flip moves a coordinate by up to about 2e-6 px, so a box of exactly
#: 1 px would fall below ``min_width`` without this margin.
BOX_ROUND_OFF = 1e-3

#: Transforms that choose their crop from a ``mask`` or ``masks`` entry and raise without one.
MASK_GUIDED_TRANSFORMS: tuple[type, ...] = (A.CropNonEmptyMaskIfExists,)

#: Transforms a detseg pipeline refuses: the model normalises the ``[0, 1]`` image itself, and
#: the loader makes the tensor; these would normalise twice, rescale or transpose the image.
REFUSED_AUGMENTATIONS = {
    "Normalize": "the model normalises its input itself; Normalize here would normalise twice",
    "ToTensorV2": "the dataset makes the tensor itself; ToTensorV2 would transpose the image",
    "FromFloat": "images are float32 in [0, 1]; FromFloat would scale them to [0, 255]",
}


#: What :func:`apply_augmentations` and
#: :func:`~detseg.data.seg_transforms.apply_segmentation_augmentations` may pass a pipeline with
#: each sample; a transform that needs another entry (other images to mix in) cannot run here.
SAMPLE_KEYS = frozenset({"image", "bboxes", "mask", "masks", *_LABEL_FIELDS})

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


@functools.cache
def available_augmentations() -> tuple[str, ...]:
    """Names accepted by :func:`build_augmentations` (albumentations transforms and composers).

    Left out: the library's base classes and its 3-D volume transforms, which transform no
    image (their ``apply`` is the base class's).
    """
    names = []
    for name in dir(A):
        obj = getattr(A, name)
        if inspect.isclass(obj) and issubclass(obj, (A.BasicTransform, A.BaseCompose)):
            if not name.startswith("_") and not inspect.isabstract(obj) and _transforms_images(obj):
                names.append(name)
    return tuple(sorted(names))


def _transforms_images(cls: type) -> bool:
    """Whether albumentations class ``cls`` is a composer or a transform with its own
    ``apply`` (an image transform), not a base class or a 3-D volume transform."""
    return not issubclass(cls, A.BasicTransform) or getattr(cls, "apply", None) is not (
        A.BasicTransform.apply
    )


def _check_kwargs(
    where: str, name: str, cls: type[A.BasicTransform | A.BaseCompose], kwargs: dict[str, Any]
) -> None:
    """Reject keyword arguments that ``cls`` does not take (albumentations only warns)."""
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    valid = [p for p in params if p != "self"]
    for key in kwargs:
        if key not in params:
            hint = did_you_mean(key, valid, cutoff=0.3)  # arguments as short as "p"
            raise ValueError(
                f"{where} ({name}): unknown argument {key!r}{hint} (valid: {', '.join(valid)})"
            )


def _build_one(item: dict[str, Any], where: str) -> A.BasicTransform | A.BaseCompose:
    """Build one transform (recursing into ``transforms`` of a composer such as ``OneOf``)."""
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise ValueError(
            f"{where}: each augmentation must be a dict with a 'name' (an albumentations class "
            f"such as HorizontalFlip), got {item!r}"
        )
    kwargs = dict(item)
    name = kwargs.pop("name")
    names = available_augmentations()
    if name not in names:
        if inspect.isclass(getattr(A, name, None)) and not _transforms_images(getattr(A, name)):
            raise ValueError(
                f"{where}: augmentation {name!r} transforms no 2-D image (a base class or a 3-D "
                "volume transform); use an image transform"
            )
        hint = did_you_mean(name, names) or "; see albumentations' transform list"
        raise ValueError(f"{where}: unknown augmentation {name!r}{hint}")
    if name in REFUSED_AUGMENTATIONS:
        raise ValueError(
            f"{where}: augmentation {name!r} is not allowed: {REFUSED_AUGMENTATIONS[name]}"
        )
    cls = getattr(A, name)
    if "transforms" in kwargs:
        inner = kwargs.pop("transforms")
        if not isinstance(inner, list):
            raise ValueError(f"{where} ({name}): 'transforms' must be a list of augmentation dicts")
        kwargs["transforms"] = [
            _build_one(sub, f"{where}.{name}[{i}]") for i, sub in enumerate(inner)
        ]
    _check_kwargs(where, name, cls, kwargs)
    try:
        transform = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} ({name}): {_one_line(exc)}") from exc
    needed = sorted(set(getattr(transform, "targets_as_params", None) or ()) - SAMPLE_KEYS)
    if needed:
        raise ValueError(
            f"{where}: augmentation {name!r} needs {', '.join(map(repr, needed))} with every "
            "sample (other images to mix in), which detseg's datasets do not pass; leave it out"
        )
    return transform


def _one_line(exc: Exception) -> str:
    """The argument errors of a transform's constructor on one line, each naming its key
    (the library's validation message spans lines and ends in a link)."""
    source: BaseException | None = exc
    while source is not None and not callable(getattr(source, "errors", None)):
        source = source.__cause__ or source.__context__  # the library re-raises the schema's
    errors = getattr(source, "errors", None)
    if not callable(errors):
        return "bad arguments: " + " ".join(str(exc).split())
    parts = []
    for error in errors():
        loc = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
        key = loc[0] if loc else "arguments"
        if error.get("type") == "missing":
            parts.append(f"missing argument {key!r}")
            continue
        text = f"bad value for {key!r}: {error.get('msg', '')}"
        if "input" in error and error.get("type") != "value_error":
            text += f" (got {error['input']!r})"
        if text not in parts:
            parts.append(text)
    return "; ".join(parts) or " ".join(str(exc).split())


def build_transforms(spec: list[dict[str, Any]]) -> list[A.BasicTransform | A.BaseCompose]:
    """The transforms of a config list, for a pipeline of either task.

    The checks of :func:`build_augmentations` less the detection-only ones
    (:data:`DETECTION_UNUSABLE`);
    :func:`~detseg.data.seg_transforms.build_segmentation_augmentations` puts them in a
    pipeline without box handling.

    Raises:
        ValueError: As :func:`build_augmentations`, naming the item.
    """
    if not isinstance(spec, list):
        raise ValueError(f"augmentations must be a list of dicts, got {type(spec).__name__}")
    return [_build_one(item, f"augmentations[{i}]") for i, item in enumerate(spec)]


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
        label_fields=list(_LABEL_FIELDS),
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
    if params.format != "pascal_voc" or not set(_LABEL_FIELDS) <= set(fields):
        raise ValueError(
            f"the augmentation pipeline reads boxes as {params.format!r} with label fields "
            f"{list(fields)}; detseg passes 'pascal_voc' boxes (xyxy pixels) with "
            f"{list(_LABEL_FIELDS)}; {advice}"
        )


def check_refused_transforms(pipeline: BaseCompose) -> None:
    """Refuse a pipeline holding one of :data:`REFUSED_AUGMENTATIONS` (nested ones included).

    Raises:
        ValueError: Naming the first such transform and why it is refused.
    """
    for transform in _transforms_preorder(pipeline):
        name = type(transform).__name__
        if name in REFUSED_AUGMENTATIONS:
            raise ValueError(f"the augmentation pipeline has {name}: {REFUSED_AUGMENTATIONS[name]}")


def seed_augmentations(pipeline: BaseCompose, seed: int) -> None:
    """Seed ``pipeline`` and give each of its transforms its own stream derived from ``seed``.

    ``Compose(seed=s)`` and ``Compose.set_random_seed(s)`` hand the *same* seed to every
    transform, so the first draws of e.g. ``HorizontalFlip(p=0.5)`` and
    ``RandomBrightnessContrast(p=0.5)`` would be equal (brightness changed <=> flipped). Each
    transform (nested ones included, in pre-order) gets a seed derived from
    ``(seed, position)`` instead. Deterministic: the same seed gives the same streams.
    """
    pipeline.set_random_seed(int(seed))
    for position, transform in enumerate(_transforms_preorder(pipeline)):
        derived = np.random.SeedSequence([int(seed), position]).generate_state(1)[0]
        transform.set_random_seed(int(derived))


def _transforms_preorder(compose: BaseCompose) -> list[Any]:
    """Every transform inside an albumentations compose, depth first (children after parent)."""
    found = []
    for transform in compose.transforms:
        found.append(transform)
        if isinstance(transform, BaseCompose):
            found.extend(_transforms_preorder(transform))
    return found


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
    elif any(isinstance(t, MASK_GUIDED_TRANSFORMS) for t in _transforms_preorder(pipeline)):
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


def box_mask(boxes: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """``UInt8[H, W]`` mask with the pixels of every box set to 1.

    Args:
        boxes: ``[N, 4]`` boxes, ``xyxy`` px (``N = 0`` gives an empty mask).
        image_size: ``(H, W)`` of the image.

    Returns:
        The union of the boxes' pixels ``floor(x1) <= column < ceil(x2)`` (rows alike),
        clipped to the image.
    """
    height, width = image_size
    mask = np.zeros((height, width), dtype=np.uint8)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    low = np.floor(boxes[:, :2]).astype(np.int64).clip(0, [width, height])
    high = np.ceil(boxes[:, 2:]).astype(np.int64).clip(0, [width, height])
    for (x1, y1), (x2, y2) in zip(low, high, strict=True):
        mask[y1:y2, x1:x2] = 1
    return mask


#: Largest distance (px) by which a box side may lie outside its mask's extent after the
#: augmentations before :func:`fit_boxes_to_masks` moves it onto the mask (polygon
#: rasterisation and resampling differ from the box by up to about a pixel).
MASK_BOX_TOLERANCE = 1.0


def mask_extents(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel extent of each instance mask.

    Args:
        masks: ``UInt8[N, H, W]`` (0/1) instance masks.

    Returns:
        ``(extents Float32[N, 4], nonempty Bool[N])``: ``xyxy`` px pixel-edge extent
        ``(first column, first row, last column + 1, last row + 1)`` of each mask (zeros for an
        empty one), and whether the mask has any pixel.
    """
    extents = np.zeros((len(masks), 4), dtype=np.float32)
    cols: np.ndarray = np.any(masks, axis=1)  # [N, W]
    rows: np.ndarray = np.any(masks, axis=2)  # [N, H]
    nonempty: np.ndarray = np.any(cols, axis=1)
    for i in np.flatnonzero(nonempty):
        xs, ys = np.flatnonzero(cols[i]), np.flatnonzero(rows[i])
        extents[i] = (xs[0], ys[0], xs[-1] + 1, ys[-1] + 1)
    return extents, nonempty


def fit_boxes_to_masks(
    boxes: np.ndarray, masks: np.ndarray, tolerance: float = MASK_BOX_TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Fit augmented boxes to their augmented masks.

    A crop or translation that cuts part of an object away moves the box by its corners and
    clips it to the image, so the box can keep a region the object's mask no longer reaches
    (the far end of a diagonal object), or no mask pixel at all. Each box side that lies more
    than ``tolerance`` px outside the mask's pixel extent is moved onto that extent; sides
    within the tolerance are kept (a box from the annotation, not from the mask, differs from
    the rasterised mask by up to about a pixel). Boxes never grow.

    Args:
        boxes: ``Float32[N, 4]`` boxes, ``xyxy`` px.
        masks: ``UInt8[N, H, W]`` (0/1) instance masks aligned with ``boxes``.
        tolerance: See above, in pixels.

    Returns:
        ``(boxes Float32[N, 4] xyxy px, keep Bool[N])``: the fitted boxes and, per instance,
        whether its mask still has a pixel and its fitted box is non-empty (``x1 < x2`` and
        ``y1 < y2``).
    """
    boxes = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    extents, nonempty = mask_extents(masks)
    fitted = boxes.copy()
    lower = boxes[:, :2] < extents[:, :2] - tolerance  # x1, y1 too far left / up
    upper = boxes[:, 2:] > extents[:, 2:] + tolerance  # x2, y2 too far right / down
    fitted[:, :2] = np.where(lower, extents[:, :2], boxes[:, :2])
    fitted[:, 2:] = np.where(upper, extents[:, 2:], boxes[:, 2:])
    keep = nonempty & (fitted[:, 2] > fitted[:, 0]) & (fitted[:, 3] > fitted[:, 1])
    return fitted, keep
