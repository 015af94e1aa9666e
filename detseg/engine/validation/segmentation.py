"""Semantic segmentation evaluation of a model over a dataset (mIoU and friends).

``evaluate_segmentation`` predicts every batch of a loader of
:class:`~detseg.data.seg_loader.SegBatch` es (eval mode, no gradients) and adds the
label maps to one streaming :class:`~detseg.evaluation.segmentation.ConfusionMatrix`,
so memory does not grow with the dataset. Padding pixels (mask value 255) and
void pixels are ignored. The images of a batch are labelled at their own sizes
(:meth:`~detseg.segmentation.inference.SegmentationInference.padded_batch_labels`), so the
numbers do not depend on ``eval.batch_size`` or on which images share a batch.
``segmentation_table`` and ``write_segmentation_metrics`` present the result
(``tools/eval.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence, Sized
from pathlib import Path
from typing import Any

import torch
from torch import nn

from detseg.engine.records.metric_log import _json_safe, progress
from detseg.engine.runtime.device import AmpMode, autocast_context
from detseg.evaluation.segmentation import ConfusionMatrix
from detseg.evaluation.table import format_table
from detseg.segmentation.inference import SegmentationInference

logger = logging.getLogger(__name__)

#: The overall numbers of a segmentation evaluation, in display order.
SEG_KEYS = ("mIoU", "pixel_acc", "mean_acc", "fwIoU")


@torch.no_grad()
def evaluate_segmentation(
    model: nn.Module,
    loader: Iterable[Any],
    device: torch.device,
    num_classes: int,
    amp: AmpMode = "none",
    ignore_index: int = 255,
    inference: SegmentationInference | None = None,
) -> dict[str, Any]:
    """mIoU, per-class IoU, pixel / mean accuracy and fwIoU of ``model`` on ``loader``.

    Args:
        model: segmenter with ``predict(images Float[B, 3, H, W]) -> Int64[B, H, W]``.
        loader: yields ``SegBatch(images Float[B, 3, H, W], masks Int64[B, H, W], ...)``;
            a batch whose images were all unreadable is skipped.
        device: where the model lives.
        num_classes: classes counted by the matrix, background included (``K + 1``).
        amp: autocast mode for the forward pass (CUDA only).
        ignore_index: mask value that is not counted (void and padding).
        inference: how labels are made (test-time augmentation, CRF); ``None``: one plain
            ``model.predict`` per batch.

    Returns:
        :meth:`ConfusionMatrix.compute`'s dict (``mIoU``, ``IoU`` list of ``K + 1``
        floats with ``nan`` for absent classes, ``pixel_acc``, ``mean_acc``, ``fwIoU``,
        ``absent_classes``) plus ``images`` (how many were evaluated).
    """
    inference = inference or SegmentationInference()
    was_training = model.training
    model.eval()
    matrix = ConfusionMatrix(num_classes, ignore_index)
    images = 0
    total = len(loader) if isinstance(loader, Sized) else None
    for batch in progress(loader, desc="eval", total=total):
        if len(batch) == 0:
            continue
        with autocast_context(device, amp):
            images_on_device = batch.images.to(device, non_blocking=True)
            labels = inference.padded_batch_labels(model, images_on_device, batch.image_sizes)
        matrix.update(labels.cpu(), batch.masks)
        images += len(batch)
    model.train(was_training)
    metrics = {**matrix.compute(), "images": images}
    logger.info(
        "mIoU %.4f  pixel acc %.4f  (%d images)", metrics["mIoU"], metrics["pixel_acc"], images
    )
    return metrics


#: The table's last line when no pixel was scored (the confusion matrix is empty).
NOTHING_SCORED = (
    "No pixel was scored: the ground truth of {images} image(s) is void (255) everywhere, "
    "so every number is nan; check the label maps (detseg-check-data, tools/check_data.py, "
    "counts each class's pixels)"
)


def segmentation_table(metrics: dict[str, Any], classes: Sequence[str], digits: int = 3) -> str:
    """Text table: the overall numbers, then IoU per class, then the absent classes.

    Args:
        metrics: the dict of :func:`evaluate_segmentation`.
        classes: the ``K`` foreground class names (label ``k`` is ``classes[k - 1]``).
        digits: decimals shown.
    """
    names = class_names_with_background(classes)
    if len(metrics["IoU"]) != len(names):
        raise ValueError(
            f"metrics have {len(metrics['IoU'])} IoU values for {len(names)} classes "
            f"(background + {list(classes)}); were they computed with num_classes=K+1?"
        )
    text = format_table(list(SEG_KEYS), [[metrics[k] for k in SEG_KEYS]], digits)
    rows = [[name, iou] for name, iou in zip(names, metrics["IoU"], strict=True)]
    text += "\n\n" + format_table(["class", "IoU"], rows, digits)
    absent = [names[c] for c in metrics.get("absent_classes", [])]
    if len(absent) == len(names):  # an empty confusion matrix
        images = metrics.get("images")
        text += "\n\n" + (
            "No image was scored (none could be read)"
            if images == 0
            else NOTHING_SCORED.format(images="the" if images is None else f"the {images}")
        )
    elif absent:
        text += (
            f"\n\nAbsent classes (in neither the ground truth nor the predictions; IoU nan, "
            f"left out of every mean): {', '.join(absent)}"
        )
    return text


def class_names_with_background(classes: Sequence[str]) -> list[str]:
    """``["background", *classes]``: the name of each label ``0..K``."""
    return ["background", *classes]


def write_segmentation_metrics(
    out: str | Path, metrics: dict[str, Any], classes: Sequence[str], info: dict[str, Any]
) -> Path:
    """Write ``OUT/metrics.json``: the overall numbers, IoU by class name, absent classes,
    and the pixel counts of the confusion matrix.

    ``confusion_matrix`` holds ``classes`` (the names of labels ``0..K``, background first),
    ``matrix`` (``K + 1`` lists of ``K + 1`` ints: row ``i``, column ``j`` counts the pixels of
    ground truth ``i`` predicted ``j``; void pixels are not counted), and ``rows`` /
    ``columns`` saying so, as a detector's ``metrics.json`` lays out its own matrix. Every
    number of the file, and ``confusion_matrix.png``, can be recomputed from the counts
    (:meth:`~detseg.evaluation.segmentation.ConfusionMatrix.compute`); each row is written
    on one line. Non-finite numbers (the IoU of an absent class) are written as the string
    ``"nan"`` so that the file stays valid JSON.

    Args:
        out: output folder (created if missing).
        metrics: the dict of :func:`evaluate_segmentation` (a dict without
            ``confusion_matrix`` writes none).
        classes: the ``K`` foreground class names.
        info: run facts stored under ``"info"`` (checkpoint, dataset, images, ...).

    Returns:
        The path of ``metrics.json``.
    """
    names = class_names_with_background(classes)
    record: dict[str, Any] = {
        **{k: metrics[k] for k in SEG_KEYS},
        "IoU": dict(zip(names, metrics["IoU"], strict=True)),
        "absent_classes": [names[c] for c in metrics.get("absent_classes", [])],
        "num_classes": len(names),
    }
    rows: list[list[int]] | None = None
    if "confusion_matrix" in metrics:
        rows = [[int(count) for count in row] for row in metrics["confusion_matrix"]]
        record["confusion_matrix"] = {
            "classes": names,
            "matrix": None,  # written below, one row per line
            "rows": "ground truth (void pixels not counted)",
            "columns": "predicted",
        }
    record["info"] = info
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "metrics.json"
    path.write_text(_json_with_matrix_rows(_json_safe(record), rows), encoding="utf-8")
    return path


def _json_with_matrix_rows(record: dict[str, Any], rows: list[list[int]] | None) -> str:
    """``record`` as indented JSON, ``confusion_matrix.matrix`` replaced by ``rows`` written
    one row per line (indented item by item, a 150-class matrix would take 22,500 lines)."""
    if rows is None:
        return json.dumps(record, indent=1)
    marker, others = "matrix rows", json.dumps(record)
    while json.dumps(marker) in others:  # a text that no other value of the record spells
        marker += "_"
    record["confusion_matrix"]["matrix"] = marker
    lines = ",\n".join(f"   {json.dumps(row)}" for row in rows)
    return json.dumps(record, indent=1).replace(
        f'"matrix": {json.dumps(marker)}', f'"matrix": [\n{lines}\n  ]', 1
    )
