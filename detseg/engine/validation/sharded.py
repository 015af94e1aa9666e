"""Validation during training: the metric (COCO AP, VOC mAP or mIoU) and the validation loss,
in one pass, sharded over the processes of a distributed run.

Each process predicts its shard of the val split (a :class:`~detseg.data.loader.ShardSampler`:
every image exactly once over all shards). Detections are gathered on rank 0, which scores
them with :func:`~detseg.engine.validation.detection.detection_metrics` (COCO AP, mask AP
for a model with masks unless the val ground truth has none, and VOC AP for a VOC ``metric``:
the numbers of a one-process evaluation of the same images) and sends the metrics to every
process; a segmenter's confusion matrices are summed over the processes. The validation loss
is the ``losses`` API in eval mode (no gradients), averaged over images: each batch's loss
terms weigh by its image count.

A validation that scored no image because every val image it read was unreadable (some skipped,
none scored, both counts summed over the processes) raises :class:`NoImageScoredError` on every
process instead of returning a metric of nothing (mIoU nan, AP 0) that would pick ``best.pt``;
the training run turns it into one error line naming the val split's files
(:mod:`~detseg.engine.training.unreadable_images`). Some unreadable images are skipped: the
others are scored; the ground truth of those skipped is not (their objects do not count as
missed: :func:`~detseg.engine.validation.detection.ground_truth_of_images`), as in a
checkpoint's evaluation.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, cast

import torch
from torch import nn

from detseg.data.target_checks import remove_crowd
from detseg.engine.records.metric_log import progress
from detseg.engine.runtime.device import AmpMode, autocast_context, batch_on_device
from detseg.engine.runtime.distributed import (
    DistInfo,
    all_gather,
    any_true,
    broadcast_from_main,
    gather_to_main,
    sum_across,
)
from detseg.engine.runtime.model_api import DetsegModel
from detseg.engine.validation.detection import (
    detection_metrics,
    ground_truth_of_images,
    has_masks,
    predict_batch,
)
from detseg.evaluation.coco_format import predictions_to_coco_results
from detseg.evaluation.segmentation import ConfusionMatrix
from detseg.segmentation.inference import SegmentationInference

logger = logging.getLogger(__name__)


class NoImageScoredError(ValueError):
    """Every val image the processes read was unreadable: nothing was scored.

    Attributes:
        skipped: the unreadable images, summed over the processes.
    """

    def __init__(self, skipped: int) -> None:
        super().__init__(
            f"validation scored no image: all {skipped} val images it read were unreadable"
        )
        self.skipped = skipped


class _Accumulator:
    """What one process collects over its shard."""

    def __init__(self, num_classes: int | None) -> None:
        self.results: list[dict[str, Any]] = []  # COCO results (detection)
        self.matrix = None if num_classes is None else ConfusionMatrix(num_classes)
        self.images = 0
        self.image_ids: list[int] = []  # the images scored (detection)
        self.skipped = 0  # unreadable images the loader left out
        self.loss_sums: dict[str, float] = {}

    def add_losses(self, terms: dict[str, torch.Tensor], images: int) -> None:
        total = 0.0
        for name, value in terms.items():
            self.loss_sums[name] = self.loss_sums.get(name, 0.0) + float(value) * images
            total += float(value)
        self.loss_sums["loss"] = self.loss_sums.get("loss", 0.0) + total * images


@torch.no_grad()
def validate(
    model: nn.Module,
    loader: Any,
    device: torch.device,
    *,
    task: str,
    gt: dict[str, Any] | None = None,
    cat_ids: list[int] | None = None,
    num_classes: int | None = None,
    backend: str = "faster",
    metric: str = "coco",
    amp: AmpMode = "none",
    val_loss: bool = True,
    dist: DistInfo | None = None,
    stop: Callable[[], bool] | None = None,
    masks: bool | None = None,
) -> dict[str, Any] | None:
    """Metric and validation loss of ``model`` on the val shards of every process.

    Args:
        model: the detector or segmenter (the unwrapped model, not DDP).
        loader: this process's shard of the val split (``Batch`` or ``SegBatch`` items).
        device: where the model lives.
        task: ``"detection"`` or ``"segmentation"``.
        gt: COCO ground truth of the whole val split (detection).
        cat_ids: category id of each label (detection).
        num_classes: classes of the confusion matrix, background included (segmentation).
        backend: COCO evaluator, ``"faster"`` or ``"pycocotools"``.
        metric: detection metric, ``"coco"``, ``"voc07"`` or ``"voc12"`` (resolved; see
            :func:`detseg.evaluation.voc_coco.resolve_metric`); a VOC metric adds
            ``voc_mAP`` and ``voc_per_class``.
        amp: autocast mode for the forward passes (CUDA only).
        val_loss: also compute the loss terms (keys ``loss_*`` and ``loss``).
        dist: the process group; default one process.
        stop: polled between batches; when it returns ``True`` on any process, validation
            is abandoned.
        masks: score the masks of a model with masks (detection); ``False`` scores its boxes
            alone and does not encode its masks (a val json without any ``segmentation``,
            :attr:`~detseg.engine.training.train_data.TrainData.val_masks`); ``None``:
            whether the model has masks (:func:`~detseg.engine.validation.detection.has_masks`).

    Returns:
        The 12 COCO numbers and ``per_class`` (plus the 12 mask numbers ``segm_AP`` ...
        ``segm_ARl`` and ``segm_per_class`` when its masks are scored, ``voc_mAP`` and
        ``voc_per_class`` for a VOC ``metric``) (detection) or the
        :meth:`~detseg.evaluation.segmentation.ConfusionMatrix.compute` dict and ``images``
        (segmentation), plus the mean loss terms and ``skipped_images`` (the unreadable val
        images left out, summed over the processes: the run's summary counts them);
        ``None`` when ``stop`` interrupted it.

    Raises:
        NoImageScoredError: every image the processes read was unreadable (on every process).
    """
    dist = dist or DistInfo()
    masks = has_masks(model) if masks is None else masks and has_masks(model)
    acc = _Accumulator(num_classes if task == "segmentation" else None)
    was_training = model.training
    model.eval()
    interrupted = False
    total = len(loader) if hasattr(loader, "__len__") else None
    for batch in progress(loader, desc="eval", total=total, disable=not dist.is_main):
        if stop is not None and stop():
            interrupted = True
            break
        acc.skipped += int(getattr(batch, "skipped_images", 0))
        if len(batch) == 0:
            continue
        _validate_batch(model, batch, device, acc, task, cat_ids, amp, val_loss, masks)
    model.train(was_training)
    if any_true(interrupted, dist):
        return None
    skipped = _check_scored(acc, dist)
    if task == "segmentation":
        metrics = _segmentation_metrics(acc, dist)
    else:
        metrics = _detection_metrics(acc, gt, backend, metric, dist, masks)
    return {**metrics, **_mean_losses(acc, dist), "skipped_images": skipped}


def _check_scored(acc: _Accumulator, dist: DistInfo) -> int:
    """The unreadable images the processes skipped (summed over them); raise
    :class:`NoImageScoredError` on every process when no process scored an image and some
    skipped unreadable ones."""
    images, skipped = sum_across(torch.tensor([acc.images, acc.skipped]), dist).tolist()
    if images == 0 and skipped > 0:
        raise NoImageScoredError(int(skipped))
    return int(skipped)


def _validate_batch(
    model: nn.Module,
    batch: Any,
    device: torch.device,
    acc: _Accumulator,
    task: str,
    cat_ids: list[int] | None,
    amp: AmpMode,
    val_loss: bool,
    masks: bool,
) -> None:
    if task == "segmentation":
        assert acc.matrix is not None, "a segmentation accumulator has a confusion matrix"
        images = batch.images.to(device, non_blocking=True)
        with autocast_context(device, amp):  # one plain pass per image size
            labels = SegmentationInference().padded_batch_labels(model, images, batch.image_sizes)
        acc.matrix.update(labels.cpu(), batch.masks)
    else:
        ids, predictions = predict_batch(model, batch, device, amp, masks)
        acc.results.extend(predictions_to_coco_results(ids, predictions, cat_ids))
        acc.image_ids.extend(ids)
    acc.images += len(batch)
    if val_loss:  # on the train split's terms: crowd regions are not targets
        if task == "detection":
            batch = dataclasses.replace(batch, targets=[remove_crowd(t) for t in batch.targets])
        images, targets = batch_on_device(batch, device)
        with autocast_context(device, amp):
            acc.add_losses(cast(DetsegModel, model).losses(images, targets), len(batch))


def _detection_metrics(
    acc: _Accumulator,
    gt: dict[str, Any] | None,
    backend: str,
    metric: str,
    dist: DistInfo,
    masks: bool,
) -> dict[str, Any]:
    assert gt is not None, "detection validation needs the COCO ground truth"
    gathered = gather_to_main((acc.results, acc.images, acc.image_ids), dist)
    metrics = None
    if dist.is_main:
        assert gathered is not None, "rank 0 receives every shard"
        results = [r for shard, _, _ in gathered for r in shard]
        images = sum(n for _, n, _ in gathered)
        scored = [i for _, _, ids in gathered for i in ids]
        metrics = detection_metrics(
            ground_truth_of_images(gt, scored), results, backend, metric, images, masks
        )
    return broadcast_from_main(metrics, dist)


def _segmentation_metrics(acc: _Accumulator, dist: DistInfo) -> dict[str, Any]:
    assert acc.matrix is not None, "a segmentation accumulator has a confusion matrix"
    acc.matrix.matrix = sum_across(acc.matrix.matrix, dist)
    images = int(sum_across(torch.tensor([acc.images], dtype=torch.int64), dist).item())
    metrics = {**acc.matrix.compute(), "images": images}
    logger.info(
        "mIoU %.4f  pixel acc %.4f  (%d images)", metrics["mIoU"], metrics["pixel_acc"], images
    )
    return metrics


def _mean_losses(acc: _Accumulator, dist: DistInfo) -> dict[str, float]:
    """Image-weighted mean of each loss term over all processes (same keys everywhere)."""
    # the union of every process's names: a process whose shard had no readable image has none
    names_everywhere = sorted(set().union(*all_gather(sorted(acc.loss_sums), dist)))
    if not names_everywhere:
        return {}
    sums = torch.tensor(
        [float(acc.images)] + [acc.loss_sums.get(n, 0.0) for n in names_everywhere],
        dtype=torch.float64,
    )
    sums = sum_across(sums, dist)
    count = max(float(sums[0]), 1.0)
    return {
        name: float(value) / count
        for name, value in zip(names_everywhere, sums[1:].tolist(), strict=True)
    }
