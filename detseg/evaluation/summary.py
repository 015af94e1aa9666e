"""What one evaluation of a model or of a predictions file found, as ``tools/eval.py`` prints it.

:func:`write_coco_report` writes the detection report (``detseg.evaluation.report``) and
returns its :class:`EvaluationSummary`; the segmentation evaluation of
:mod:`detseg.evaluation.checkpoint_eval` returns one too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detseg.evaluation.coco import COCO_KEYS, SEGM_KEYS, SEGM_PER_CLASS_KEY
from detseg.evaluation.report import write_detection_report
from detseg.evaluation.report_gallery import DisplayedRule
from detseg.evaluation.table import coco_table, voc_table

logger = logging.getLogger(__name__)


@dataclass
class EvaluationSummary:
    """The numbers of one evaluation and the files it wrote.

    Attributes:
        heading: what was evaluated on what, e.g.
            ``"COCO bbox evaluation of runs/demo/best.pt on 300 images"``.
        table: the numbers as a text table (the VOC mAP and per-class AP when a VOC metric was
            asked for, the 12 COCO numbers and per-class AP, or mIoU and the IoU of each class).
        metrics: the content of ``metrics.json``.
        wrote: one line per written output, e.g. ``"Wrote runs/demo/eval/detections.json"``.
    """

    heading: str
    table: str
    metrics: dict[str, Any]
    wrote: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The heading, the table and the written files, as one printable text."""
        return "\n".join([f"{self.heading}:", "", self.table, "", *self.wrote])


def write_coco_report(
    out: Path,
    heading: str,
    gt: dict,
    detections: list[dict],
    images_dir: Path | None,
    info: dict[str, Any],
    backend: str,
    worst_k: int = 8,
    score_threshold: float = 0.3,
    metric: str = "coco",
    segm: bool = False,
    displayed: DisplayedRule | None = None,
) -> EvaluationSummary:
    """Write the report of one COCO bbox evaluation (VOC AP, mask AP too) into ``out``;
    summarise it.

    Args:
        out: output folder: ``metrics.json``, PR curves, ``confusion_matrix.png``,
            ``report.html`` (see :func:`detseg.evaluation.report.write_detection_report`).
        heading: the report's title and the summary's heading.
        gt: COCO ground truth dict; ``images[].file_name`` relative to ``images_dir``.
        detections: COCO results (``bbox`` xywh pixels).
        images_dir: folder of the ground-truth images, for the gallery of the worst images;
            ``None`` lists them without pictures.
        info: run facts stored in ``metrics.json`` and shown on the page.
        backend: ``"faster"`` or ``"pycocotools"``.
        worst_k: images in the gallery.
        score_threshold: detections below it are left out of the confusion matrix and the
            gallery (COCO AP uses them all).
        metric: ``"coco"``, or ``"voc07"`` / ``"voc12"``: the VOC mAP and per-class AP are
            then the first table and the ``voc`` entry of ``metrics.json``.
        segm: also score the detections' masks (RLE ``segmentation``) against the gt's: the
            12 mask numbers (``segm_AP`` ...) follow the box table.
        displayed: the evaluated dataset's rule of which gallery images are drawn as
            displayed (EXIF orientation applied); ``None``: the COCO reader's rule (see
            :func:`detseg.evaluation.report.write_detection_report`).

    Returns:
        The summary: ``heading``, the text tables, ``metrics.json``'s content, one ``wrote``
        line.

    Raises:
        ValueError: as :func:`detseg.evaluation.report.write_detection_report`.
        NotADirectoryError: ``out`` is a file.
    """
    # COCOeval reports no progress of its own: say what the next seconds or minutes are spent on
    logger.info(
        "COCO %s evaluation (%s) of %d images, %d detections; then the report",
        "bbox + segm" if segm else "bbox",
        "faster-coco-eval" if backend == "faster" else backend,
        len(gt.get("images", [])),
        len(detections),
    )
    page = write_detection_report(
        out,
        gt,
        detections,
        images_dir=images_dir,
        title=heading,
        worst_k=worst_k,
        score_threshold=score_threshold,
        backend=backend,
        info=info,
        metric=metric,
        segm=segm,
        displayed=displayed,
    )
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    table = coco_table({k: metrics[k] for k in (*COCO_KEYS, "per_class")})
    if segm:
        masks = {k: metrics[s] for k, s in zip(COCO_KEYS, SEGM_KEYS, strict=True)}
        masks_table = coco_table({**masks, "per_class": metrics[SEGM_PER_CLASS_KEY]})
        table = f"COCO bbox:\n{table}\n\nCOCO segm (masks):\n{masks_table}"
    elif "voc" in metrics:
        table = f"COCO bbox:\n{table}"
    if "voc" in metrics:
        table = f"{voc_table(metrics['voc'])}\n\n{table}"
    wrote = f"Wrote {page} with metrics.json, PR curves and confusion_matrix.png in {out}/"
    return EvaluationSummary(heading=heading, table=table, metrics=metrics, wrote=[wrote])
