"""COCO mAP / mAR, computed by pycocotools or by faster-coco-eval.

Both libraries are wrapped behind one function, :func:`coco_evaluate`, that
returns the twelve standard numbers plus a per-class summary. The numbers are
the libraries' own ``stats``: with ``backend="pycocotools"`` pycocotools' to the last bit,
with ``backend="faster"`` (the default) within 1e-15 of them, equal in every printed digit
(``tests/evaluation/test_coco_parity.py`` and ``test_coco_backend_differences.py`` check both).
The one number read otherwise is ``AP`` at a ``max_dets`` whose last limit is not 100, where
pycocotools' summarize gives -1 (see :func:`coco_evaluate`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
from pycocotools import mask as mask_utils

from detseg.data.json_files import read_json
from detseg.evaluation.coco_checks import (
    check_detection,
    check_ground_truth,
    check_required_fields,
    check_rle_strings,
    check_segm_ground_truth,
    check_segmentation,
    check_uncompressed_rle,
)

logger = logging.getLogger(__name__)

IouType = Literal["bbox", "segm"]
IOU_TYPES: tuple[IouType, ...] = ("bbox", "segm")
BACKENDS = ("faster", "pycocotools")
_AP_KEYS = ("AP", "AP50", "AP75", "APs", "APm", "APl")
_AR_AREA_KEYS = ("ARs", "ARm", "ARl")
#: Prefix of the mask numbers where they sit beside the box numbers (``segm_AP``, ...).
SEGM_PREFIX = "segm_"
#: ``pycocotools.mask``, untyped: its stubs list fewer argument forms than it reads (polygon
#: lists, uncompressed RLEs) and type RLE ``counts`` as bytes only.
_MASK_API: Any = mask_utils
#: The ground-truth warnings this process has logged: a validation during training evaluates
#: the same ground truth every time, so each is said once (:func:`_warn_once`).
_WARNED: set[str] = set()


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
            ``size``), or an image size that is no whole number.
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
        gt_dict["images"] = _with_int_image_sizes(gt_dict["images"])
        _drop_short_polygon_parts(gt_dict)
    dets = _copy_detections(detections, gt_dict, checked_iou_type)
    if checked_iou_type == "segm":
        _compress_segmentations(dets, gt_dict)
    run = _run_faster if backend == "faster" else _run_pycocotools
    stats, evaluator = run(gt_dict, dets, checked_iou_type, max_dets)
    result = _stats_to_dict(stats, max_dets)
    cat_ids = [int(c) for c in evaluator.params.catIds]
    result["per_class"] = per_class_metrics(evaluator.eval, cat_ids, gt_dict)
    return result, evaluator, gt_dict


def per_class_metrics(
    eval_arrays: dict, cat_ids: Sequence[int], gt: dict
) -> dict[str, dict[str, float]]:
    """Per-category AP, AP50 and AR from a COCOeval's accumulated arrays.

    Args:
        eval_arrays: ``COCOeval.eval`` after ``accumulate()``, holding
            ``precision`` ``[T, R, K, A, M]``, ``recall`` ``[T, K, A, M]`` and
            ``params`` (iouThrs, maxDets).
        cat_ids: the evaluated category ids, in the order of the K axis.
        gt: the COCO ground-truth dict (for category names).

    Returns:
        ``{name: {"AP", "AP50", "AR<maxDets[-1]>"}}`` at area "all" and the
        largest ``maxDets``; each the mean of the entries > -1, or -1.0 if none.
        Names shared by several categories get `` (id <n>)`` appended.
    """
    precision, recall = eval_arrays["precision"], eval_arrays["recall"]
    params = eval_arrays["params"]
    iou50 = np.where(np.asarray(params.iouThrs) == 0.5)[0]
    mind = len(params.maxDets) - 1
    ar_key = f"AR{params.maxDets[-1]}"
    names = category_names(gt, cat_ids)
    out: dict[str, dict[str, float]] = {}
    for k, cat_id in enumerate(cat_ids):
        out[names[cat_id]] = {
            "AP": _mean_valid(precision[:, :, k, 0, mind]),
            "AP50": _mean_valid(precision[iou50, :, k, 0, mind]),
            ar_key: _mean_valid(recall[:, k, 0, mind]),
        }
    return out


def _mean_valid(values: np.ndarray) -> float:
    """Mean of the entries ``> -1`` (pycocotools' summarize), ``-1.0`` when there is none."""
    valid = values[values > -1]
    return float(np.mean(valid)) if valid.size else -1.0


def category_names(gt: dict, cat_ids: Sequence[int]) -> dict[int, str]:
    """``{category id: name}`` for ``cat_ids`` from ``gt["categories"]``.

    A category without ``name`` is named by its id; a name shared by several of ``cat_ids``
    gets `` (id <n>)`` appended so that every name is unique.

    Raises:
        KeyError: an id of ``cat_ids`` that ``gt["categories"]`` does not list.
    """
    by_id = {c["id"]: str(c.get("name", c["id"])) for c in gt["categories"]}
    counts: dict[str, int] = {}
    for cat_id in cat_ids:
        counts[by_id[cat_id]] = counts.get(by_id[cat_id], 0) + 1
    return {
        cat_id: by_id[cat_id] if counts[by_id[cat_id]] == 1 else f"{by_id[cat_id]} (id {cat_id})"
        for cat_id in cat_ids
    }


def _check_iou_type(iou_type: str) -> IouType:
    """``iou_type`` as one of :data:`IOU_TYPES`; ``ValueError`` for any other value."""
    for known in IOU_TYPES:
        if iou_type == known:
            return known
    raise ValueError(f"iou_type must be one of {IOU_TYPES}, got {iou_type!r}")


def _check_max_dets(max_dets: Sequence[int]) -> list[int]:
    """``max_dets`` as a list of ints; ``ValueError`` unless three strictly increasing, >= 1."""
    values = [int(m) for m in max_dets]
    increasing = all(a < b for a, b in zip(values[:-1], values[1:], strict=True))
    if len(values) != 3 or values[0] < 1 or not increasing:
        raise ValueError(
            f"max_dets must be three strictly increasing positive ints such as (1, 10, 100), "
            f"got {tuple(max_dets)}"
        )
    return values


def load_coco_gt(gt: str | os.PathLike | dict) -> dict:
    """Loads and checks a COCO ground truth; returns a copy safe to hand to the libraries.

    Raises:
        FileNotFoundError: ``gt`` is a path that is not a file.
        ValueError: the file is not JSON, or the ground truth is malformed
            (:func:`check_ground_truth`).
    """
    source = "the ground truth"
    if isinstance(gt, (str, os.PathLike)):
        source = str(gt)
        gt = read_json(gt, "ground truth")
    if not isinstance(gt, dict):
        raise ValueError(f"gt must be a COCO json path or dict, got {type(gt).__name__}")
    check_ground_truth(gt, source)
    # Both libraries write keys ("ignore", RLEs) into the annotation dicts: copy them.
    copied = dict(gt)
    copied["annotations"] = [dict(ann) for ann in gt["annotations"]]
    _renumber_annotation_ids(copied["annotations"], source)
    return copied


def _renumber_annotation_ids(annotations: list[dict], source: str) -> None:
    """Give the annotations ids ``1..N`` (in place) when their own ids would mislead the
    libraries, with one warning naming ``source``.

    Both libraries mark a matched detection with the id of its ground-truth box and count it
    as a true positive when that id is non-zero: a box of id 0 is never matched. They also
    index the boxes by id, so of two boxes with one id, one is evaluated twice and the other
    never; and a box without an id fails. The evaluation does not read annotation ids
    otherwise, so renumbering changes nothing else. The warning is logged once per process.
    """
    ids = [ann.get("id") for ann in annotations]
    zero = sum(1 for i in ids if i is not None and not isinstance(i, bool) and i == 0)
    missing = ids.count(None)
    repeated = len(ids) - missing - len({i for i in ids if i is not None})
    if not (zero or missing or repeated):
        return
    problems = [
        f"{count} {what}"
        for count, what in (
            (zero, "of id 0 (the libraries' mark for 'no match')"),
            (missing, "without an id"),
            (repeated, "whose id an earlier annotation has"),
        )
        if count
    ]
    _warn_once(
        "%s: %s annotations; evaluated with the annotations numbered 1..%d instead (give "
        "every annotation a unique id from 1 to keep your own ids)",
        source,
        ", ".join(problems),
        len(annotations),
    )
    for number, ann in enumerate(annotations, start=1):
        ann["id"] = number


def _with_int_image_sizes(images: list[dict]) -> list[dict]:
    """Copies of the ground truth's ``images`` whose ``height`` and ``width`` are Python ints:
    faster-coco-eval fails on a whole float such as ``480.0``, which pycocotools reads as 480."""
    return [{**img, "height": int(img["height"]), "width": int(img["width"])} for img in images]


def _drop_short_polygon_parts(gt: dict) -> None:
    """Leave the polygon parts of fewer than 3 points (fewer than 6 numbers) out of the
    ground-truth ``segmentation`` s (in place; ``gt`` from :func:`load_coco_gt`, whose annotation
    dicts are copies), with one warning.

    pycocotools rasterises such a part to no pixel when another part comes first, but reads a
    list whose first part has 4 numbers as ``[x, y, w, h]`` boxes (``frPyObjects``) and fails
    on it with a ``TypeError``; faster-coco-eval draws it as a polygon. Without the short parts
    both give pycocotools' numbers, and the masks are those the dataset reader trains on and
    the report draws (:func:`~detseg.evaluation.coco_format.segmentation_mask`). An annotation
    left with no part gets an empty RLE at its image's ``height`` x ``width``. The warning is
    logged once per process (the same ground truth is evaluated at every validation).
    """
    sizes = {img["id"]: (int(img["height"]), int(img["width"])) for img in gt["images"]}
    changed = []
    for ann in gt["annotations"]:
        segmentation = ann["segmentation"]
        if not isinstance(segmentation, list):
            continue
        kept = [p for p in segmentation if isinstance(p, (list, tuple)) and len(p) >= 6]
        if len(kept) == len(segmentation):
            continue
        changed.append(ann.get("id"))
        if kept or ann["image_id"] not in sizes:
            ann["segmentation"] = kept
        else:
            ann["segmentation"] = _empty_rle(*sizes[ann["image_id"]])
    if changed:
        _warn_once(
            "%d ground-truth annotation(s) (ids %s) have polygon parts of fewer than 3 points: "
            "evaluated without those parts (an annotation with no other part as an empty mask)",
            len(changed),
            ", ".join(str(i) for i in changed[:5]) + (", ..." if len(changed) > 5 else ""),
        )


def _warn_once(message: str, *args: Any) -> None:
    """``logger.warning(message, *args)`` unless this process has logged the same text: the
    warnings about a ground truth, which a training run evaluates at every validation."""
    text = message % args
    if text in _WARNED:
        return
    _WARNED.add(text)
    logger.warning("%s", text)


def _compress_segmentations(dets: list[dict], gt: dict) -> None:
    """Give every detection (in place; copies from :func:`_copy_detections`) whose
    ``segmentation`` is polygons or an uncompressed RLE (``counts`` a list) the compressed
    RLE of that mask.

    Both libraries read a result's area (and its box, when it has none) from a compressed RLE
    only and fail with a ``TypeError`` on the other forms. Polygons are rasterised at the
    image's ``height`` x ``width`` as pycocotools rasterises those of results that have a box
    (``frPyObjects`` and ``merge``; parts of fewer than 3 points left out, as in the ground
    truth), so the numbers are those pycocotools gives the polygons wherever it reads them.
    """
    sizes = {img["id"]: (int(img["height"]), int(img["width"])) for img in gt["images"]}
    for i, det in enumerate(dets):
        segmentation = det["segmentation"]
        if isinstance(segmentation, list):
            det["segmentation"] = _polygons_rle(segmentation, *sizes[det["image_id"]])
        elif isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), list):
            check_uncompressed_rle(segmentation, f"detection {i} (image {det['image_id']})")
            rle = _MASK_API.frPyObjects(segmentation, *segmentation["size"])
            det["segmentation"] = {**rle, "counts": rle["counts"].decode("ascii")}
    _warn_about_mask_sizes(dets, sizes)


def _warn_about_mask_sizes(dets: list[dict], sizes: dict) -> None:
    """One warning when RLEs of ``dets`` differ in size from their images (``sizes``:
    ``{image id: (height, width)}``): both libraries then give such a mask IoU 0 with every
    ground truth, so the masks were most likely made at another resolution."""
    wrong = [
        (i, det["image_id"], list(det["segmentation"].get("size", [])))
        for i, det in enumerate(dets)
        if isinstance(det["segmentation"], dict)
        and list(det["segmentation"].get("size", [])) != list(sizes[det["image_id"]])
    ]
    if wrong:
        i, image_id, size = wrong[0]
        height, width = sizes[image_id]
        logger.warning(
            "%d detection mask(s) differ in size from their image and overlap no ground truth "
            "(first: detection %d, RLE size %s, image %s is %d x %d): give masks at the size of "
            "images[].height, width",
            len(wrong),
            i,
            size,
            image_id,
            height,
            width,
        )


def _polygons_rle(polygons: list, height: int, width: int) -> dict:
    """Compressed RLE (``counts`` str) of COCO polygons ``[[x1, y1, x2, y2, ...], ...]``
    (absolute pixels) drawn at ``height`` x ``width``, without the parts of fewer than 3 points."""
    kept = [p for p in polygons if isinstance(p, (list, tuple)) and len(p) >= 6]
    if not kept:
        return _empty_rle(height, width)
    rle = _MASK_API.merge(_MASK_API.frPyObjects(kept, height, width))
    return {**rle, "counts": rle["counts"].decode("ascii")}


def _empty_rle(height: int, width: int) -> dict:
    """Compressed RLE (``counts`` str) of an all-zero ``height`` x ``width`` mask."""
    rle = _MASK_API.encode(np.zeros((height, width), dtype=np.uint8, order="F"))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def _copy_detections(detections: Sequence[dict], gt: dict, iou_type: str) -> list[dict]:
    """Checks detections and copies them (``loadRes`` writes into each dict)."""
    image_ids = {img["id"] for img in gt["images"]}
    field = "bbox" if iou_type == "bbox" else "segmentation"
    copied = []
    for i, det in enumerate(detections):
        check_detection(det, i)
        check_required_fields(det, i, ("image_id", "category_id", "score", field))
        if iou_type == "segm":
            check_segmentation(det["segmentation"], f"detection {i} (image {det['image_id']!r})")
        if det["image_id"] not in image_ids:
            raise ValueError(
                f"detection {i} has image_id {det['image_id']!r}, which is not an image of "
                "the ground truth; evaluate only images listed in gt['images']"
            )
        copied.append(dict(det))
    if iou_type == "segm":
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


def _stats_to_dict(stats: np.ndarray, max_dets: list[int]) -> dict[str, Any]:
    """The 12 ``COCOeval.stats`` as ``{"AP": ..., "AR<m>": ..., "ARl": ...}`` floats."""
    keys = [*_AP_KEYS, *(f"AR{m}" for m in max_dets), *_AR_AREA_KEYS]
    return {key: float(value) for key, value in zip(keys, stats[:12], strict=True)}


def _run_pycocotools(
    gt: dict, dets: list[dict], iou_type: IouType, max_dets: list[int]
) -> tuple[np.ndarray, Any]:
    """``(stats, evaluator)`` of pycocotools' ``COCOeval`` (evaluate, accumulate, summarize)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with _captured_stdout("pycocotools"):
        coco_gt = COCO()
        coco_gt.dataset = gt  # type: ignore[assignment]  # stubs: a TypedDict, here a plain dict
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(dets) if dets else _empty_results(COCO, gt)
        evaluator = COCOeval(coco_gt, coco_dt, iouType=iou_type)
        evaluator.params.maxDets = list(max_dets)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    if max_dets[-1] != 100:
        evaluator.stats = _ap_at_last_max_dets(evaluator.stats, evaluator.eval["precision"])
    return evaluator.stats, evaluator


def _ap_at_last_max_dets(stats: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """A copy of pycocotools' ``stats`` whose ``AP`` (``stats[0]``) is read at the last
    ``maxDets``, as its summarize reads ``AP50`` ... ``APl``, instead of at ``maxDets=100``
    (-1 when 100 is not among them).

    Args:
        stats: ``Float[12]`` of pycocotools' ``summarize``.
        precision: ``Float[T, R, K, A, M]`` of its ``accumulate`` (area ``"all"`` at ``A = 0``).
    """
    fixed = np.array(stats, dtype=np.float64)
    fixed[0] = _mean_valid(precision[:, :, :, 0, -1])
    return fixed


def _run_faster(
    gt: dict, dets: list[dict], iou_type: IouType, max_dets: list[int]
) -> tuple[np.ndarray, Any]:
    """``(stats, evaluator)`` of faster-coco-eval's ``COCOeval_faster``, as pycocotools'."""
    from faster_coco_eval import COCO, COCOeval_faster

    with _captured_stdout("faster_coco_eval"):
        coco_gt = COCO(gt, print_function=logger.debug)
        coco_dt = coco_gt.loadRes(dets)
        evaluator = COCOeval_faster(coco_gt, coco_dt, iouType=iou_type, print_function=logger.debug)
        evaluator.params.maxDets = list(max_dets)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats, evaluator


def _empty_results(coco_cls: type, gt: dict) -> Any:
    """A results object with no detections (pycocotools' loadRes cannot build one)."""
    res = coco_cls()
    res.dataset = {"images": list(gt["images"]), "categories": gt["categories"], "annotations": []}
    res.createIndex()
    return res


@contextlib.contextmanager
def _captured_stdout(library: str) -> Iterator[None]:
    """Swallows a library's prints and forwards them to this module's logger (DEBUG)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    text = buffer.getvalue().strip()
    if text:
        logger.debug("%s output:\n%s", library, text)
