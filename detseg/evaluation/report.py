"""A detection evaluation report people can read: ``metrics.json``, plots and one HTML page.

:func:`write_detection_report` runs the COCO evaluation once (keeping its PR
arrays), builds the detection confusion matrix, draws the plots, picks the
images with the lowest per-image F1 and writes everything into one folder::

    metrics.json            the 12 COCO numbers, per-class AP/AP50/AR100, confusion matrix,
                            under "voc" the VOC mAP and per-class AP (VOC metric only), and
                            the 12 mask numbers "segm_AP" ... and "segm_per_class" (segm only)
    pr_curve_iou50.png      overall PR curve at IoU 0.50 (per-class curves faint)
    pr_curve_iou75.png      the same at IoU 0.75
    pr_per_class.png        one small PR plot per class (at most 60: those of lowest AP50)
    confusion_matrix.png    detection confusion matrix at IoU 0.50 (past 28 classes: the 28
                            with most errors, the rest summed in an "other" row/column)
    report.html             self-contained page: every image is an inline data URI

With ``segm=True`` (instance masks: detections with an RLE ``segmentation``) the masks are
scored too (COCO ``iou_type="segm"``), shown in their own tables, and drawn in the gallery: the
ground-truth outlines in white (edged in black), each detection's mask filled in its class
colour. The PR curves, the confusion matrix and the choice of the worst images stay those of
the boxes. Each gallery image is drawn as the evaluated dataset reads it: turned by its EXIF
orientation where the dataset's rule (``displayed``) says so, by default as the COCO reader
reads it: as displayed where its EXIF orientation swaps width and height and its entry states
the displayed size, else as stored (:mod:`detseg.evaluation.report_gallery`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from detseg.argument_checks import check_output_folder
from detseg.data.coco_eval_defaults import ground_truth_with_eval_defaults
from detseg.data.json_files import read_json
from detseg.evaluation.checked_detections import CheckedDetections, checked_fields
from detseg.evaluation.coco import coco_evaluate, segm_metrics
from detseg.evaluation.coco_checks import check_segmentation
from detseg.evaluation.coco_format import segmentation_mask
from detseg.evaluation.detection_confusion import (
    DetectionConfusion,
    detection_confusion,
    plot_confusion_matrix,
)
from detseg.evaluation.pr_curves import (
    PRCurves,
    evaluate_with_arrays,
    plot_pr_curve,
    plot_pr_per_class,
)
from detseg.evaluation.report_gallery import DisplayedRule, worst_images
from detseg.evaluation.report_html import render_report_html
from detseg.evaluation.voc_coco import is_voc_metric, voc_evaluate_coco

logger = logging.getLogger(__name__)

MATCH_IOU = 0.5
PLOT_FILES = {
    "pr_curve_iou50.png": "Precision-recall at IoU 0.50",
    "pr_curve_iou75.png": "Precision-recall at IoU 0.75",
    "pr_per_class.png": "Precision-recall per class",
    "confusion_matrix.png": "Confusion matrix at IoU 0.50",
}
#: Most panels of ``pr_per_class.png``: with more classes it shows those of lowest AP50.
MAX_PR_PANELS = 60
#: Every file an evaluation (``tools/eval.py``) may write into its output folder, of a detector
#: (this report and ``detections.json``) or of a segmenter (``metrics.json`` and
#: ``confusion_matrix.png``).
EVALUATION_FILES = ("metrics.json", *PLOT_FILES, "report.html", "detections.json")


def remove_stale_outputs(
    out_dir: str | os.PathLike, keep: Sequence[str | os.PathLike] = ()
) -> list[Path]:
    """Delete the :data:`EVALUATION_FILES` an earlier evaluation left in ``out_dir``, so that a
    new evaluation into the same folder leaves no file of the old one beside its own (a
    detector's ``report.html`` beside a segmenter's ``metrics.json``). Files named in ``keep``
    (the inputs of the new evaluation) stay; other files of the folder are never touched.

    Returns:
        The deleted paths.
    """
    out = Path(out_dir)
    kept = {Path(path).resolve() for path in keep}
    removed = []
    for name in EVALUATION_FILES:
        path = out / name
        if path.is_file() and path.resolve() not in kept:
            path.unlink()
            removed.append(path)
    if removed:
        logger.info("removed the earlier evaluation's %s", ", ".join(str(p) for p in removed))
    return removed


def write_detection_report(
    out_dir: str | os.PathLike,
    gt: str | os.PathLike | dict,
    detections: str | os.PathLike | Sequence[dict],
    images_dir: str | os.PathLike | None = None,
    metrics: Mapping[str, Any] | None = None,
    title: str = "Detection report",
    worst_k: int = 8,
    score_threshold: float = 0.3,
    backend: str = "faster",
    info: Mapping[str, Any] | None = None,
    metric: str = "coco",
    segm: bool = False,
    displayed: DisplayedRule | None = None,
) -> Path:
    """Writes the evaluation report of one set of detections into ``out_dir``.

    Args:
        out_dir: output folder (created); existing report files are overwritten.
        gt: COCO ground truth, a json path or dict (``images`` with ``id``,
            ``file_name``, ``width``, ``height``; ``annotations``; ``categories``); an
            annotation without ``area`` / ``iscrowd`` gets the COCO reader's values (its
            mask's pixel count or its box's ``w * h``; ``0``).
        detections: COCO results (a list, or the path of a results json file),
            each with ``image_id``, ``category_id``, ``score``, ``bbox`` (xywh px).
        images_dir: folder that ``images[].file_name`` is relative to; without
            it (or for missing files) the worst images are listed without pictures.
        metrics: a ``coco_evaluate`` result already computed for these inputs
            (12 numbers + ``per_class``): shown and saved as given. ``None``
            uses the numbers of the evaluation this function runs anyway (for
            the PR arrays).
        title: page title.
        worst_k: how many of the lowest-F1 images to show (0: none).
        score_threshold: detections below it are left out of the confusion
            matrix, the per-image F1 and the drawings (COCO AP uses them all).
        backend: ``"faster"`` or ``"pycocotools"`` (see ``coco_evaluate``).
        info: run facts shown at the top and saved under ``"info"`` (checkpoint,
            model, dataset, ...); values must be json-serialisable.
        metric: ``"coco"``, or ``"voc07"`` / ``"voc12"``: the VOC AP of
            :func:`detseg.evaluation.voc_coco.voc_evaluate_coco` (IoU 0.5, difficult
            or crowd objects ignored) is then saved under ``"voc"`` in ``metrics.json``
            (``metric``, ``iou_threshold``, ``mAP``, ``per_class``) and shown first on
            the page, the COCO numbers beside it.
        segm: also score the masks (every detection needs a ``segmentation``, every gt
            annotation too, and every gt image its ``height`` and ``width``): ``segm_AP`` ...
            ``segm_ARl`` and ``segm_per_class`` in ``metrics.json`` and on the page, masks
            drawn in the gallery (see the module docstring). A detection without ``bbox`` gets
            the box of its mask for the box numbers, the confusion matrix and the gallery;
            when no detection has a ``bbox``, the mask numbers take each detection's area
            from its mask, as pycocotools does for such results. ``metrics``, when given, must
            then hold the mask numbers too.
        displayed: whether a gallery image tagged with an EXIF orientation is drawn as
            displayed, ``displayed(image_id, orientation, stored (H, W))``: the evaluated
            dataset's rule (:meth:`~detseg.data.base.ImageDataset.reads_as_displayed`; a YOLO
            dataset reads every tagged image as displayed). ``None``: the COCO reader's rule,
            by the size the image's entry states.

    Returns:
        The path of ``report.html``.

    Raises:
        ValueError: on bad inputs (see ``coco_evaluate``), ``worst_k < 0``, ``gt`` /
            ``detections`` of the wrong json type, or ``metrics`` without the COCO keys.
        FileNotFoundError: ``gt`` or ``detections`` is a path that is not a file.
        NotADirectoryError: ``out_dir`` is a file.
    """
    if worst_k < 0:
        raise ValueError(f"worst_k must be >= 0, got {worst_k}")
    out = check_output_folder(out_dir, name="report folder")
    out.mkdir(parents=True, exist_ok=True)
    gt_dict = ground_truth_with_eval_defaults(_load_json(gt, "gt", dict))
    records = _load_json(detections, "detections", list)
    dets = _with_mask_boxes(records, gt_dict) if segm else records
    computed, curves = evaluate_with_arrays(gt_dict, dets, "bbox", backend)
    metrics = _check_metrics(metrics) if metrics is not None else computed
    if segm and metrics is computed:
        # records without boxes are scored as pycocotools scores them: the area of a detection
        # (small, medium, large) is its mask's, not that of the box it got for the box numbers
        scored = dets if any("bbox" in r for r in records) else records
        metrics = {**metrics, **segm_metrics(coco_evaluate(gt_dict, scored, "segm", backend))}
    if is_voc_metric(metric):
        metrics = {**metrics, "voc": voc_evaluate_coco(gt_dict, dets, metric)}
    confusion = detection_confusion(gt_dict, dets, MATCH_IOU, score_threshold)
    captions = _draw_plots(out, curves, confusion)
    _write_metrics_json(out / "metrics.json", metrics, confusion, info)
    gallery, note = worst_images(gt_dict, dets, confusion, images_dir, worst_k, segm, displayed)
    page = render_report_html(
        title=title,
        metrics=metrics,
        class_counts=_class_counts(confusion),
        plots={caption: _data_uri(out / name, "image/png") for name, caption in captions.items()},
        gallery=gallery,
        gallery_note=note,
        info={**(info or {}), "score threshold": score_threshold, "match IoU": MATCH_IOU},
    )
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    # Debug level: inside evaluate_staged ``out`` is the hidden staging folder; the summary's
    # ``wrote`` lines name the report at its final path once it is moved there.
    logger.debug("wrote the evaluation report %s", path)
    return path


def _draw_plots(out: Path, curves: PRCurves, confusion: DetectionConfusion) -> dict[str, str]:
    """Write the :data:`PLOT_FILES` into ``out``; return ``{file name: caption}``.

    Class names are drawn as written (the plotting functions turn matplotlib's TeX parsing
    off: a name with ``$`` signs is no formula). The per-class PR plot has at most
    :data:`MAX_PR_PANELS` panels (:func:`_pr_panels`).
    """
    panels, caption = _pr_panels(curves)
    plot_pr_curve(curves, 0.5, out / "pr_curve_iou50.png")
    plot_pr_curve(curves, 0.75, out / "pr_curve_iou75.png")
    plot_pr_per_class(panels, out / "pr_per_class.png")
    plot_confusion_matrix(confusion.matrix, confusion.class_names, out / "confusion_matrix.png")
    return {**PLOT_FILES, "pr_per_class.png": caption}


def _pr_panels(curves: PRCurves) -> tuple[PRCurves, str]:
    """The classes of the per-class PR plot and its caption: every class, or with more than
    :data:`MAX_PR_PANELS` classes the :data:`MAX_PR_PANELS` classes with ground truth of lowest
    AP50, lowest first (a panel per class of a large vocabulary takes minutes to draw, and past
    about 1,400 classes the picture is taller than a PNG can be)."""
    num_classes = len(curves.class_names)
    if num_classes <= MAX_PR_PANELS:
        return curves, PLOT_FILES["pr_per_class.png"]
    precision = curves.per_class(0.5)  # Float64[R, K]; -1 for a class without ground truth
    ap50 = precision.mean(axis=0)
    with_gt = np.flatnonzero(precision[0] > -1)
    keep = sorted(with_gt, key=lambda k: (ap50[k], k))[:MAX_PR_PANELS]
    subset = PRCurves(
        recall=curves.recall,
        precision=curves.precision[:, :, keep],
        iou_thresholds=curves.iou_thresholds,
        class_names=[curves.class_names[k] for k in keep],
    )
    if not keep:
        return subset, (
            f"Precision-recall per class: none of the {num_classes} classes has ground truth "
            "(every AP in metrics.json)"
        )
    caption = (
        f"Precision-recall per class: the {len(keep)} classes of lowest AP50, of "
        f"{num_classes} ({len(with_gt)} with ground truth; every AP in metrics.json)"
    )
    return subset, caption


def _with_mask_boxes(detections: list[dict], gt: dict) -> list[dict]:
    """``detections`` where a record without ``bbox`` but with a ``segmentation`` has the box
    (xywh px) of its mask, rasterised at its gt image's ``height`` x ``width``. Of
    :class:`~detseg.evaluation.checked_detections.CheckedDetections` (their masks checked) it
    is one too, holding ``bbox`` where every record then has one."""
    sizes = {img.get("id"): (img.get("height"), img.get("width")) for img in gt["images"]}
    checked = checked_fields(detections, ("segmentation",))
    boxed = True  # whether every record has a bbox
    out = []
    for i, det in enumerate(detections):
        if "bbox" not in det and det.get("segmentation"):
            if not checked:
                where = f"detection {i} (image {det.get('image_id')!r})"
                check_segmentation(det["segmentation"], where)
            height, width = sizes.get(det.get("image_id"), (None, None))
            mask = segmentation_mask(det["segmentation"], int(height or 0), int(width or 0))
            rle = mask_utils.encode(np.asfortranarray(mask))
            det = {**det, "bbox": [float(v) for v in mask_utils.toBbox(rle)]}
        boxed = boxed and "bbox" in det
        out.append(det)
    if isinstance(detections, CheckedDetections):
        return CheckedDetections(out, detections.fields | ({"bbox"} if boxed else set()))
    return out


def _load_json(value: Any, name: str, kind: type) -> Any:
    """``value``, or the json of the file it names, as a ``kind`` (a tuple passes as a list).

    Raises:
        FileNotFoundError: the path is not a file.
        ValueError: the file is not UTF-8 JSON, or the value is not a ``kind`` (the message
            names ``name`` and the file).
    """
    where = name
    if isinstance(value, (str, os.PathLike)):
        where = f"{name} {value}"
        value = read_json(value, name)
    if kind is list and isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, kind):
        raise ValueError(f"{where} must be a {kind.__name__} or a json file holding one")
    return value


def _check_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``metrics``; ``ValueError`` without ``AP``, ``AP50``, ``AP75``, ``per_class``."""
    missing = [k for k in ("AP", "AP50", "AP75", "per_class") if k not in metrics]
    if missing:
        raise ValueError(f"metrics lacks {missing}; pass the dict coco_evaluate returns, or None")
    return dict(metrics)


def _write_metrics_json(
    path: Path, metrics: dict, confusion: DetectionConfusion, info: Mapping[str, Any] | None
) -> None:
    """Write ``metrics`` plus ``confusion_matrix`` and ``info`` entries as indented json, each
    row of the matrix on one line (indented, a 1,000-class matrix took a million lines)."""
    data = dict(metrics)
    data["confusion_matrix"] = {
        "classes": confusion.class_names,
        "matrix": None,  # the marker below, which no other value of data spells
        "rows": "ground truth (last: background = false positives)",
        "columns": "predicted (last: background = missed)",
        "iou_threshold": confusion.iou_threshold,
        "score_threshold": confusion.score_threshold,
    }
    data["info"] = dict(info or {})
    marker, others = "matrix rows", json.dumps(data)
    while json.dumps(marker) in others:
        marker += "_"
    data["confusion_matrix"]["matrix"] = marker
    rows = ",\n".join(f"      {json.dumps(row)}" for row in confusion.matrix.tolist())
    text = json.dumps(data, indent=2).replace(
        f'"matrix": {json.dumps(marker)}', f'"matrix": [\n{rows}\n    ]', 1
    )
    path.write_text(text, encoding="utf-8")


def _class_counts(confusion: DetectionConfusion) -> dict[str, dict[str, int]]:
    """Per class gt count and TP / FP / FN at the confusion matrix's thresholds."""
    matrix = confusion.matrix
    counts = {}
    for k, name in enumerate(confusion.class_names[:-1]):
        tp = int(matrix[k, k])
        counts[name] = {
            "gt": int(matrix[k].sum()),
            "TP": tp,
            "FP": int(matrix[:, k].sum()) - tp,
            "FN": int(matrix[k].sum()) - tp,
        }
    return counts


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
