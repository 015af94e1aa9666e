"""Evaluate a predictions file against a COCO ground truth, without a model.

The predictions are a json list in the COCO results format. A record that has a ``file_name``
(as ``tools/infer.py`` writes, whose ``image_id`` is only the position of the image in its
input list) is matched to the ground-truth image whose ``images[].file_name`` is a trailing part
of it and takes that image's id (:func:`detseg.evaluation.file_names.match_file_names`); a
record without ``file_name`` keeps its ``image_id``.

With a VOC metric (``voc07`` / ``voc12``) the VOC mAP at IoU 0.5 leads the report; a
ground-truth annotation with ``difficult: 1`` or ``iscrowd: 1`` is then a difficult object,
ignored by the VOC AP (:func:`detseg.evaluation.voc_coco.voc_evaluate_coco`). The COCO numbers
are pycocotools' on the file, which reads only ``iscrowd``: one with ``difficult: 1`` and
``iscrowd: 0`` counts there as an object to find, with a warning
(:func:`_warn_about_difficult_objects`).

With ``iou_type="segm"`` the masks are scored as well: every record needs a ``segmentation``
(an RLE, or polygons) and every ground-truth annotation too; a record without a ``bbox`` gets
the box of its mask, so the box numbers come beside the mask numbers
(:func:`detseg.evaluation.report.write_detection_report`).
"""

from __future__ import annotations

import logging
import numbers
import os
from collections import Counter
from pathlib import Path
from typing import Any

from detseg.argument_checks import check_output_folder
from detseg.data.coco_eval_defaults import ground_truth_with_eval_defaults
from detseg.data.coco_fields import coco_image_file
from detseg.data.json_files import read_json
from detseg.evaluation.checked_detections import CheckedDetections
from detseg.evaluation.coco import IOU_TYPES
from detseg.evaluation.coco_checks import (
    check_detection,
    check_ground_truth,
    check_rle_strings,
    check_segm_ground_truth,
    check_segmentation,
    check_uncompressed_rle,
    warn_about_ground_truth,
)
from detseg.evaluation.file_names import match_file_names
from detseg.evaluation.gt_file_checks import (
    check_gt_file_names,
    warn_about_category_names,
)
from detseg.evaluation.output_staging import evaluate_staged
from detseg.evaluation.report import EVALUATION_FILES
from detseg.evaluation.summary import EvaluationSummary, write_coco_report
from detseg.evaluation.voc_coco import check_difficult_flags, is_voc_metric, resolve_metric
from detseg.named_settings import NameOnly, SettingError, literal

logger = logging.getLogger(__name__)
_ABSENT = object()  # a key's value when the record lacks it


def evaluate_prediction_files(
    gt: str | os.PathLike,
    predictions: str | os.PathLike,
    out: str | os.PathLike | None = None,
    images_dir: str | os.PathLike | None = None,
    backend: str = "faster",
    iou_type: str = "bbox",
    worst_k: int = 8,
    score_threshold: float = 0.3,
    metric: str = "coco",
) -> EvaluationSummary:
    """Score ``predictions`` against ``gt``; write the COCO report into ``out``.

    Ground-truth annotations whose ``category_id`` or ``image_id`` the gt does not list are
    ignored by the evaluation, with a warning (as predictions of unknown categories are, unless
    all are: an error). Categories without a name or sharing one, and a predictions file without
    any record, are scored with a warning.

    Args:
        gt: COCO ground-truth json (``images``, ``annotations``, ``categories``). An
            annotation without ``area`` or ``iscrowd`` is read as training reads it (its
            mask's pixel count, or its box's ``w * h`` px² without a segmentation; ``0``).
        predictions: json list of COCO results (``bbox`` xywh pixels), e.g. the
            ``predictions.json`` of ``tools/infer.py``.
        out: output folder (default: the folder of ``predictions`` plus ``/eval``; created).
            The files of an earlier evaluation there stay until the new ones are all written,
            and stay as they were when the evaluation fails
            (:mod:`detseg.evaluation.output_staging`); ``gt`` and ``predictions`` are never
            removed.
        images_dir: folder the gt's ``images[].file_name`` are relative to, for the gallery of
            the worst images (``None``: listed without pictures).
        backend: ``"faster"`` or ``"pycocotools"``.
        iou_type: ``"bbox"`` (boxes) or ``"segm"`` (masks, and boxes beside them: see the
            module docstring).
        worst_k, score_threshold: see :func:`detseg.evaluation.summary.write_coco_report`.
        metric: ``"coco"`` (or ``"auto"``, the same without a dataset format), ``"voc07"``
            (11-point) or ``"voc12"`` (all-point VOC AP), reported before the COCO numbers.

    Returns:
        The :class:`~detseg.evaluation.summary.EvaluationSummary` of the written report.

    Raises:
        FileNotFoundError: ``gt`` or ``predictions`` is not a file, ``images_dir`` not a
            folder.
        SettingError: ``images_dir`` holds none of the gt's images, no prediction's
            ``file_name`` names a gt image, or (``segm``) a record has no ``segmentation``: a
            ``ValueError`` whose message names ``images_dir``, ``iou_type='segm'``, ``gt`` and
            ``predictions`` (a tool names its flags by ``error.naming(flags)``).
        NotADirectoryError: ``out`` is a file (checked before anything is read).
        ValueError: a file is not JSON or holds the wrong json type, a malformed record or
            gt annotation (e.g. a bbox that is not four numbers: the message names the file,
            the record's position or the annotation's id, and the field), a duplicate gt image
            id, a gt image without a ``file_name`` where images are found by name
            (``images_dir``, records with a ``file_name``: see
            :mod:`detseg.evaluation.gt_file_checks`), no prediction names a gt image or a gt
            category, an unknown ``metric``, ``iou_type`` or ``backend``, or (``segm``) a
            record or annotation without a ``segmentation``,
            or ``gt`` / ``predictions`` is a file the report writes (``out/metrics.json``).
    """
    if iou_type not in IOU_TYPES:
        raise ValueError(f"iou_type must be one of {IOU_TYPES}, got {iou_type!r}")
    resolved = resolve_metric(metric)
    gt, predictions = Path(gt), Path(predictions)
    out = check_output_folder(out if out is not None else predictions.parent / "eval")
    _check_not_overwritten(out, {"ground truth": gt, "predictions": predictions})
    gt_dict = ground_truth_with_eval_defaults(_read_ground_truth(gt))
    check_ground_truth(gt_dict, str(gt))
    if is_voc_metric(resolved):
        check_difficult_flags(gt_dict["annotations"], str(gt))
    warn_about_ground_truth(gt_dict, str(gt))
    warn_about_category_names(gt_dict, str(gt))
    _warn_about_difficult_objects(gt_dict, str(gt))
    records = _read_predictions(predictions)
    if not records:  # AP and AR are 0 where the gt has objects, else n/a
        zero = ": every AP and AR with ground truth is 0" if gt_dict["annotations"] else ""
        logger.warning("%s holds no detection%s", predictions, zero)
    if images_dir is not None or any(type(r) is dict and "file_name" in r for r in records):
        check_gt_file_names(gt_dict, str(gt))  # images found by file name: each needs one
    segm = iou_type == "segm"
    image_ids = {img["id"] for img in gt_dict["images"]}
    source = str(predictions)
    for i, record in enumerate(records):
        check_detection(record, i, source)
        _check_record(record, i, predictions, image_ids, segm)
    if segm:
        check_rle_strings(
            [record["segmentation"] for record in records],
            lambda i: f"{predictions}: detection {i} (image {_image_of(records[i])!r})",
        )
    records = _known_categories(records, gt_dict, predictions)
    # every record is checked above, once: the evaluation's steps do not check them again
    fields = ("image_id", "category_id", "score", "segmentation" if segm else "bbox")
    detections = CheckedDetections(match_file_names(gt_dict, records), fields)
    if segm:  # the image sizes first: the report rasterises polygons at them
        check_segm_ground_truth(gt_dict, str(gt))
    if images_dir is not None and not Path(images_dir).is_dir():
        state = "is a file, not a folder" if Path(images_dir).exists() else "does not exist"
        raise FileNotFoundError(
            f"images folder {images_dir} {state}: give the folder the ground truth's file "
            "names are relative to (--images with detseg-eval, images_dir in Python), or leave "
            "it out (the worst images are then listed without pictures)"
        )
    if images_dir is not None:
        _check_images_there(gt_dict, Path(images_dir), gt)
    if images_dir is not None:  # tools/infer.py predicts on photos as their EXIF displays them
        # imported here: only an evaluation with images reads the image files
        from detseg.evaluation.prediction_orientation import warn_about_display_frame

        warn_about_display_frame(gt_dict, records, images_dir, gt)
    info = {
        "ground truth": str(gt),
        "predictions": str(predictions),
        "images": len(gt_dict.get("images", [])),
        "backend": backend,
        "metric": resolved,
        "iou type": iou_type,
    }
    kind = f"{resolved.upper()} and COCO" if is_voc_metric(resolved) else "COCO"
    what = "bbox and segm" if segm else "bbox"
    heading = f"{kind} {what} evaluation of {predictions} against {gt}"
    images = Path(images_dir) if images_dir is not None else None
    # the earlier evaluation's files in ``out`` stay until all the new ones are written; then
    # those not rewritten (e.g. an earlier checkpoint run's detections.json) are removed
    return evaluate_staged(
        out,
        lambda stage: write_coco_report(
            stage,
            heading,
            gt_dict,
            detections,
            images,
            info,
            backend,
            worst_k,
            score_threshold,
            resolved,
            segm,
        ),
        keep=[gt, predictions],
    )


def _warn_about_difficult_objects(gt_dict: dict, source: str) -> None:
    """One warning counting the annotations with ``difficult: 1`` (or ``true``) and
    ``iscrowd: 0``: the VOC AP ignores them, but the COCO numbers, pycocotools' on the file,
    count them as objects to find (pycocotools reads only ``iscrowd``)."""
    count = sum(
        1
        for ann in gt_dict["annotations"]
        if isinstance(ann.get("difficult"), numbers.Real)
        and ann["difficult"] == 1
        and ann["iscrowd"] == 0
    )
    if count:
        logger.warning(
            "%s: %d ground-truth annotation(s) have difficult: 1 and iscrowd: 0: the VOC AP "
            "(metric voc07 or voc12) ignores them, while the COCO numbers count them as objects "
            "to find (pycocotools reads only iscrowd); set iscrowd: 1 on them to have the COCO "
            "numbers ignore them too",
            source,
            count,
        )


def _check_images_there(gt_dict: dict, images_dir: Path, gt: Path) -> None:
    """Refuse an images folder that holds none of the ground truth's images (a wrong
    ``--images``: the report would show no picture, with a warning per image).

    Raises:
        SettingError: naming the folder, the first file looked for and what to give, the
            setting as ``images_dir`` (``--images`` by ``naming(flags)``).
    """
    names = [img["file_name"] for img in gt_dict["images"] if img.get("file_name")]
    if not names or any(coco_image_file(images_dir, name).is_file() for name in names):
        return
    first = coco_image_file(images_dir, names[0])
    raise SettingError(
        f"images folder {literal(images_dir)} holds none of the {len(names)} images of "
        f"{literal(gt)} (no {literal(first)}); give the folder their images[].file_name are "
        "relative to ({images_dir}), or leave it out to list the worst images without pictures",
        images_dir=NameOnly("images_dir", placeholder=""),
    )


def _check_not_overwritten(out: Path, inputs: dict[str, Path]) -> None:
    """Refuse an input file (``{what: path}``) that the report would replace: one of the
    :data:`~detseg.evaluation.report.EVALUATION_FILES` of ``out`` it writes (all but
    ``detections.json``), e.g. predictions saved as ``out/metrics.json``.

    Raises:
        ValueError: naming the input file and what to do.
    """
    written = {
        (out / name).resolve(): name for name in EVALUATION_FILES if name != "detections.json"
    }
    for what, path in inputs.items():
        name = written.get(path.resolve())
        if name is not None:
            raise ValueError(
                f"{what} file {path} would be replaced by the report's {name} in {out}: give "
                "another output folder (or move the file)"
            )


def _check_record(record: dict, index: int, source: Path, image_ids: set, segm: bool) -> None:
    """What the evaluation needs of record ``index`` of ``source`` (whose present fields
    :func:`~detseg.evaluation.coco_checks.check_detection` has checked): ``score``, ``category_id``,
    ``bbox`` (``segmentation`` with ``segm``, the box then optional, polygons or an RLE) of a
    size >= 0, and an ``image_id`` of a gt image (or a ``file_name`` string, matched later).

    Raises:
        ValueError: naming ``source``, the detection's position and the missing or bad field.
    """
    if (
        not segm
        and "file_name" not in record
        and "score" in record
        and "category_id" in record
        and "bbox" in record
        and record.get("image_id", _ABSENT) in image_ids
        and record["bbox"][2] >= 0
        and record["bbox"][3] >= 0
    ):
        return  # a box record of a gt image, as most are: checked without a message made
    where = f"{source}: detection {index}"
    if segm and not record.get("segmentation"):
        raise SettingError(
            f"{literal(where)} has no 'segmentation'; {{iou_type}} scores masks: "
            "give each record an RLE or polygons (a Mask R-CNN's detections.json of an "
            "evaluation or predictions.json of inference has them), or leave out "
            "{iou_type} to score the boxes",
            iou_type="segm",
        )
    if segm:
        segmentation = record["segmentation"]
        check_segmentation(segmentation, f"{where} (image {record.get('image_id')!r})")
        if isinstance(segmentation, dict) and isinstance(segmentation["counts"], list):
            # runs that do not cover the mask: named here, with the file, before the evaluation
            check_uncompressed_rle(segmentation, f"{where} (image {record.get('image_id')!r})")
    if "file_name" in record and not isinstance(record["file_name"], str):
        raise ValueError(
            f"{where} has file_name {record['file_name']!r}; expected the image's path as a "
            "string (or no 'file_name', to keep its image_id)"
        )
    needed = ["score", "category_id", *([] if segm else ["bbox"])]
    needed += [] if "file_name" in record else ["image_id"]
    missing = [key for key in needed if key not in record]
    if missing:
        keys = " and ".join(repr(key) for key in missing)
        raise ValueError(
            f"{where} lacks {keys}; every record needs 'image_id' (or 'file_name'), "
            f"'category_id', 'score' and {'segmentation' if segm else 'bbox'!r}"
        )
    if "bbox" in record and min(record["bbox"][2:]) < 0:
        raise ValueError(
            f"{where} has bbox {record['bbox']!r} of negative size; expected [x, y, w, h] "
            "with w, h >= 0 (COCO boxes are xywh, not xyxy)"
        )
    if "file_name" not in record and record["image_id"] not in image_ids:
        some = sorted(image_ids, key=_id_order)[:3]
        raise ValueError(
            f"{where} has image_id {record['image_id']!r}, which is not an image of the ground "
            f"truth (ids e.g. {some}); give the gt's images[].id (or a 'file_name')"
        )


def _image_of(record: dict) -> Any:
    """The image a prediction record names: its ``image_id``, else its ``file_name``."""
    return record.get("image_id", record.get("file_name"))


def _known_categories(records: list[dict], gt: dict, source: Path) -> list[dict]:
    """``records`` without those whose ``category_id`` is not among the gt's ``categories``,
    with one warning naming the first few such ids; COCOeval ignores them in any case, so
    the numbers are the same. When every record is of an unknown category (the category ids of
    another dataset, say), the AP of 0 would be the mix-up's: an error instead.

    Raises:
        ValueError: naming ``source``, the records' category ids and the gt's.
    """
    cat_ids = {c.get("id") for c in gt["categories"] if isinstance(c, dict)}
    unknown = Counter(r["category_id"] for r in records if r["category_id"] not in cat_ids)
    if not unknown:
        return records
    if sum(unknown.values()) == len(records):  # a mix-up: another dataset's ids, say
        raise ValueError(
            f"{source}: no detection has a category_id of the gt's categories (category_id "
            f"{', '.join(map(repr, sorted(unknown, key=_id_order)[:5]))}; the gt's ids are "
            f"{sorted(cat_ids, key=_id_order)[:10]}): give each record the gt's category id (are "
            "the ground truth and the predictions about the same categories?)"
        )
    first = next(i for i, r in enumerate(records) if r["category_id"] not in cat_ids)
    logger.warning(
        "%s: %d detection(s) have a category_id absent from the gt's categories (%s; first: "
        "detection %d), ignored by the evaluation; the gt's category ids are %s",
        source,
        sum(unknown.values()),
        ", ".join(f"category_id {cat!r}: {n}" for cat, n in unknown.most_common(5))
        + (" ..." if len(unknown) > 5 else ""),
        first,
        sorted(cat_ids, key=_id_order)[:10],
    )
    return [r for r in records if r["category_id"] in cat_ids]


def _id_order(value: Any) -> tuple[int, Any]:
    """A sort key for ids as a json file gives them: numbers in numeric order (10 after 9),
    then anything else by its text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


#: What a predictions file holds, for the errors about one of another shape.
_RECORDS_FORMAT = '[{"image_id", "category_id", "bbox", "score"}, ...]'
_SWAPPED = "are the ground truth and the predictions swapped (--gt and --pred)?"


def _read_ground_truth(path: Path) -> dict:
    """The COCO ground truth in ``path``: a json object.

    Raises:
        ValueError: the file holds another json value; for a list (what a predictions file
            holds), asking whether the two files are swapped.
    """
    value = read_json(path, "ground truth")
    if isinstance(value, dict):
        return value
    expected = '{"images": [...], "annotations": [...], "categories": [...]}'
    swapped = f"; a list is what a predictions file holds: {_SWAPPED}"
    raise ValueError(
        f"ground truth {path} holds a json {_json_type(value)}, not an object: expected a "
        f"COCO ground truth {expected}" + (swapped if isinstance(value, list) else "")
    )


def _read_predictions(path: Path) -> list:
    """The records in the predictions file ``path``: a json list.

    Raises:
        ValueError: the file holds another json value, naming the expected format; for an
            object with ``annotations`` or ``images`` (a COCO ground truth's keys), asking
            whether the two files are swapped.
    """
    value = read_json(path, "predictions")
    if isinstance(value, list):
        return value
    message = (
        f"predictions {path} holds a json {_json_type(value)}, not a list: expected the COCO "
        f"results format, a list of detection records {_RECORDS_FORMAT}"
    )
    if isinstance(value, dict) and {"annotations", "images"} & value.keys():
        keys = " and ".join(repr(k) for k in ("images", "annotations") if k in value)
        message += f"; it has {keys}, as a COCO ground truth has: {_SWAPPED}"
    raise ValueError(message)


def _json_type(value: Any) -> str:
    """The json name of ``value``'s type: object, list, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    names: dict[type, str] = {dict: "object", list: "list", str: "string"}
    return names.get(type(value), type(value).__name__)
