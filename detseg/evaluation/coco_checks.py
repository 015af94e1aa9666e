"""What the COCO evaluation needs of its inputs, checked before the libraries see them.

pycocotools and faster-coco-eval fail on malformed input with a ``KeyError`` or a
``TypeError`` deep inside, or silently skip it. These checks name the first bad entry instead:
the ground truth's images and annotations (:func:`check_ground_truth`, and the masks of a
``segm`` evaluation, :func:`check_segm_ground_truth`; a file without any, :func:`lacks_all_masks`,
can have its boxes scored: :func:`ground_truth_has_masks` decides) and each detection record
(:func:`check_detection`, :func:`check_required_fields`), and the compressed RLE strings of
masks (:func:`check_rle_strings`; the strings are decoded by
:mod:`detseg.evaluation.coco_rle_strings`). What the libraries ignore on purpose (annotations of
unknown categories or images) gets one warning (:func:`warn_about_ground_truth`).
"""

from __future__ import annotations

import logging
import math
import numbers
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from detseg.evaluation.coco_rle_strings import first_rle_string_problem

logger = logging.getLogger(__name__)

_GT_ANN_KEYS = ("image_id", "category_id", "bbox", "area", "iscrowd")
_ABSENT = object()  # a key's value when the dict lacks it


def check_ground_truth(gt: dict, source: str = "the ground truth") -> None:
    """Check what the evaluation reads of a COCO ground truth, naming the first bad entry.

    ``gt`` needs ``images``, ``annotations`` and ``categories`` lists; ``images`` and
    ``categories`` entries a unique integer ``id``; every annotation an integer ``image_id``
    and ``category_id``, ``bbox`` (``[x, y, w, h]``, four finite numbers), ``area`` (a finite
    number) and ``iscrowd`` (0 or 1). An integer id may be written as a whole float (``3.0``);
    a string id (``"3"``, ``"img_01"``) is refused: the COCO format's ids are integers, and the
    evaluation matches, sorts and reports images and categories by integer id.

    Raises:
        ValueError: ``"<source>: annotation 7 has bbox [10, 10, 20]; expected ..."``.
    """
    for key in ("images", "annotations", "categories"):
        if not isinstance(gt.get(key), list):
            raise ValueError(
                f"{source}: COCO ground truth has no {key!r} list; add it (it may be empty)"
            )
    _check_entry_ids(gt["images"], "images", "image", source)
    _check_entry_ids(gt["categories"], "categories", "category", source)
    for i, ann in enumerate(gt["annotations"]):
        _check_gt_annotation(ann, i, source)


def _check_entry_ids(entries: list, key: str, kind: str, source: str) -> None:
    """Raise a ``ValueError`` naming the first entry of ``gt[key]`` without a unique integer
    ``id`` (``kind`` names what the entries are: ``"image"``, ``"category"``)."""
    seen: set[Any] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "id" not in entry:
            raise ValueError(f"{source}: {key}[{i}] is not an object with an 'id'")
        if not _is_id(entry["id"]):
            raise ValueError(
                f"{source}: {key}[{i}] has id {entry['id']!r}; COCO ids are integers: give "
                f"every {kind} an integer id (and name it by that id in the annotations)"
            )
        if entry["id"] in seen:
            raise ValueError(
                f"{source}: {key}[{i}] has id {entry['id']!r}, which an earlier {kind} has; "
                f"give every {kind} a unique id"
            )
        seen.add(entry["id"])


def _check_gt_annotation(ann: Any, index: int, source: str) -> None:
    """Raise a ``ValueError`` naming annotation ``index`` of ``source`` when it is malformed."""
    if not isinstance(ann, dict):
        raise ValueError(f"{source}: annotations[{index}] is not an object: {str(ann)[:80]}")
    name = f"annotation {ann.get('id', f'annotations[{index}]')}"
    missing = [k for k in _GT_ANN_KEYS if k not in ann]
    if missing:
        raise ValueError(
            f"{source}: ground-truth {name} lacks {missing}; "
            "COCO evaluation needs image_id, category_id, bbox, area and iscrowd"
        )
    for key in ("image_id", "category_id"):
        if not _is_id(ann[key]):
            raise ValueError(
                f"{source}: {name} has {key} {ann[key]!r}; expected an integer "
                f"(COCO ids are integers: use the integer id of its {key[:-3]} entry)"
            )
    if not is_xywh(ann["bbox"]):
        raise ValueError(
            f"{source}: {name} has bbox {ann['bbox']!r}; expected [x, y, w, h] numbers"
        )
    if not _is_number(ann["area"]):
        raise ValueError(f"{source}: {name} has area {ann['area']!r}; expected a number")
    if ann["iscrowd"] not in (0, 1):
        raise ValueError(f"{source}: {name} has iscrowd {ann['iscrowd']!r}; expected 0 or 1")


def _is_number(value: Any) -> bool:
    """A finite real number: a Python int or float or a numpy scalar such as ``np.int64`` or
    ``np.float32``, which pycocotools and faster-coco-eval read like the Python ones (not a
    bool, not a string). Stricter than :func:`detseg.data.coco_fields.is_number`
    (which the json readers use, where NaN boxes are dropped later): a NaN or infinite number
    is rejected here.

    A plain ``int`` or ``float`` (what json gives) is answered before the ``numbers.Real``
    check, whose abstract-class lookup took most of the time of checking 500,000 records."""
    kind = type(value)
    if kind is float or kind is int:  # not bool: type(True) is bool
        return math.isfinite(value)
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_id(value: Any) -> bool:
    """A COCO id: an integer (numpy integers too), or a whole float such as ``3.0`` (not a
    bool, not a string)."""
    if type(value) is int:  # json's ids: finite (math.isfinite raises past float's range)
        return math.isfinite(value)
    return _is_number(value) and float(value).is_integer()


def is_xywh(bbox: Any) -> bool:
    """Whether ``bbox`` is a COCO box: a list of four finite numbers (or a tuple, which the
    evaluation hands to the libraries as a list:
    :func:`~detseg.evaluation.coco_ground_truth.with_list_bbox`)."""
    return isinstance(bbox, (list, tuple)) and len(bbox) == 4 and all(map(_is_number, bbox))


def check_detection(det: Any, index: int, source: str = "") -> None:
    """Check the fields of one COCO result record that are present.

    ``score`` must be a finite number, ``category_id`` and ``image_id`` integers (whole floats
    such as ``3.0`` pass too; strings do not: COCO ids are integers) and ``bbox``
    ``[x, y, w, h]`` finite numbers (which fields must be present is the caller's check).
    Numpy scalars (``np.int64``, ``np.float32``, ...) count as the numbers they hold.

    Raises:
        ValueError: ``"<source>: detection 0 has bbox [1, 2, 3]; expected [x, y, w, h] numbers"``.
    """
    if type(det) is dict and _is_plain_detection(det):
        return
    where = f"{source}: detection {index}" if source else f"detection {index}"
    if not isinstance(det, dict):
        raise ValueError(
            f"{where} is not an object: {str(det)[:80]}; expected a record with the keys "
            '"image_id", "category_id", "bbox" ([x, y, w, h]) and "score", such as '
            '{"image_id": 1, "category_id": 3, "bbox": [10, 20, 30, 40], "score": 0.9}'
        )
    if "bbox" in det and not is_xywh(det["bbox"]):
        raise ValueError(f"{where} has bbox {det['bbox']!r}; expected [x, y, w, h] numbers")
    if "score" in det and not _is_number(det["score"]):
        raise ValueError(f"{where} has score {det['score']!r}; expected a number")
    for key in ("category_id", "image_id"):
        if key in det and not _is_id(det[key]):
            raise ValueError(
                f"{where} has {key} {det[key]!r}; expected an integer "
                f"(COCO ids are integers: use the ground truth's {key[:-3]} id)"
            )


def _is_plain_detection(det: dict) -> bool:
    """Whether the present fields of ``det`` pass :func:`check_detection` as json writes them:
    ``bbox`` a list of four finite ``int`` / ``float``, ``score`` a finite one, ``category_id``
    and ``image_id`` ``int``. ``False`` for anything else (numpy scalars, whole-float ids,
    tuples, bad values), which the full checks then look at; one call instead of a dozen per
    record (500,000 records of a COCO val2017 run are checked several times)."""
    bbox = det.get("bbox", _ABSENT)
    if bbox is not _ABSENT:
        if type(bbox) is not list or len(bbox) != 4:
            return False
        for value in bbox:
            kind = type(value)
            if (kind is not float and kind is not int) or not math.isfinite(value):
                return False
    score = det.get("score", _ABSENT)
    if score is not _ABSENT:
        kind = type(score)
        if (kind is not float and kind is not int) or not math.isfinite(score):
            return False
    for key in ("category_id", "image_id"):
        value = det.get(key, _ABSENT)
        if value is not _ABSENT and (type(value) is not int or not math.isfinite(value)):
            return False
    return True


def check_segmentation(segmentation: Any, where: str) -> None:
    """Raise a ``ValueError`` naming ``where`` unless ``segmentation`` is COCO polygons (a list
    of parts, each a list of numbers ``[x1, y1, x2, y2, ...]``) or an RLE (a dict with ``size``
    ``[height, width]`` and ``counts``, a string or a list of runs). What a ``counts`` string
    decodes to is :func:`check_rle_strings`' check, over all the RLEs at once.

    pycocotools fails on any other value with a ``TypeError`` deep inside (a flat list
    ``[x1, y1, ...]`` too: it reads every part as a list); faster-coco-eval draws a flat list
    as no mask at all.

    Raises:
        ValueError: ``"detection 3 (image 7) has segmentation 'abc'; expected ..."``.
    """
    problem = _segmentation_problem(segmentation)
    if problem:
        raise ValueError(
            f"{where} has segmentation {_short(segmentation)}: {problem}; expected polygons "
            "[[x1, y1, x2, y2, ...], ...] (a list of lists of pixels) or an RLE "
            '{"size": [height, width], "counts": ...}'
        )


def _segmentation_problem(segmentation: Any) -> str | None:
    """What keeps ``segmentation`` from being COCO polygons or an RLE, or ``None``."""
    if isinstance(segmentation, list):
        for part in segmentation:
            if not isinstance(part, (list, tuple)):
                return "a polygon part is not a list (a flat [x1, y1, ...] list needs [] around it)"
            if not all(map(_is_number, part)):
                return "a polygon part holds something other than finite numbers"
        return None
    if isinstance(segmentation, dict):
        missing = [key for key in ("size", "counts") if key not in segmentation]
        if missing:
            return f"the RLE lacks {' and '.join(repr(key) for key in missing)}"
        if not isinstance(segmentation["counts"], (str, bytes, list)):
            return "the RLE counts are neither a string nor a list of runs"
        size = segmentation["size"]
        if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(map(_is_count, size))):
            return "the RLE size is not [height, width]"
        return None
    return f"a value of type {type(segmentation).__name__}, neither polygons nor an RLE"


def check_rle_strings(segmentations: Sequence[Any], where: Callable[[int], str]) -> None:
    """Raise a ``ValueError`` naming ``where(i)`` for the first of ``segmentations`` that is an
    RLE whose ``counts`` string does not decode to non-negative runs covering its ``size``
    (:func:`~detseg.evaluation.coco_rle_strings.first_rle_string_problem`: both libraries read
    past such a string, never return on it, or read it as another mask). Polygons, uncompressed RLEs
    and values :func:`check_segmentation` refuses are passed over. The strings are decoded
    together in a few numpy passes: a few microseconds per mask (a few percent of a mask AP).

    Raises:
        ValueError: ``"preds.json: detection 3 (image 7) has segmentation {...}: the RLE counts
            string is cut short (it ends inside a run); ..."``.
    """
    indices, counts, pixels = [], [], []
    for i, segmentation in enumerate(segmentations):
        if not isinstance(segmentation, dict):
            continue
        size = segmentation.get("size")
        if not isinstance(segmentation.get("counts"), (str, bytes)):
            continue
        if isinstance(size, (list, tuple)) and len(size) == 2 and all(map(_is_count, size)):
            indices.append(i)
            counts.append(segmentation["counts"])
            pixels.append(int(size[0]) * int(size[1]))
    found = first_rle_string_problem(counts, pixels)
    if found is not None:
        k, problem = found
        raise ValueError(
            f"{where(indices[k])} has segmentation {_short(segmentations[indices[k]])}: "
            f"{problem}; give the RLE that pycocotools' mask.encode writes for the mask"
        )


def _short(value: Any) -> str:
    """``repr(value)``, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_required_fields(det: dict, index: int, fields: Sequence[str]) -> None:
    """Raise unless detection record ``index`` has every key of ``fields``.

    Raises:
        ValueError: ``"detection 3 lacks 'score' and 'bbox'; every record needs 'image_id',
            'category_id', 'score' and 'bbox'"``.
    """
    for key in fields:
        if key not in det:
            break
    else:
        return
    missing = [key for key in fields if key not in det]
    if missing:
        needed = ", ".join(repr(key) for key in fields[:-1]) + f" and {fields[-1]!r}"
        lacking = " and ".join(repr(key) for key in missing)
        raise ValueError(f"detection {index} lacks {lacking}; every record needs {needed}")


def warn_about_ground_truth(gt: dict, source: str) -> None:
    """Log one warning for the annotations the evaluation ignores: those whose ``category_id``
    is not among ``categories`` and those whose ``image_id`` is not among ``images``."""
    cat_ids = {c.get("id") for c in gt["categories"] if isinstance(c, dict)}
    image_ids = {img["id"] for img in gt["images"]}
    unknown = Counter(
        a["category_id"] for a in gt["annotations"] if a["category_id"] not in cat_ids
    )
    absent = Counter(a["image_id"] for a in gt["annotations"] if a["image_id"] not in image_ids)
    for counts, what, key in (
        (unknown, "category_id", "categories"),
        (absent, "image_id", "images"),
    ):
        if counts:
            logger.warning(
                "%s: %d ground-truth annotation(s) have %s %s absent from its %s (%s): ignored",
                source,
                sum(counts.values()),
                "an" if what == "image_id" else "a",
                what,
                key,
                ", ".join(f"{what} {value!r}: {n}" for value, n in counts.most_common(5)),
            )


def lacks_all_masks(gt: dict) -> bool:
    """Whether a COCO ground truth has annotations but not one ``segmentation``: a box-only
    file, whose boxes can be scored and its masks cannot (one annotation without a
    ``segmentation`` among others with one is :func:`check_segm_ground_truth`'s error)."""
    annotations = gt["annotations"]
    return bool(annotations) and not any(
        isinstance(ann, dict) and ann.get("segmentation") for ann in annotations
    )


def ground_truth_has_masks(gt: dict, source: str, note: str = "") -> bool:
    """Whether the COCO ground truth ``gt`` (read from ``source``) can score masks: the one
    answer of ``tools/eval.py`` and of validation during training for a model with masks.

    One without any ``segmentation`` (a box-only file, :func:`lacks_all_masks`) gives box AP
    only, with a warning naming ``source`` (``note``, e.g. what still ranks checkpoints, is
    added to it); one with masks is checked before predicting (every instance's mask and image
    size, :func:`check_segm_ground_truth`).

    Raises:
        ValueError: some annotations have a ``segmentation`` and one has none, or a mask or an
            image size is malformed (one line naming ``source`` and the entry).
    """
    if lacks_all_masks(gt):
        logger.warning(
            "%s: no annotation has a 'segmentation': mask AP is not computed (box AP only%s); "
            "mask AP needs each instance's mask (polygons or an RLE) in the file",
            source,
            f"; {note}" if note else "",
        )
        return False
    check_segm_ground_truth(gt, source)
    return True


def check_segm_ground_truth(gt: dict, source: str = "the ground truth") -> None:
    """Check that a COCO ground truth holds what mask AP (``iou_type="segm"``) reads.

    Every annotation needs a ``segmentation`` (polygons or an RLE of its image's size,
    :func:`check_segmentation`; an RLE's ``counts``, a list or a string, must cover its
    ``size``, :func:`check_rle_strings`) and
    every image its ``height`` and ``width``, whole numbers (both libraries decode the masks at
    that size; an RLE of another size overlaps no mask: IoU 0).

    Raises:
        ValueError: naming ``source`` and the first annotation or image that lacks them.
    """
    for image in gt["images"]:
        if "height" not in image or "width" not in image:
            raise ValueError(
                f"{source}: image {image.get('id')} has no 'height' and 'width'; mask AP "
                "decodes the masks at the image size: add them to its images[] entry"
            )
        if not all(_is_id(image[key]) and image[key] >= 0 for key in ("height", "width")):
            raise ValueError(
                f"{source}: image {image.get('id')} has height {image['height']!r} and width "
                f"{image['width']!r}; expected whole numbers of pixels (mask AP decodes the "
                "masks at that size)"
            )
    sizes = {image["id"]: [image["height"], image["width"]] for image in gt["images"]}
    for ann in gt["annotations"]:
        segmentation = ann.get("segmentation")
        where = f"{source}: annotation {ann.get('id')} (image {ann.get('image_id')})"
        if not segmentation:
            raise ValueError(
                f"{where} has no 'segmentation'; mask AP needs polygons or an RLE for every "
                "annotation: add each instance's mask to the file, or score boxes alone (a "
                "model without a mask head, e.g. faster_rcnn; for a predictions file "
                "--iou-type bbox, in Python iou_type='bbox')"
            )
        check_segmentation(segmentation, where)
        if not isinstance(segmentation, dict):
            continue
        if isinstance(segmentation.get("counts"), list):
            check_uncompressed_rle(segmentation, where)
        size = sizes.get(ann.get("image_id"))
        if size is not None and list(segmentation.get("size", size)) != size:
            raise ValueError(
                f"{where} has an RLE of size {segmentation['size']} ([height, width]), but its "
                f"image is {size[0]} x {size[1]} (images[].height, width): mask AP compares "
                "masks at the image size; give the RLE of the mask at that size"
            )
    annotations = gt["annotations"]
    check_rle_strings(
        [ann.get("segmentation") for ann in annotations],
        lambda i: (
            f"{source}: annotation {annotations[i].get('id')} "
            f"(image {annotations[i].get('image_id')})"
        ),
    )


def check_uncompressed_rle(rle: dict, where: str) -> None:
    """Raise a ``ValueError`` naming ``where`` unless the ``counts`` of uncompressed RLE ``rle``
    are non-negative integers that add up to its ``size`` ``[H, W]`` (faster-coco-eval never
    returns on counts that fall short)."""
    size: Any = rle.get("size")
    counts: list = rle["counts"]
    valid_size = isinstance(size, (list, tuple)) and len(size) == 2
    valid_size = valid_size and all(_is_count(v) for v in size)
    if not valid_size:
        raise ValueError(f"{where}: RLE size {size!r} is not [height, width]")
    if not all(map(_is_count, counts)) or sum(counts) != size[0] * size[1]:
        raise ValueError(
            f"{where}: the RLE counts add up to {sum(c for c in counts if _is_count(c))}, "
            f"not {size[0]} x {size[1]} = {size[0] * size[1]} pixels; give the runs of the "
            "whole mask (column by column) as non-negative integers"
        )


def _is_count(value: Any) -> bool:
    """A non-negative integer (numpy integers too, not a bool): an RLE run or side."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 0
