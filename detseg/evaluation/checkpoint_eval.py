"""Evaluate a checkpoint on its validation split: COCO report of a detector, mIoU of a segmenter.

The checkpoint holds everything needed: model settings, classes and the data config, which
``overrides`` (``"key=value"`` strings, as ``--set`` takes them) can change, e.g.
``data.root=/data/shapes`` or ``eval.max_images=100``.

- A detector predicts on the val split; :func:`evaluate_detector` writes the COCO report
  (``metrics.json``, PR curves, ``confusion_matrix.png``, ``report.html`` with a gallery of the
  worst images) and ``detections.json`` (COCO results). With a VOC metric (the config's
  ``eval.metric``: ``auto`` on VOC data, ``voc07``, ``voc12``) the VOC mAP and per-class AP
  lead the report, the COCO numbers beside them. A model with masks (Mask R-CNN) on COCO data
  is scored on its masks too (``segm_AP`` ... beside the box numbers; masks drawn in the
  gallery), and its detections carry RLE ``segmentation`` binarised at its
  ``mask_threshold``; on a COCO json without any ``segmentation`` (or VOC, YOLO data) on its
  boxes alone, with a warning.
- A segmenter's label maps (made as the config's ``eval.tta``, ``eval.tta_scales`` and
  ``eval.crf`` say) are compared pixel by pixel with the val split's (void pixels, 255,
  ignored); :func:`evaluate_segmenter` writes ``metrics.json`` and ``confusion_matrix.png``
  (the pixel confusion matrix, each row normalised, class names on the axes).

Both write into a hidden folder of the output folder and move the files out only once all are
written (:mod:`detseg.evaluation.output_staging`): a failed evaluation leaves the earlier
results as they were.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from detseg.argument_checks import check_output_folder
from detseg.config import config_from_dict
from detseg.data.loader import build_loader
from detseg.data.loader_workers import shutdown_workers
from detseg.data.registry import DATA_DEFAULTS, build_dataset, with_known_classes
from detseg.data.said_once import say_dataset_warnings_once
from detseg.data.seg_loader import build_segmentation_loader
from detseg.engine.checkpointing import load_checkpoint, model_from_checkpoint
from detseg.engine.runtime import resolve_amp, resolve_device
from detseg.engine.training.model_setup import check_model_task
from detseg.engine.validation import (
    DatasetHead,
    annotation_source,
    class_names_with_background,
    coco_ground_truth,
    evaluate_segmentation,
    has_masks,
    predict_batches,
    segmentation_table,
    write_segmentation_metrics,
)
from detseg.evaluation.coco_checks import ground_truth_has_masks
from detseg.evaluation.coco_format import predictions_to_coco_results
from detseg.evaluation.confusion_plot import save_confusion_matrix
from detseg.evaluation.output_staging import evaluate_staged
from detseg.evaluation.report_gallery import DisplayedRule
from detseg.evaluation.segmentation_scored import check_some_pixel_scored
from detseg.evaluation.summary import EvaluationSummary, write_coco_report
from detseg.evaluation.voc_coco import is_voc_metric, resolve_metric
from detseg.segmentation.inference import SegmentationInference

logger = logging.getLogger(__name__)


def evaluate_checkpoint(
    checkpoint: str | os.PathLike,
    out: str | os.PathLike | None = None,
    overrides: Sequence[str] = (),
    backend: str | None = None,
    worst_k: int = 8,
    score_threshold: float = 0.3,
    metric: str | None = None,
    data_file: str | os.PathLike | None = None,
) -> EvaluationSummary:
    """Evaluate ``checkpoint`` on the val split of its config; write the results into ``out``.

    Args:
        checkpoint: a ``best.pt`` / ``last.pt`` written by training.
        out: output folder (default: the checkpoint's folder plus ``/eval``; created). The
            files of an earlier evaluation there stay until the new ones are all written, and
            stay as they were when the evaluation fails
            (:mod:`detseg.evaluation.output_staging`).
        overrides: ``"key=value"`` changes of the checkpoint's config.
        backend: COCOeval implementation, ``"faster"`` or ``"pycocotools"`` (default: the
            config's ``eval.backend``); detection only.
        worst_k, score_threshold: gallery size and score threshold of the detection report
            (see :func:`detseg.evaluation.summary.write_coco_report`).
        metric: detection metric, ``"auto"``, ``"coco"``, ``"voc07"`` or ``"voc12"``
            (default: the config's ``eval.metric``; ``auto`` is ``voc07`` on VOC data).
        data_file: a data yaml (``detseg.config.load_data_file``) that replaces the
            checkpoint's data section: evaluate on another dataset of the same classes.

    Returns:
        The summary of :func:`evaluate_segmenter` or :func:`evaluate_detector`.

    Raises:
        ConfigError: a bad override, or the model's task (detection, segmentation) is not
            the data's (``data.format``).
        CheckpointError: an unreadable checkpoint.
        ValueError: the val split's classes differ from the checkpoint's.
        NotADirectoryError: ``out`` is a file (checked before any work).
    """
    checkpoint = Path(checkpoint)
    out = check_output_folder(out if out is not None else checkpoint.parent / "eval")
    state = load_checkpoint(checkpoint)
    overrides = [*overrides, *([f"eval.backend={backend}"] if backend else [])]
    overrides = [*overrides, *([f"eval.metric={metric}"] if metric else [])]
    cfg = config_from_dict(
        state["config"], source=str(checkpoint), overrides=overrides, data_file=data_file
    )
    device = resolve_device(cfg.device)
    model, _, classes = model_from_checkpoint(
        state, device, cfg.model.to_dict(), source=str(checkpoint)
    )
    check_model_task(model, cfg, source=str(checkpoint))  # before any data is read
    say_dataset_warnings_once()  # the ground truth and the predictions read the same images
    val_set: Any = build_dataset(with_known_classes(cfg.data.dataset_kwargs(), classes), "val")
    if list(val_set.classes) != classes:
        raise ValueError(
            f"the val split's classes {val_set.classes} differ from the checkpoint's {classes}: "
            "evaluate on data of the same classes (or set data.classes to the checkpoint's)"
        )
    if cfg.eval.max_images is not None:
        val_set = DatasetHead(val_set, cfg.eval.max_images)
    if getattr(model, "task", "detection") == "segmentation":
        return evaluate_segmenter(checkpoint, cfg, model, val_set, classes, device, out)
    return evaluate_detector(checkpoint, cfg, model, val_set, device, out, worst_k, score_threshold)


@contextlib.contextmanager
def _evaluation_loader(
    build: Callable[..., DataLoader], val_set: Any, cfg: Any, device: torch.device
) -> Iterator[DataLoader]:
    """``build`` (the detection or the segmentation loader) over ``val_set`` in order: batches
    of ``eval.batch_size``, the run's workers and prefetching, pinned on CUDA.

    A context manager: its worker processes end with the block, by an error too (see
    :func:`~detseg.data.loader_workers.shutdown_workers`).
    """
    loader = build(
        val_set,
        cfg.eval.batch_size,
        False,
        cfg.train.num_workers,
        device=device,
        prefetch_factor=cfg.train.prefetch_factor,
    )
    try:
        yield loader
    finally:
        shutdown_workers(loader)


def evaluate_detector(
    checkpoint: Path,
    cfg: Any,
    model: nn.Module,
    val_set: Any,
    device: torch.device,
    out: Path,
    worst_k: int = 8,
    score_threshold: float = 0.3,
) -> EvaluationSummary:
    """Predict on ``val_set``; write the COCO report and ``out/detections.json``.

    Args:
        checkpoint: where the model comes from (named in the report).
        cfg: the checkpoint's config (``detseg.config``), overrides applied.
        model: the detector, on ``device``.
        val_set: the val split (or its first ``eval.max_images`` images).
        device: where the model runs.
        out: output folder, staged (:func:`~detseg.evaluation.output_staging.evaluate_staged`).
        worst_k, score_threshold: see :func:`detseg.evaluation.summary.write_coco_report`.

    Returns:
        The report's summary, ``detections.json`` added to its ``wrote`` lines.
    """
    # the earlier evaluation's files in ``out`` stay until all the new ones are written
    return evaluate_staged(
        out,
        lambda stage: _write_detector_evaluation(
            checkpoint, cfg, model, val_set, device, stage, worst_k, score_threshold
        ),
    )


def _write_detector_evaluation(
    checkpoint: Path,
    cfg: Any,
    model: nn.Module,
    val_set: Any,
    device: torch.device,
    out: Path,
    worst_k: int,
    score_threshold: float,
) -> EvaluationSummary:
    """:func:`evaluate_detector` writing straight into ``out`` (a staging folder)."""
    metric = resolve_metric(cfg.eval.metric, cfg.data.format)
    gt = coco_ground_truth(val_set)
    # before predicting: mask AP needs every instance's mask and image size
    segm = scores_masks(model, cfg.data.format) and ground_truth_has_masks(
        gt.gt, annotation_source(val_set, cfg.data.root)
    )
    amp = resolve_amp(cfg.train.amp, device)
    with _evaluation_loader(build_loader, val_set, cfg, device) as loader:
        image_ids, predictions = predict_batches(model, loader, device, amp)
    check_some_image_read(len(image_ids), len(val_set), cfg.data)
    detections = predictions_to_coco_results(image_ids, predictions, gt.cat_ids)
    gt_named, images_dir = gallery_sources(val_set, gt.gt)
    info = {
        "checkpoint": str(checkpoint),
        "model": cfg.model.name,
        "dataset": evaluated_split(cfg.data),
        "images": len(val_set),
        "backend": cfg.eval.backend,
        "metric": metric,
    }
    kind = "COCO bbox and segm" if segm else "COCO bbox"
    kind = f"{metric.upper()} and {kind}" if is_voc_metric(metric) else kind
    heading = f"{kind} evaluation of {checkpoint} on {len(val_set)} images"
    summary = write_coco_report(
        out,
        heading,
        gt_named,
        detections,
        images_dir,
        info,
        cfg.eval.backend,
        worst_k,
        score_threshold,
        metric,
        segm,
        gallery_orientation_rule(val_set),
    )
    (out / "detections.json").write_text(json.dumps(detections))
    summary.wrote.append(f"Wrote {out / 'detections.json'}")
    return summary


def scores_masks(model: nn.Module, data_format: str) -> bool:
    """Whether a checkpoint evaluation scores masks: the model predicts them and the data has
    them (COCO json; VOC and YOLO data give box AP only, with a warning)."""
    if not has_masks(model):
        return False
    if data_format != "coco":
        logger.warning(
            "data.format %s has no instance masks: the masks of this model are not scored "
            "(box AP only); evaluate on COCO data for mask AP",
            data_format,
        )
        return False
    return True


def check_some_image_read(read: int, total: int, data: Any) -> None:
    """Refuse to report on an evaluation that read none of its ``total`` images (each skipped
    with a warning naming its file): its numbers (AP 0, mIoU nan) would score nothing.

    Raises:
        ValueError: ``read`` is 0 of ``total > 0``; one line naming the data.
    """
    if read == 0 and total > 0:
        raise ValueError(
            f"none of the {total} images of {evaluated_split(data)} could be read (the warnings "
            "above name each file): nothing to score; replace or remove the broken files "
            "(detseg-check-data, tools/check_data.py, lists them)"
        )


def evaluated_split(data: Any) -> str:
    """The data a checkpoint is evaluated on, as its report names it: the format, the root and
    the ``val`` keys (the format's defaults where the config sets none), e.g.
    ``coco at datasets/shapes (val_images test/images, val_ann annotations/instances_test.json)``:
    pointed at the held-out split, the report says so."""
    keys = {**DATA_DEFAULTS.get(data.format, {}), **data.options}
    split = ", ".join(f"{k} {v}" for k, v in keys.items() if k.startswith("val_") and v)
    return f"{data.format} at {data.root} ({split or 'val split'})"


def evaluate_segmenter(
    checkpoint: Path,
    cfg: Any,
    model: nn.Module,
    val_set: Any,
    classes: list[str],
    device: torch.device,
    out: Path,
) -> EvaluationSummary:
    """Segment ``val_set`` (TTA and CRF as ``cfg.eval`` says); write ``out/metrics.json`` and
    ``out/confusion_matrix.png`` (named in ``metrics.json``'s ``info``).

    Args:
        checkpoint: where the model comes from (stored under ``info``).
        cfg: the checkpoint's config (``detseg.config``), overrides applied.
        model: the segmenter, on ``device``.
        val_set: the val split (or its first ``eval.max_images`` images).
        classes: the ``K`` foreground class names (labels ``1..K``; 0 is background).
        device: where the model runs.
        out: output folder, staged (:func:`~detseg.evaluation.output_staging.evaluate_staged`).

    Returns:
        The mIoU table and the content of ``metrics.json``.
    """
    # the earlier evaluation's files in ``out`` (an earlier detector's report.html, PR curves,
    # detections.json) stay until both new files are written, and are then removed
    return evaluate_staged(
        out,
        lambda stage: _write_segmenter_evaluation(
            checkpoint, cfg, model, val_set, classes, device, stage
        ),
    )


def _write_segmenter_evaluation(
    checkpoint: Path,
    cfg: Any,
    model: nn.Module,
    val_set: Any,
    classes: list[str],
    device: torch.device,
    out: Path,
) -> EvaluationSummary:
    """:func:`evaluate_segmenter` writing straight into ``out`` (a staging folder)."""
    inference = SegmentationInference.from_config(cfg.eval)
    amp = resolve_amp(cfg.train.amp, device)
    with _evaluation_loader(build_segmentation_loader, val_set, cfg, device) as loader:
        metrics = evaluate_segmentation(
            model, loader, device, len(classes) + 1, amp, inference=inference
        )
    check_some_image_read(metrics["images"], len(val_set), cfg.data)
    check_some_pixel_scored(metrics, val_set, evaluated_split(cfg.data))
    info = {
        "checkpoint": str(checkpoint),
        "model": cfg.model.name,
        "dataset": evaluated_split(cfg.data),
        "images": metrics["images"],
        "tta": cfg.eval.tta,
        "tta_scales": cfg.eval.tta_scales,
        "crf": dataclasses.asdict(cfg.eval.crf),
        "inference": inference.describe(),
        "confusion_matrix": "confusion_matrix.png",
    }
    plot = save_confusion_matrix(
        metrics["confusion_matrix"],
        class_names_with_background(classes),
        out / "confusion_matrix.png",
        f"{cfg.model.name}: pixel confusion matrix on {metrics['images']} images, "
        "normalised per row",
    )
    path = write_segmentation_metrics(out, metrics, classes, info)
    return EvaluationSummary(
        heading=f"Segmentation evaluation of {checkpoint} on {metrics['images']} images",
        table=f"{label_maps_line(inference)}\n\n{segmentation_table(metrics, classes)}",
        metrics=json.loads(path.read_text(encoding="utf-8")),
        wrote=[f"Wrote {plot}", f"Wrote {path}"],
    )


def label_maps_line(inference: SegmentationInference) -> str:
    """The line above a segmenter's table naming how its label maps were made, as
    ``metrics.json``'s ``info.inference`` does: validation during training makes them in one
    pass, so views, scales or a CRF change the mIoU from the one training recorded."""
    if inference.is_plain:
        return "Label maps: one pass, as in validation during training"
    return (
        f"Label maps: {inference.describe()} (eval.tta, eval.tta_scales, eval.crf); "
        "validation during training makes them in one pass, so its mIoU differs"
    )


def gallery_orientation_rule(dataset: Any) -> DisplayedRule | None:
    """The dataset's rule of which images it reads as displayed (EXIF orientation applied), by
    gt image id, for the report gallery: its
    :meth:`~detseg.data.base.ImageDataset.reads_as_displayed` (of the dataset under a
    :class:`DatasetHead`), so each picture is drawn as the model saw it and its boxes land on
    the pixels they refer to. ``None`` for a dataset without the hook (the gallery then uses
    the COCO reader's rule)."""
    base = dataset.dataset if isinstance(dataset, DatasetHead) else dataset
    hook = getattr(base, "reads_as_displayed", None)
    if hook is None:
        return None
    index_of = {int(image_id): k for k, image_id in enumerate(dataset.image_ids)}

    def displayed(image_id: int, orientation: int, stored: tuple[int, int]) -> bool:
        index = index_of.get(int(image_id))
        return index is not None and bool(hook(index, orientation, stored))

    return displayed


def gallery_sources(dataset: Any, gt: dict) -> tuple[dict, Path | None]:
    """``(gt, folder)``: ``gt`` with ``images[].file_name`` relative to ``folder``, for the gallery.

    A COCO dataset keeps its own names and ``images_dir``. Other datasets (VOC,
    YOLO: their gt has no ``file_name``) get their image paths relative to the
    deepest folder holding them all. ``folder`` is ``None`` (``gt`` unchanged) when the
    dataset cannot name its images.
    """
    base = dataset.dataset if isinstance(dataset, DatasetHead) else dataset
    folder = getattr(base, "images_dir", None)
    if folder is not None and all(img.get("file_name") for img in gt["images"]):
        return gt, Path(folder)
    if not hasattr(base, "image_path") or not gt["images"]:
        return gt, None
    paths = {int(i): Path(base.image_path(k)).resolve() for k, i in enumerate(dataset.image_ids)}
    common = Path(os.path.commonpath([str(p.parent) for p in paths.values()]))
    images = [
        {**img, "file_name": str(paths[int(img["id"])].relative_to(common))}
        if int(img["id"]) in paths
        else img
        for img in gt["images"]
    ]
    return {**gt, "images": images}, common
