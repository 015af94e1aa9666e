"""COCO mAP / mAR, computed by pycocotools or by faster-coco-eval.

Both libraries are wrapped behind one function, :func:`coco_evaluate`, that
returns the twelve standard numbers plus a per-class summary. The numbers are
the libraries' own ``stats``: with ``backend="pycocotools"`` pycocotools' to the last bit,
with ``backend="faster"`` (the default) within 1e-15 of them. So a printed number can differ
from pycocotools' in its last digit where it sits at an exact rounding midpoint (AP 0.1875,
printed 0.188, against pycocotools' 0.18749999999999997, printed 0.187); for pycocotools'
numbers to the last bit pass ``backend="pycocotools"`` (``tests/evaluation/test_coco_parity.py``,
``test_coco_backend_differences.py`` and ``test_coco_rounding_midpoint.py`` check both).
The one number read otherwise is ``AP`` at a ``max_dets`` whose last limit is not 100, where
pycocotools' summarize gives -1 (see :func:`coco_evaluate`).

The steps around the libraries have modules of their own: the ground truth's loading and
cleaning (:mod:`~detseg.evaluation.coco_ground_truth`), the input checks
(:mod:`~detseg.evaluation.coco_checks`), the compression of result masks
(:mod:`~detseg.evaluation.coco_mask_compression`), the libraries' runs
(:mod:`~detseg.evaluation.coco_backend_runs`) and the per-class numbers
(:mod:`~detseg.evaluation.coco_per_class`).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from detseg.evaluation.checked_detections import checked_fields
from detseg.evaluation.coco_backend_runs import run_faster, run_pycocotools
from detseg.evaluation.coco_checks import (
    check_detection,
    check_required_fields,
    check_rle_strings,
    check_segm_ground_truth,
    check_segmentation,
)
from detseg.evaluation.coco_ground_truth import (
    drop_short_polygon_parts,
    load_coco_gt,
    with_int_image_sizes,
    with_list_bbox,
)
from detseg.evaluation.coco_mask_compression import compress_segmentations
from detseg.evaluation.coco_per_class import per_class_metrics

IouType = Literal["bbox", "segm"]
IOU_TYPES: tuple[IouType, ...] = ("bbox", "segm")
BACKENDS = ("faster", "pycocotools")
_AP_KEYS = ("AP", "AP50", "AP75", "APs", "APm", "APl")
_AR_AREA_KEYS = ("ARs", "ARm", "ARl")
#: Prefix of the mask numbers where they sit beside the box numbers (``segm_AP``, ...).
SEGM_PREFIX = "segm_"
#: The 12 numbers of :func:`coco_evaluate` at the default ``max_dets`` (1, 10, 100), in
#: ``COCOeval.stats`` order; the mask numbers beside them; the per-class mask numbers' key.
COCO_KEYS = (*_AP_KEYS, "AR1", "AR10", "AR100", *_AR_AREA_KEYS)
SEGM_KEYS = tuple(SEGM_PREFIX + key for key in COCO_KEYS)
SEGM_PER_CLASS_KEY = SEGM_PREFIX + "per_class"


def coco_evaluate(
    gt: str | os.PathLike | dict,
    detections: Sequence[dict],
    iou_type: str = "bbox",
    backend: str = "faster",
    max_dets: Sequence[int] = (1, 10, 100),
) -> dict[str, Any]:
    """Evaluates detections against a COCO ground truth, as pycocotools does.

    Args:
        gt: COCO ground truth, a json file path or an already loaded dict with
            ``images`` (``id``, ``width``, ``height``), ``annotations``
            (``image_id``, ``category_id``, ``bbox`` xywh px, ``area``,
            ``iscrowd``, and ``segmentation`` for ``"segm"``) and ``categories``.
            An annotation without ``area`` or ``iscrowd`` is read as the COCO reader and
            ``detseg-eval --gt`` read it (its mask's pixel count, or its box's ``w * h``;
            ``0``: :func:`~detseg.evaluation.coco_ground_truth.load_coco_gt`).
            Not modified.
        detections: results in the COCO results format, one dict per detection
            with ``image_id``, ``category_id``, ``score`` and ``bbox`` (xywh
            absolute pixels) and/or ``segmentation`` (RLE). Not modified.
            Detections whose ``category_id`` is not a ground-truth category are
            ignored (as both libraries do).
        iou_type: ``"bbox"`` or ``"segm"``.
        backend: ``"faster"`` (faster-coco-eval's C++ ``COCOeval_faster``, the
            default) or ``"pycocotools"`` (the reference).
        max_dets: three strictly increasing detection limits per image.

    Returns:
        ``AP, AP50, AP75, APs, APm, APl`` and ``AR<m>`` for each ``m`` in
        ``max_dets`` (``AR1, AR10, AR100`` by default), ``ARs, ARm, ARl``: floats
        equal to the backend's ``COCOeval.stats``; -1.0 where a number has no
        ground truth to average over (pycocotools' convention). ``per_class``:
        ``{category name: {"AP", "AP50", "AR<max_dets[-1]>"}}`` from the
        accumulated ``precision`` / ``recall`` arrays at area "all" and
        ``max_dets[-1]``, averaged like pycocotools' summarize (mean of the
        entries > -1, else -1.0).

    Behaviour worth knowing:
        * Empty ``detections``: pycocotools' ``loadRes`` fails on an empty list,
          so an empty result set is built directly; the evaluation then runs as
          normal and gives 0.0 for every number that has ground truth and -1.0
          for those that have none (e.g. ``APl`` without large objects).
        * Custom ``max_dets``: every number but ``AR<m>`` is computed at
          ``max_dets[-1]`` detections per image, by both backends. This departs from
          pycocotools where ``max_dets[-1]`` is not 100: its summarize reads ``AP``
          (and only ``AP``) at ``maxDets=100`` whatever ``max_dets`` says, so it reports
          -1.0 ("no ground truth") when 100 is not among them and mixes two limits when
          100 is not the last. ``AP`` is then pycocotools' own average (the entries
          > -1 of ``precision[:, :, :, area all, -1]``) at ``max_dets[-1]``, as
          faster-coco-eval (and detectron2's evaluator) compute it; with the default
          ``(1, 10, 100)`` all twelve numbers are pycocotools' ``stats``.
        * The backends agree to within 1e-15, not bit for bit: pycocotools computes
          precision as ``tp / (tp + fp + eps)``, faster-coco-eval without the ``eps``. The
          two differ only where ``tp + fp`` is 1 (a top-ranked detection that is a true
          positive): pycocotools' ``1 - 2**-52`` against ``1.0`` in the accumulated
          ``precision``, which moves a mean by a few units in its 16th decimal at most. For
          pycocotools' numbers to the last bit pass ``backend="pycocotools"``.
        * ``"segm"`` needs a ``segmentation`` in every ground-truth annotation and the
          ``height`` and ``width`` of every image (:func:`check_segm_ground_truth`).
        * ``"segm"`` results may carry polygons or an uncompressed RLE: they are scored as
          their compressed RLEs at the image size (the libraries read only those). Polygon
          parts of fewer than 3 points, results' and ground truth's, are left out (pycocotools
          draws no pixel for them, or fails when one comes first).
        * ``"segm"`` results that also carry a ``bbox``: both libraries take the
          detection's area (for the small / medium / large ranges) from the box
          (w * h), not from the mask.

    Raises:
        ValueError: on an unknown ``iou_type`` / ``backend``, bad ``max_dets``,
            a malformed ground truth, or a detection that names an image absent
            from the ground truth or lacks the field ``iou_type`` needs; for ``"segm"``
            a ``segmentation`` (a result's or the ground truth's) that is neither polygons
            nor an RLE (or an RLE whose ``counts`` string is malformed or does not cover its
            ``size``), or an image size that is no whole number; one record not in a list,
            or ``model.predict``'s dicts in place of records.
    """
    result, _, _ = run_coco_evaluation(gt, detections, iou_type, backend, max_dets)
    return result


def segm_metrics(coco_metrics: dict[str, Any]) -> dict[str, Any]:
    """A ``coco_evaluate(..., iou_type="segm")`` result with :data:`SEGM_PREFIX` on every key
    (``segm_AP`` ... ``segm_ARl``, ``segm_per_class``), to sit beside the box numbers."""
    return {SEGM_PREFIX + key: value for key, value in coco_metrics.items()}


def run_coco_evaluation(
    gt: str | os.PathLike | dict,
    detections: Sequence[dict],
    iou_type: str = "bbox",
    backend: str = "faster",
    max_dets: Sequence[int] = (1, 10, 100),
) -> tuple[dict[str, Any], Any, dict]:
    """:func:`coco_evaluate`, also handing back the evaluator and the loaded ground truth.

    For callers that need the accumulated arrays (``evaluator.eval["precision"]``
    of shape ``[T, R, K, A, M]``, e.g. PR curves) from the same single run.

    Returns:
        ``(metrics, evaluator, gt_dict)``: ``metrics`` exactly as ``coco_evaluate``
        returns it, the backend's ``COCOeval`` after ``summarize()``, and the
        ground truth as a dict.

    Raises:
        ValueError: as :func:`coco_evaluate`.
        FileNotFoundError: ``gt`` is a path that is not a file.
    """
    checked_iou_type = _check_iou_type(iou_type)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    max_dets = _check_max_dets(max_dets)
    gt_dict = load_coco_gt(gt)
    if checked_iou_type == "segm":
        check_segm_ground_truth(gt_dict)
        gt_dict["images"] = with_int_image_sizes(gt_dict["images"])
        drop_short_polygon_parts(gt_dict)
    dets = _copy_detections(detections, gt_dict, checked_iou_type)
    if checked_iou_type == "segm":
        compress_segmentations(dets, gt_dict)
    run = run_faster if backend == "faster" else run_pycocotools
    stats, evaluator = run(gt_dict, dets, checked_iou_type, max_dets)
    result = _stats_to_dict(stats, max_dets)
    cat_ids = [int(c) for c in evaluator.params.catIds]
    result["per_class"] = per_class_metrics(evaluator.eval, cat_ids, gt_dict)
    return result, evaluator, gt_dict


def _check_iou_type(iou_type: str) -> IouType:
    """``iou_type`` as one of :data:`IOU_TYPES`; ``ValueError`` for any other value."""
    for known in IOU_TYPES:
        if iou_type == known:
            return known
    raise ValueError(f"iou_type must be one of {IOU_TYPES}, got {iou_type!r}")


def _check_max_dets(max_dets: Sequence[int]) -> list[int]:
    """``max_dets`` as a list of ints; ``ValueError`` unless three strictly increasing
    integers >= 1 (numpy integers and whole floats such as ``10.0`` count as the integers they
    hold; a fraction such as ``1.9``, a bool, a string or ``None`` does not)."""
    try:
        values = [_count(m) for m in max_dets]
    except (TypeError, ValueError):  # one number, None, text, a fraction: not three counts
        values = []
    increasing = all(a < b for a, b in zip(values[:-1], values[1:], strict=True))
    if len(values) != 3 or values[0] < 1 or not increasing:
        raise ValueError(
            f"max_dets must be three strictly increasing positive ints such as (1, 10, 100), "
            f"got {max_dets!r}"
        )
    return values


def _count(value: Any) -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) or a whole float; else
    ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"not an integer: {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if not (math.isfinite(value) and float(value).is_integer()):
        raise ValueError(f"not an integer: {value!r}")
    return int(float(value))


def _copy_detections(detections: Sequence[dict], gt: dict, iou_type: str) -> list[dict]:
    """Checks detections and copies them (``loadRes`` writes into each dict).

    :class:`~detseg.evaluation.checked_detections.CheckedDetections` holding the fields
    ``iou_type`` needs are not checked again, but for their images (those of ``gt``)."""
    _check_result_list(detections)
    image_ids = {img["id"] for img in gt["images"]}
    field = "bbox" if iou_type == "bbox" else "segmentation"
    required = ("image_id", "category_id", "score", field)
    checked = checked_fields(detections, required)
    copied = []
    for i, det in enumerate(detections):
        if not checked:
            check_detection(det, i)
            check_required_fields(det, i, required)
            if iou_type == "segm":
                where = f"detection {i} (image {det['image_id']!r})"
                check_segmentation(det["segmentation"], where)
        if det["image_id"] not in image_ids:
            raise ValueError(
                f"detection {i} has image_id {det['image_id']!r}, which is not an image of "
                "the ground truth; evaluate only images listed in gt['images']"
            )
        copied.append(with_list_bbox(det))  # a tuple box fails in both libraries
    if iou_type == "segm" and not checked:
        check_rle_strings(
            [det["segmentation"] for det in copied],
            lambda i: f"detection {i} (image {copied[i]['image_id']!r})",
        )
    if len({"bbox" in det for det in copied}) > 1:
        raise ValueError(
            "some detections have a 'bbox' and some do not; loadRes reads them all like the "
            "first one, so give every detection a 'bbox' or none"
        )
    return copied


def _check_result_list(detections: object) -> None:
    """Raise ``ValueError`` for detections that are not a list of COCO result records: one
    record not in a list, or ``model.predict``'s per-image dicts (``boxes``, ``scores``,
    ``labels``), which :func:`~detseg.evaluation.coco_format.predictions_to_coco_results`
    turns into records; a file name (read it first, e.g. with ``json.load``), ``None`` or
    anything else that is no list."""
    if isinstance(detections, (str, bytes, os.PathLike)):
        raise ValueError(
            f"detections must be a list of COCO result records, got the file name "
            f"{str(detections)!r}; read the file first: json.loads(Path(name).read_text())"
        )
    if not isinstance(detections, (Sequence, Mapping)):
        raise ValueError(
            "detections must be a list of COCO result records (one dict per detection), got "
            f"{type(detections).__name__}; give [] for no detection"
        )
    if isinstance(detections, Mapping):
        raise ValueError(
            "detections must be a list of COCO result records (one dict per detection), got "
            "one dict; wrap it in a list"
        )
    first = detections[0] if isinstance(detections, Sequence) and len(detections) else None
    if isinstance(first, Mapping) and {"boxes", "labels"} <= first.keys():
        raise ValueError(
            "detection 0 is a model prediction (boxes, scores, labels of one image), "
            "not a COCO result record; convert the predictions with "
            "detseg.evaluation.coco_format.predictions_to_coco_results(image_ids, "
            "predictions, cat_ids)"
        )


def _stats_to_dict(stats: np.ndarray, max_dets: list[int]) -> dict[str, Any]:
    """The 12 ``COCOeval.stats`` as ``{"AP": ..., "AR<m>": ..., "ARl": ...}`` floats."""
    keys = [*_AP_KEYS, *(f"AR{m}" for m in max_dets), *_AR_AREA_KEYS]
    return {key: float(value) for key, value in zip(keys, stats[:12], strict=True)}
