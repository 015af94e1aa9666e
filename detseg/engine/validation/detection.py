"""COCO-style evaluation of a detector over a dataset, with VOC AP beside it on request.

``evaluate_detection`` predicts on every batch of a loader (eval mode, no
gradients), converts the predictions into the COCO results format with the
dataset's category ids and scores them with
:func:`detseg.evaluation.coco.coco_evaluate` (the pycocotools numbers) and, for a
VOC metric (``eval.metric``: ``voc07`` / ``voc12``), with
:func:`detseg.evaluation.voc_coco.voc_evaluate_coco` (``voc_mAP``, the number that
then ranks checkpoints, and ``voc_per_class``).

A model with masks (``model.has_masks``, Mask R-CNN) is scored twice: box AP under the usual
keys (``AP`` ... ``ARl``, ``per_class``; the box ``AP`` still ranks checkpoints) and mask AP
under :data:`SEGM_KEYS` (``segm_AP`` ... ``segm_ARl``) and ``segm_per_class``. Its masks are
binarised at ``model.mask_threshold`` and encoded as COCO RLEs batch by batch
(:func:`predict_batch`), so memory does not grow with the image count; where they are not
scored (a val json without any ``segmentation``) they are dropped unencoded, and the metrics
hold the box numbers alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn
from torch.utils.data import Dataset

from detseg.engine.records.metric_log import progress
from detseg.engine.runtime.device import AmpMode, autocast_context
from detseg.engine.runtime.model_api import Detector
from detseg.evaluation.coco import SEGM_PREFIX, coco_evaluate, segm_metrics
from detseg.evaluation.coco_format import (
    MASK_THRESHOLD,
    dataset_to_coco_gt,
    masks_to_rles,
    predictions_to_coco_results,
)
from detseg.evaluation.voc_coco import is_voc_metric, voc_evaluate_coco

logger = logging.getLogger(__name__)

COCO_KEYS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
#: The 12 COCO numbers of the masks (``iou_type="segm"``), beside the box numbers.
SEGM_KEYS = tuple(SEGM_PREFIX + key for key in COCO_KEYS)
#: Per-class mask AP (``{class name: {"AP", "AP50", "AR100"}}``).
SEGM_PER_CLASS_KEY = SEGM_PREFIX + "per_class"
#: Keys a VOC metric adds to the validation metrics: the VOC mAP and ``{class name: AP}``.
VOC_MAP_KEY = "voc_mAP"
VOC_PER_CLASS_KEY = "voc_per_class"


class DatasetHead(Dataset):
    """The first ``n`` items of a detection dataset (keeps ``classes``, ``image_ids``, ``cat_ids``).

    Args:
        dataset: a detseg detection dataset.
        n: how many items to keep (clipped to the dataset length).
    """

    def __init__(self, dataset: Any, n: int) -> None:
        if n < 1:
            raise ValueError(f"eval.max_images must be >= 1 or null, got {n}")
        self.dataset = dataset
        self.n = min(n, len(dataset))
        self.classes = list(dataset.classes)
        self.image_ids = list(dataset.image_ids)[: self.n]
        if getattr(dataset, "cat_ids", None) is not None:
            self.cat_ids = list(dataset.cat_ids)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> Any:
        if not -self.n <= index < self.n:
            raise IndexError(f"index {index} out of range for {self.n} images")
        return self.dataset[index % self.n]


@dataclass
class CocoGroundTruth:
    """What the COCO evaluation of a dataset needs.

    Attributes:
        gt: COCO ground-truth dict restricted to the evaluated images.
        cat_ids: category id of each label (label ``k`` <-> ``cat_ids[k - 1]``).
    """

    gt: dict[str, Any]
    cat_ids: list[int]


def coco_ground_truth(dataset: Any) -> CocoGroundTruth:
    """COCO ground truth of a detection dataset (its own ``coco_gt()`` when it has one).

    Only the images in ``dataset.image_ids`` are kept, so a :class:`DatasetHead`
    is scored against its own images and not against the whole split.
    """
    if hasattr(dataset, "coco_gt") and hasattr(dataset, "cat_ids"):
        gt, cat_ids = dataset.coco_gt(), list(dataset.cat_ids)
    elif isinstance(dataset, DatasetHead) and hasattr(dataset.dataset, "coco_gt"):
        gt, cat_ids = dataset.dataset.coco_gt(), list(dataset.cat_ids)
    else:
        gt = dataset_to_coco_gt(dataset)
        cat_ids = [c["id"] for c in gt["categories"]]
    keep = {int(i) for i in dataset.image_ids}
    gt = {
        **gt,
        "images": [img for img in gt["images"] if int(img["id"]) in keep],
        "annotations": [a for a in gt["annotations"] if int(a["image_id"]) in keep],
    }
    return CocoGroundTruth(gt=gt, cat_ids=cat_ids)


def ground_truth_of_images(gt: dict[str, Any], image_ids: Sequence[int]) -> dict[str, Any]:
    """The COCO ground truth ``gt`` of the images scored (``image_ids``) only: an unreadable
    image, left out with a warning, is not scored (its objects are not missed detections), in
    training's validation and in a checkpoint's evaluation alike. ``gt`` itself comes back
    when every one of its images was scored."""
    scored = {int(i) for i in image_ids}
    if scored >= {int(image["id"]) for image in gt["images"]}:
        return gt
    return {
        **gt,
        "images": [image for image in gt["images"] if int(image["id"]) in scored],
        "annotations": [a for a in gt["annotations"] if int(a["image_id"]) in scored],
    }


def annotation_source(val_set: Any, root: Any) -> str:
    """The annotation file of a val split (of a :class:`DatasetHead`'s dataset too), or
    ``"the val split (<root>)"`` for a dataset without one (VOC, YOLO: ``root`` is
    ``data.root``): what messages about its ground truth name."""
    dataset = val_set.dataset if isinstance(val_set, DatasetHead) else val_set
    ann_file = getattr(dataset, "ann_file", None)
    return str(ann_file) if ann_file is not None else f"the val split ({root})"


def has_masks(model: nn.Module) -> bool:
    """Whether ``model`` predicts instance masks (``model.has_masks``, e.g. Mask R-CNN)."""
    return bool(getattr(model, "has_masks", False))


@torch.no_grad()
def predict_batches(
    model: nn.Module, loader: Iterable[Any], device: torch.device, amp: AmpMode = "none"
) -> tuple[list[int], list[dict[str, Any]]]:
    """Run ``model.predict`` over a loader of ``Batch`` es.

    Returns:
        ``(image_ids, predictions)``: one ``dict(boxes Float[N, 4] xyxy px of the
        input image, scores Float[N], labels Int64[N])`` per image, on the CPU, plus
        ``segmentation`` (N COCO RLEs) for a model with masks (see :func:`predict_batch`).
    """
    was_training = model.training
    model.eval()
    image_ids: list[int] = []
    predictions: list[dict[str, Any]] = []
    total = len(loader) if isinstance(loader, Sized) else None
    for batch in progress(loader, desc="eval", total=total):
        ids, outputs = predict_batch(model, batch, device, amp)
        image_ids.extend(ids)
        predictions.extend(outputs)
    model.train(was_training)
    return image_ids, predictions


@torch.no_grad()
def predict_batch(
    model: nn.Module,
    batch: Any,
    device: torch.device,
    amp: AmpMode = "none",
    masks: bool = True,
) -> tuple[list[int], list[dict[str, Any]]]:
    """``model.predict`` on one ``Batch`` (model already in eval mode).

    Args:
        masks: encode the ``masks`` of a model with masks; ``False`` drops them unencoded
            (predictions whose masks are not scored: boxes only).

    Returns:
        ``(image_ids, predictions)`` of the batch's readable images, predictions on the CPU
        (``boxes`` xyxy px of the input image, ``scores``, ``labels``). The ``masks`` of a
        model with masks (``Float[N, 1, H, W]`` probabilities) become ``segmentation``: N
        COCO RLEs of the masks binarised at ``model.mask_threshold`` (on ``device``).
    """
    if not batch.images:
        return [], []
    images = [image.to(device, non_blocking=True) for image in batch.images]
    with autocast_context(device, amp):
        outputs = cast(Detector, model).predict(images)
    ids = [int(target["image_id"]) for target in batch.targets]
    threshold = float(getattr(model, "mask_threshold", MASK_THRESHOLD))
    return ids, [_prediction_on_cpu(output, threshold, masks) for output in outputs]


def _prediction_on_cpu(
    output: dict[str, torch.Tensor], mask_threshold: float, masks: bool = True
) -> dict[str, Any]:
    """CPU copy of one image's prediction, its ``masks`` (if any) as RLEs (dropped without
    ``masks``)."""
    prediction: dict[str, Any] = {k: _to_cpu(v) for k, v in output.items() if k != "masks"}
    if masks and "masks" in output:
        binary = output["masks"].detach() > mask_threshold  # [N, 1, H, W]: 1 byte per pixel
        prediction["segmentation"] = masks_to_rles(binary.cpu(), len(prediction["boxes"]))
    return prediction


def _to_cpu(value: torch.Tensor) -> torch.Tensor:
    """CPU copy; floating point (e.g. bf16 under AMP) as float32, integers unchanged."""
    value = value.detach()
    return (value.float() if value.is_floating_point() else value).cpu()


def evaluate_detection(
    model: nn.Module,
    loader: Iterable[Any],
    device: torch.device,
    gt: dict[str, Any],
    cat_ids: Sequence[int],
    backend: str = "faster",
    amp: AmpMode = "none",
    metric: str = "coco",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """COCO bbox metrics (and VOC AP for a VOC ``metric``, mask AP for a model with masks) of
    ``model`` on ``loader``'s images.

    Args:
        model: detector with ``predict(images) -> list[dict(boxes, scores, labels)]`` (and
            ``masks`` when ``model.has_masks``).
        loader: yields ``Batch`` es whose targets carry ``image_id``.
        device: where the model lives.
        gt: COCO ground-truth dict of the same images (see :func:`coco_ground_truth`; with
            ``segmentation`` for a model with masks).
        cat_ids: category id of each label (label ``k`` <-> ``cat_ids[k - 1]``).
        backend: ``"faster"`` or ``"pycocotools"``.
        amp: autocast mode for the forward pass (CUDA only).
        metric: ``"coco"``, ``"voc07"`` or ``"voc12"`` (resolved, see
            :func:`detseg.evaluation.voc_coco.resolve_metric`).

    Returns:
        ``(metrics, results)``: the metrics of :func:`detection_metrics` and the
        detections in the COCO results format (with RLE ``segmentation`` for masks).
    """
    image_ids, predictions = predict_batches(model, loader, device, amp)
    results = predictions_to_coco_results(image_ids, predictions, cat_ids)
    scored = ground_truth_of_images(gt, image_ids)  # unreadable images are not scored
    metrics = detection_metrics(scored, results, backend, metric, len(image_ids), has_masks(model))
    return metrics, results


def detection_metrics(
    gt: dict[str, Any],
    results: list[dict[str, Any]],
    backend: str = "faster",
    metric: str = "coco",
    images: int | None = None,
    masks: bool = False,
) -> dict[str, Any]:
    """Score COCO ``results`` against ``gt`` and log the numbers on one line.

    Args:
        gt: COCO ground-truth dict (difficult objects as ``iscrowd`` regions, see
            :func:`detseg.evaluation.coco_format.dataset_to_coco_gt`).
        results: detections in the COCO results format (``bbox`` xywh px, and RLE
            ``segmentation`` with ``masks``).
        backend: ``"faster"`` or ``"pycocotools"``.
        metric: ``"coco"``, ``"voc07"`` or ``"voc12"``.
        images: how many images were predicted (for the log line; ``None``: the gt's).
        masks: also score the masks (``iou_type="segm"``; ``gt`` needs ``segmentation``).

    Returns:
        The 12 COCO numbers (``AP`` ... ``ARl``) and ``per_class`` of the boxes; with
        ``masks`` the 12 of the masks (:data:`SEGM_KEYS`) and ``segm_per_class``; for a VOC
        metric also ``voc_mAP`` (float, -1.0 without any non-difficult object) and
        ``voc_per_class`` (``{class name: AP}``, -1.0 for a class without non-difficult
        objects).
    """
    metrics = coco_evaluate(gt, results, iou_type="bbox", backend=backend)
    if masks:
        metrics.update(segm_metrics(coco_evaluate(gt, results, iou_type="segm", backend=backend)))
    count = len(gt["images"]) if images is None else images
    numbers = f"COCO bbox AP {metrics['AP']:.4f}  AP50 {metrics['AP50']:.4f}"
    if masks:
        numbers += f"  segm AP {metrics['segm_AP']:.4f}  AP50 {metrics['segm_AP50']:.4f}"
    if is_voc_metric(metric):
        voc = voc_evaluate_coco(gt, results, metric)
        metrics[VOC_MAP_KEY] = voc["mAP"]
        metrics[VOC_PER_CLASS_KEY] = voc["per_class"]
        numbers = f"{metric.upper()} mAP {voc['mAP']:.4f}  {numbers}"
    logger.info("%s  (%d images)", numbers, count)
    return metrics
