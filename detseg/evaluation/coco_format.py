"""Conversions between detseg's tensors and the COCO json formats.

This module is the one place where model outputs become COCO results
(``xyxy`` -> ``xywh``, labels ``1..K`` -> category ids, masks -> RLE) and where
a detection dataset becomes a COCO ground-truth dict. torch is imported by the functions that
read tensors: :func:`segmentation_mask` (the report of a predictions file) runs without it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from pycocotools import mask as mask_utils

from detseg.argument_checks import check_unit_number, whole_ids

logger = logging.getLogger(__name__)

#: Default probability above which a predicted mask pixel is foreground (torchvision's COCO
#: reference and ``MaskRCNN.mask_threshold``'s default); callers pass the model's own.
MASK_THRESHOLD = 0.5


def predictions_to_coco_results(
    image_ids: Sequence[int],
    predictions: Sequence[dict[str, Any]],
    cat_ids: Sequence[int] | None = None,
    mask_threshold: float = MASK_THRESHOLD,
) -> list[dict]:
    """Turns per-image model predictions into a list in the COCO results format.

    Args:
        image_ids: the COCO image id of each prediction (same length).
        predictions: per image ``dict(boxes, scores, labels)`` and optionally
            ``masks`` or ``segmentation``: ``boxes`` Float[N, 4] xyxy absolute pixels,
            ``scores`` Float[N], ``labels`` Int64[N] in ``1..K``, ``masks`` UInt8/Bool
            [N, H, W] (0/1) or Float[N, 1, H, W] / [N, H, W] probabilities (binarised with
            ``> mask_threshold``), or ``segmentation``: N COCO RLEs already encoded (see
            :func:`masks_to_rles`). Tensors or numpy arrays.
        cat_ids: category id of each label (label ``k`` -> ``cat_ids[k - 1]``);
            ``None`` keeps the labels as category ids.
        mask_threshold: probability above which a mask pixel is foreground (pass the
            model's ``mask_threshold``).

    Returns:
        One dict per detection: ``image_id``, ``category_id`` (int), ``score``
        and ``bbox`` ``[x, y, w, h]`` as Python floats at full precision (no
        rounding: rounding would change the IoUs and so the mAP), plus
        ``segmentation`` (compressed RLE whose ``counts`` is a ``str``, ready for
        ``json.dump``) when the prediction has masks.

    Raises:
        ValueError: on a length mismatch, a label outside ``1..len(cat_ids)``, ``cat_ids``
            that are no list of whole numbers, ``mask_threshold`` no number in ``[0, 1]``,
            a prediction without ``boxes``, ``scores`` or
            ``labels``, fields of different lengths, or masks / RLEs not one per box.
    """
    cat_ids = whole_ids(cat_ids, "cat_ids")
    mask_threshold = check_unit_number(mask_threshold, "mask_threshold")
    if len(image_ids) != len(predictions):
        raise ValueError(
            f"got {len(image_ids)} image ids for {len(predictions)} predictions; "
            "give one image id per prediction"
        )
    results: list[dict] = []
    for image_id, pred in zip(image_ids, predictions, strict=True):
        results.extend(_results_per_image(int(image_id), pred, cat_ids, mask_threshold))
    return results


def _results_per_image(
    image_id: int, pred: dict[str, Any], cat_ids: Sequence[int] | None, mask_threshold: float
) -> list[dict[str, Any]]:
    """The COCO result dicts of one image's prediction (see :func:`predictions_to_coco_results`).

    Raises:
        ValueError: a missing field, fields of different lengths, a bad label, or masks not
            one per box.
    """
    missing = [key for key in ("boxes", "scores", "labels") if key not in pred]
    if missing:
        raise ValueError(
            f"the prediction of image {image_id} has no {missing[0]!r}; each prediction is a "
            "dict of 'boxes' [N, 4] xyxy, 'scores' [N] and 'labels' [N] (what model.predict "
            "gives for one image)"
        )
    boxes = _as_numpy(pred["boxes"], np.float64).reshape(-1, 4)
    scores = _as_numpy(pred["scores"], np.float64).reshape(-1)
    labels = _as_numpy(pred["labels"], np.int64).reshape(-1)
    if not len(boxes) == len(scores) == len(labels):
        raise ValueError(
            f"image {image_id}: boxes ({len(boxes)}), scores ({len(scores)}) and labels "
            f"({len(labels)}) differ in length"
        )
    categories = _labels_to_category_ids(labels, cat_ids, image_id)
    rles = _prediction_rles(pred, len(boxes), mask_threshold, image_id)
    xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
    out = []
    for i in range(len(boxes)):
        result: dict[str, Any] = {
            "image_id": image_id,
            "category_id": int(categories[i]),
            "bbox": [float(v) for v in xywh[i]],
            "score": float(scores[i]),
        }
        if rles is not None:
            result["segmentation"] = rles[i]
        out.append(result)
    return out


def _labels_to_category_ids(
    labels: np.ndarray, cat_ids: Sequence[int] | None, image_id: int
) -> np.ndarray:
    """``Int64[N]`` category ids of labels ``1..K`` (``cat_ids[k - 1]``); the labels as they are
    when ``cat_ids`` is ``None``.

    Raises:
        ValueError: a label outside ``1..len(cat_ids)`` (``image_id`` is named).
    """
    if cat_ids is None:
        return labels
    bad = (labels < 1) | (labels > len(cat_ids))
    if bad.any():
        raise ValueError(
            f"image {image_id}: label {int(labels[bad][0])} is outside 1..{len(cat_ids)} "
            "(the number of cat_ids); labels must be 1..K"
        )
    return np.asarray(cat_ids, dtype=np.int64)[labels - 1]


def _prediction_rles(
    pred: dict[str, Any], num: int, mask_threshold: float, image_id: int
) -> list[dict] | None:
    """The RLE of each detection: ``pred["segmentation"]`` as given, or its ``masks`` encoded
    (``None`` when it has neither)."""
    if pred.get("segmentation") is not None:
        rles = list(pred["segmentation"])
        if len(rles) != num:
            raise ValueError(
                f"image {image_id}: {len(rles)} segmentations for {num} detections; give one "
                "RLE per box"
            )
        return rles
    if pred.get("masks") is None:
        return None
    return masks_to_rles(pred["masks"], num, mask_threshold)


def masks_to_rles(masks: Any, num: int, threshold: float = MASK_THRESHOLD) -> list[dict]:
    """Encode instance masks as COCO compressed RLEs (``counts`` a ``str``, json-ready).

    Args:
        masks: ``[N, H, W]`` or ``[N, 1, H, W]`` (tensor or array): bool or integers
            (foreground where non-zero), or probabilities (floating point), foreground where
            ``> threshold``.
        num: ``N``, the number of detections the masks belong to (checked).
        threshold: the probability threshold of floating-point masks.

    Returns:
        ``N`` dicts ``{"size": [H, W], "counts": str}``.

    Raises:
        ValueError: ``masks`` is not ``[num, H, W]`` or ``[num, 1, H, W]``.
    """
    # foreground: a probability above the threshold, any non-zero value otherwise (a cast to
    # uint8 would wrap 256 to 0); a tensor is binarised before numpy sees it, which has no
    # bfloat16 (the masks of a model run under bf16 autocast)
    import torch

    if isinstance(masks, torch.Tensor):
        masks = masks.detach()
        binary = masks > threshold if masks.is_floating_point() else masks != 0
        array = binary.cpu().numpy()
    else:
        array = np.asarray(masks)
        array = array > threshold if array.dtype.kind == "f" else array != 0
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3 or array.shape[0] != num:
        raise ValueError(
            f"masks must be [N, H, W] or [N, 1, H, W] with N={num} detections, "
            f"got shape {tuple(array.shape)}"
        )
    columns = np.asfortranarray(array.transpose(1, 2, 0).astype(np.uint8))  # [H, W, N]
    # encode of an [H, W, N] array gives N RLEs (the pycocotools stubs know [H, W] only)
    rles: list[dict] = mask_utils.encode(columns) if num else []  # type: ignore[assignment]
    for rle in rles:
        rle["counts"] = rle["counts"].decode("ascii")
    return rles


def segmentation_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """``UInt8[H, W]`` (0/1) mask of a COCO ``segmentation``.

    Polygons ``[[x1, y1, ...], ...]`` (absolute pixels) are rasterised at ``height x width``,
    leaving out the parts of fewer than 3 points, as the dataset reader does (pycocotools would
    read a list whose first part has 4 numbers as ``[x, y, w, h]`` boxes, and fail on the
    others); without a part of 3 points the mask is empty. An RLE, compressed (``counts`` str
    or bytes) or not (``counts`` a list, as crowd regions have it), is decoded at its own
    ``size`` ``[H, W]`` (``height`` and ``width`` unused).
    """
    if isinstance(segmentation, list):
        polygons: list[Any] = [
            p for p in segmentation if isinstance(p, (list, tuple)) and len(p) >= 6
        ]
        if not polygons:
            return np.zeros((height, width), dtype=np.uint8)
        rle: Any = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    elif isinstance(segmentation.get("counts"), list):
        rle = mask_utils.frPyObjects(segmentation, *segmentation["size"])
    else:
        rle = segmentation
    return np.asarray(mask_utils.decode(rle), dtype=np.uint8)


def _as_numpy(values: Any, dtype: type) -> np.ndarray:
    import torch

    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        # numpy has no bfloat16 (the boxes and scores of a bf16 autocast run); float32 holds
        # every bfloat16 value exactly
        values = (values.float() if values.dtype == torch.bfloat16 else values).numpy()
    return np.asarray(values, dtype=dtype)


def dataset_to_coco_gt(dataset: Any) -> dict:
    """Builds a COCO ground-truth dict from a detseg detection dataset.

    Uses only the documented dataset contract: ``dataset.classes``,
    ``dataset.image_ids``, optional ``dataset.cat_ids`` and
    ``dataset[i] -> (image Float[3, H, W], target)`` (or ``None`` for an
    unreadable image). Build the dataset without augmentation: the boxes are
    taken as returned (xyxy absolute pixels) and the image size from the image.

    Args:
        dataset: the detection dataset.

    Returns:
        ``{"images": [{id, width, height}], "annotations": [{id, image_id,
        category_id, bbox (xywh px), area, iscrowd[, difficult][, segmentation]}],
        "categories": [{id, name}]}``. ``area`` (which sorts objects into small, medium and
        large) is ``target["area"]`` when given (e.g. the mask area of COCO), else the mask's
        pixel count when the target has ``masks``, else the box area; ``segmentation`` (RLE)
        is written only when the target has ``masks``. An object flagged in
        ``target["difficult"]`` (VOC) gets ``iscrowd: 1`` and ``difficult: 1``:
        the COCO evaluation treats it as an ignored region (a detection on it is
        neither a true nor a false positive, missing it costs nothing), as the
        VOC protocol ignores difficult objects. Category ids are
        ``dataset.cat_ids`` if present, else ``1..K``. Unreadable images are
        left out (the evaluation loop cannot predict on them), with one warning that counts
        them and names the first files (``dataset.image_path``).

    Raises:
        ValueError: ``dataset.cat_ids`` and ``dataset.classes`` differ in length, or a
            target label is outside ``1..K``.
    """
    classes = list(dataset.classes)
    cat_ids = list(getattr(dataset, "cat_ids", None) or range(1, len(classes) + 1))
    if len(cat_ids) != len(classes):
        raise ValueError(
            f"dataset has {len(classes)} classes but {len(cat_ids)} cat_ids; give one id per class"
        )
    images: list[dict] = []
    annotations: list[dict] = []
    unreadable: list[str] = []
    for index, image_id in enumerate(dataset.image_ids):
        sample = dataset[index]
        if sample is None:
            unreadable.append(_image_name(dataset, index, image_id))
            continue
        image, target = sample
        height, width = int(image.shape[-2]), int(image.shape[-1])
        images.append({"id": int(image_id), "width": width, "height": height})
        for ann in _annotations_per_image(int(image_id), target, cat_ids):
            ann["id"] = len(annotations) + 1
            annotations.append(ann)
    if unreadable:
        shown = ", ".join(unreadable[:_NAMED]) + (", ..." if len(unreadable) > _NAMED else "")
        logger.warning(
            "%d of %d image(s) unreadable, left out of the ground truth (and not scored): %s",
            len(unreadable),
            len(dataset.image_ids),
            shown,
        )
    categories = [{"id": int(c), "name": name} for c, name in zip(cat_ids, classes, strict=True)]
    return {"images": images, "annotations": annotations, "categories": categories}


#: How many unreadable images the ground truth's warning names (the rest are counted).
_NAMED = 5


def _image_name(dataset: Any, index: int, image_id: Any) -> str:
    """The file of image ``index`` (``dataset.image_path(index)``; a :class:`DatasetHead`'s
    dataset's too), else ``image <id> (index <index>)`` for a dataset without paths."""
    for source in (dataset, getattr(dataset, "dataset", None)):
        image_path = getattr(source, "image_path", None)
        if callable(image_path):
            try:
                return str(image_path(index))
            except Exception:  # a dataset of one's own: its id names it then
                break
    return f"image {image_id} (index {index})"


def _annotations_per_image(image_id: int, target: dict, cat_ids: Sequence[int]) -> list[dict]:
    """COCO gt annotations (without ``id``) of one target: ``boxes`` xyxy px -> ``bbox`` xywh."""
    boxes = _as_numpy(target["boxes"], np.float64).reshape(-1, 4)
    labels = _as_numpy(target["labels"], np.int64).reshape(-1)
    categories = _labels_to_category_ids(labels, cat_ids, image_id)
    num = len(boxes)
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    iscrowd = _as_numpy(target.get("iscrowd", np.zeros(num)), np.int64).reshape(-1)
    difficult = _as_numpy(target.get("difficult", np.zeros(num)), np.int64).reshape(-1)
    rles = masks_to_rles(target["masks"], num) if target.get("masks") is not None else None
    if "area" in target:
        area = _as_numpy(target["area"], np.float64).reshape(-1)
    elif rles is not None:  # the mask's pixels, as COCO's area and the dataset readers' are
        area = np.asarray(mask_utils.area(cast(Any, rles)), dtype=np.float64).reshape(-1)
    else:
        area = widths * heights
    anns = []
    for i in range(num):
        ann = {
            "image_id": image_id,
            "category_id": int(categories[i]),
            "bbox": [float(boxes[i, 0]), float(boxes[i, 1]), float(widths[i]), float(heights[i])],
            "area": float(area[i]),
            "iscrowd": int(iscrowd[i] or difficult[i]),
        }
        if difficult[i]:
            ann["difficult"] = 1
        if rles is not None:
            ann["segmentation"] = rles[i]
        anns.append(ann)
    return anns
