"""A COCO ground truth loaded, checked and made safe to hand to pycocotools and faster-coco-eval.

:func:`load_coco_gt` reads and checks the ground truth and copies what the libraries write into;
where annotation ids would mislead them it renumbers the annotations, and it warns about boxes
no detection can match (:func:`unmatchable_box_ids`). For mask AP
(``"segm"``) the image sizes become ints (:func:`with_int_image_sizes`) and polygon parts of
fewer than 3 points are left out (:func:`drop_short_polygon_parts`). Each warning about a ground
truth is said once per process (:func:`_warn_once`): a training run evaluates the same ground
truth at every validation.
"""

from __future__ import annotations

import logging
import numbers
import os
from typing import Any

from detseg.data.coco_eval_defaults import ground_truth_with_eval_defaults
from detseg.data.coco_json import annotation_id_number
from detseg.data.json_files import read_json
from detseg.evaluation.coco_checks import check_ground_truth
from detseg.evaluation.coco_mask_compression import empty_rle

logger = logging.getLogger(__name__)
_ABSENT = object()  # an annotation's id when it has none

#: The ground-truth warnings this process has logged: a validation during training evaluates
#: the same ground truth every time, so each is said once (:func:`_warn_once`).
_WARNED: set[str] = set()


def load_coco_gt(gt: str | os.PathLike | dict) -> dict:
    """Loads and checks a COCO ground truth; returns a copy safe to hand to the libraries.

    An annotation without ``area`` or ``iscrowd`` gets the values the COCO reader and
    ``detseg-eval --gt`` give it (its mask's pixel count, or its box's ``w * h`` px² without a
    segmentation; ``0``:
    :func:`~detseg.data.coco_eval_defaults.ground_truth_with_eval_defaults`), which both
    libraries need; one that has them keeps them.

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
    gt = ground_truth_with_eval_defaults(gt)  # a copy where an area or iscrowd is filled
    check_ground_truth(gt, source)
    # Both libraries write keys ("ignore", RLEs) into the annotation dicts: copy them.
    copied = dict(gt)
    copied["annotations"] = [with_list_bbox(ann) for ann in gt["annotations"]]
    _warn_about_unmatchable_boxes(copied, source)  # by the json's own ids
    _renumber_annotation_ids(copied["annotations"], source)
    return copied


def with_list_bbox(record: dict) -> dict:
    """A copy of the annotation or detection ``record`` whose ``bbox``, if a tuple, is a list:
    both libraries read a tuple box wrongly and fail deep inside (pycocotools with an
    ``IndexError``, faster-coco-eval with "list input can be bounding box (Nx4) or RLEs")."""
    copied = dict(record)
    if isinstance(copied.get("bbox"), tuple):
        copied["bbox"] = list(copied["bbox"])
    return copied


def unmatchable_box_ids(gt: dict) -> list[Any]:
    """Ids of the non-crowd ground-truth boxes no detection of a model can match: those of no
    width or height (``bbox`` ``[x, y, w, h]`` with ``w <= 0`` or ``h <= 0``: their IoU with any
    box is 0) and those lying wholly outside their image (no overlap of positive area with
    ``[0, width] x [0, height]``; an image without ``width`` and ``height`` is not checked for
    it), which a detection clipped to the image, as every detseg model's is, cannot overlap.

    Each counts as a miss, in pycocotools and here alike, and holds AP and AR below 1; the
    dataset readers drop them from training
    (:func:`~detseg.data.target_checks.sanitize_boxes`). Crowd boxes are left out: an
    unmatched crowd region is not a miss.
    """
    sizes = {
        img["id"]: (img["width"], img["height"])
        for img in gt["images"]
        if isinstance(img.get("width"), (int, float))
        and isinstance(img.get("height"), (int, float))
    }
    ids = []
    for index, ann in enumerate(gt["annotations"]):
        if ann["iscrowd"]:
            continue
        x, y, w, h = ann["bbox"]
        size = sizes.get(ann["image_id"])
        outside = size is not None and (x >= size[0] or y >= size[1] or x + w <= 0 or y + h <= 0)
        if w <= 0 or h <= 0 or outside:
            ids.append(ann.get("id", f"annotations[{index}]"))
    return ids


def _warn_about_unmatchable_boxes(gt: dict, source: str) -> None:
    """One warning (once per process) naming the boxes of :func:`unmatchable_box_ids`."""
    ids = unmatchable_box_ids(gt)
    if ids:
        shown = ", ".join(str(i) for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
        _warn_once(
            "%s: %d ground-truth box(es) (annotation ids %s) have no width or height or lie "
            "wholly outside their image: no detection clipped to the image (as a model's are) can "
            "match them, so each counts as a miss (as in pycocotools) and holds AP and AR below "
            "1; fix or remove them "
            "(detseg-check-data (tools/check_data.py) lists them)",
            source,
            len(ids),
            shown,
        )


def _renumber_annotation_ids(annotations: list[dict], source: str) -> None:
    """Give the annotations ids ``1..N`` (in place) when their own ids would mislead the
    libraries, with one warning naming ``source``.

    Both libraries mark a matched detection with the id of its ground-truth box and count it
    as a true positive when that id says "matched": pycocotools for any non-zero id,
    faster-coco-eval only for a positive one (a signed 64-bit integer), so a box of id 0 is
    never matched, nor, by faster-coco-eval, one of a negative id or of one past ``2**63 - 1``.
    They also index the boxes by id, so of two boxes with one id, one is evaluated twice and
    the other never; and a box without an id, or whose id is no integer (a string, a bool),
    fails. So unless every id is an integer from 1 to ``2**63 - 1`` and no two are the same,
    every annotation is renumbered. A whole float id (``3.0``, as pandas writes ids) counts as
    that integer and is given as one, without a warning; so is a numpy integer. The evaluation
    does not read annotation ids otherwise, so renumbering changes nothing else. The warning is
    logged once per process.
    """
    ids = [annotation_id_number(ann.get("id", _ABSENT)) for ann in annotations]
    raw = [ann.get("id", _ABSENT) for ann in annotations]
    zero = sum(1 for i, r in zip(ids, raw, strict=True) if i is None and _is_zero(r))
    missing = sum(1 for r in raw if r is _ABSENT or r is None)
    other = sum(1 for i in ids if i is None) - zero - missing
    valid = [i for i in ids if i is not None]
    repeated = len(valid) - len(set(valid))
    if not (zero or missing or other or repeated):
        for ann, number in zip(annotations, valid, strict=True):
            ann["id"] = number  # 3.0 as 3: faster-coco-eval indexes by int
        return
    problems = [
        f"{count} {what}"
        for count, what in (
            (zero, "of id 0 (the libraries' mark for 'no match')"),
            (missing, "without an id"),
            (other, "of id not a positive integer (below 2**63)"),
            (repeated, "repeating an earlier annotation's id"),
        )
        if count
    ]
    _warn_once(
        "%s: annotations %s; evaluated with the annotations numbered 1..%d instead (give "
        "every annotation a unique id from 1 to keep your own ids; detseg-check-data "
        "(tools/check_data.py) names them)",
        source,
        ", ".join(problems),
        len(annotations),
    )
    for number, ann in enumerate(annotations, start=1):
        ann["id"] = number


def _is_zero(value: Any) -> bool:
    """Whether ``value`` is the number 0 (``0``, ``0.0``; not ``False``)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0


def with_int_image_sizes(images: list[dict]) -> list[dict]:
    """Copies of the ground truth's ``images`` whose ``height`` and ``width`` are Python ints:
    faster-coco-eval fails on a whole float such as ``480.0``, which pycocotools reads as 480."""
    return [{**img, "height": int(img["height"]), "width": int(img["width"])} for img in images]


def drop_short_polygon_parts(gt: dict) -> None:
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
            ann["segmentation"] = empty_rle(*sizes[ann["image_id"]])
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
