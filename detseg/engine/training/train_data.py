"""The data of a training run: datasets and loaders of the train and val splits.

The train loader shards, shuffles and seeds by epoch
(:func:`detseg.data.train_loader.build_train_loader`), optionally in aspect-ratio groups
(``train.aspect_ratio_groups``, detection only); the val loader reads this process's shard of
the val split in order (every image once over all processes).

A detection train split without any object (an annotation file without annotations, or whose
every annotation is refused or has a box the box checks drop; VOC xml files without
``<object>``; empty YOLO label files) would train a detector on background alone: it is refused
before anything is written (:func:`check_train_objects`). A split with a single object trains.

The train split leaves COCO crowd regions out of its targets
(:attr:`~detseg.data.base.DetectionDataset.drop_crowd`, as torchvision's references do); the
val split keeps them for the COCO evaluation, and the validation loss leaves them out.

A model with a mask head (Mask R-CNN) trains on instance masks: on COCO data
:func:`require_instance_masks` turns ``data.load_masks`` on; VOC and YOLO data have no masks, a
:class:`~detseg.config.ConfigError`. Train instances without a ``segmentation`` (trained on their
filled boxes) get one warning (:func:`~detseg.data.coco_masks.warn_about_box_masks`). A val json
without any ``segmentation`` is scored on its boxes alone (:attr:`TrainData.val_masks` is
``False``; one warning, as ``tools/eval.py`` gives,
:func:`~detseg.evaluation.coco_checks.ground_truth_has_masks`); one where some annotations have
a ``segmentation`` and one lacks it is an error before the first step.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from detseg.config import Config, ConfigError
from detseg.data.base import DetectionDataset, possibly_kept
from detseg.data.coco_masks import warn_about_box_masks
from detseg.data.group_sampler import aspect_ratio_group_ids, image_sizes, read_size
from detseg.data.loader import ShardSampler, build_loader, collate_detection
from detseg.data.masks import SegmentationDataset
from detseg.data.registry import build_dataset, with_known_classes
from detseg.data.said_once import quiet_dataset_warnings, say_dataset_warnings_once
from detseg.data.seg_loader import collate_segmentation
from detseg.data.seg_transforms import build_segmentation_augmentations
from detseg.data.train_loader import build_train_loader
from detseg.data.transforms import build_augmentations
from detseg.detection.mask_rcnn import MASK_RCNN_MODELS
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.validation.detection import (
    CocoGroundTruth,
    DatasetHead,
    annotation_source,
    coco_ground_truth,
)
from detseg.evaluation.coco_checks import ground_truth_has_masks, lacks_all_masks
from detseg.named_settings import NameOnly, SettingError, literal

logger = logging.getLogger(__name__)


@dataclass
class TrainData:
    """Datasets and loaders of a run.

    Attributes:
        train_set: the augmented train split.
        val_set: the val split as stored (its first ``eval.max_images`` images).
        val_gt: COCO ground truth of ``val_set`` (detection only).
        train_loader: this process's training batches (``batch_sampler`` is an
            :class:`~detseg.data.train_loader.EpochBatchSampler`).
        val_loader: this process's shard of ``val_set``.
        val_masks: whether validation scores masks (``segm_AP`` ...): a model with masks and a
            val json with ``segmentation``; ``False`` scores the boxes alone.
    """

    train_set: Any
    val_set: Any
    val_gt: CocoGroundTruth | None
    train_loader: DataLoader
    val_loader: DataLoader
    val_masks: bool = False

    @property
    def cat_ids(self) -> list[int] | None:
        return None if self.val_gt is None else self.val_gt.cat_ids


def build_data(
    cfg: Config,
    task: str,
    dist: DistInfo | None = None,
    device: torch.device | str = "cpu",
) -> TrainData:
    """The train split with augmentations, the val split as stored (first eval.max_images).

    Segmentation batches stack images, so its train augmentations should end in a fixed-size
    crop (smaller images are padded; the padding is ignored by the loss and by mIoU).

    Each warning of the dataset readers is said once per process
    (:func:`~detseg.data.said_once.say_dataset_warnings_once`); what reading the val split for
    its ground truth finds, by rank 0 alone; what reading a train image finds, once per run
    whatever the processes and loader workers (at its read in the first epoch,
    :mod:`detseg.data.train_loader`), each unreadable read still counted as skipped.

    Both loaders use ``train.num_workers`` persistent workers that prepare
    ``train.prefetch_factor`` batches ahead; for a CUDA ``device`` they hand out batches in
    pinned memory (:func:`detseg.data.loader_workers.worker_options`).

    Args:
        cfg: the run's config.
        task: ``"detection"`` or ``"segmentation"``.
        dist: this process's place in a distributed run (default: one process).
        device: where the batches go.
    """
    dist = dist or DistInfo()
    # the val images are read to build the ground truth, at each validation and for TensorBoard:
    # an unreadable image or a bad label is warned about at its first read only
    say_dataset_warnings_once()
    seg = task == "segmentation"
    masks = not seg and require_instance_masks(cfg)
    make_augmentations = build_segmentation_augmentations if seg else build_augmentations
    collate = collate_segmentation if seg else collate_detection
    data_cfg = cfg.data.dataset_kwargs()
    augmentations = make_augmentations(cfg.data.augmentations, seed=cfg.seed)
    train_set = build_dataset(data_cfg, "train", augmentations)
    if isinstance(train_set, DetectionDataset):
        train_set.drop_crowd = True  # crowd regions are neither positives nor negatives
        check_train_objects(train_set)
    if masks and dist.is_main:  # instances without a segmentation train on their boxes
        warn_about_box_masks(train_set)
    val_cfg = with_known_classes(data_cfg, list(train_set.classes))
    val_set: DetectionDataset | SegmentationDataset | DatasetHead = build_dataset(val_cfg, "val")
    if list(val_set.classes) != list(train_set.classes):
        raise ValueError(
            f"val classes {val_set.classes} differ from train {train_set.classes}: give both "
            "splits the same classes (set data.classes to the list of names, in label order)"
        )
    if cfg.eval.max_images is not None:
        val_set = DatasetHead(val_set, cfg.eval.max_images)
    t = cfg.train
    group_ids = _group_ids(train_set, t.aspect_ratio_groups, seg)
    # the model's class count (len(classes), as the run builds it): the loaders' target checks
    # hold the labels of both splits to 1..K, whatever count a dataset reports itself
    num_classes = None if seg else len(train_set.classes)
    train_loader = build_train_loader(
        train_set,
        batch_size=t.batch_size,
        num_workers=t.num_workers,
        seed=cfg.seed,
        rank=dist.rank,
        world_size=dist.world_size,
        group_ids=group_ids,
        collate_fn=collate,
        device=device,
        prefetch_factor=t.prefetch_factor,
        num_classes=num_classes,
    )
    val_loader = build_loader(
        val_set,
        batch_size=cfg.eval.batch_size,
        shuffle=False,
        num_workers=t.num_workers,
        sampler=ShardSampler(len(val_set), dist.rank, dist.world_size),
        collate_fn=collate,
        device=device,
        prefetch_factor=t.prefetch_factor,
        num_classes=num_classes,
    )
    logger.info(
        "%d train / %d val images, classes %s", len(train_set), len(val_set), train_set.classes
    )
    # rank 0 alone says what reading the val split for its ground truth finds (the other
    # processes read the same images)
    with contextlib.nullcontext() if dist.is_main else quiet_dataset_warnings():
        val_gt = None if seg else coco_ground_truth(val_set)
    val_masks = False
    if masks and val_gt is not None:  # mask AP needs every val instance's mask
        val_masks = _val_has_masks(val_gt.gt, annotation_source(val_set, cfg.data.root), dist)
    return TrainData(train_set, val_set, val_gt, train_loader, val_loader, val_masks)


def check_train_objects(train_set: DetectionDataset) -> None:
    """Refuse a detection train split that gives training no object to learn from.

    The count is the reader's, from its annotations alone
    (:attr:`~detseg.data.base.DetectionDataset.num_objects`; no image is read, a box is checked
    against the image size the annotations state), so a split whose every box lies outside its
    image is refused too; a reader that cannot tell (``None``) passes. A count of 0 is checked
    again against the sizes training reads (:func:`_object_on_read_size`): stated sizes that
    are wrong (a json of resized images) do not refuse boxes that fit the files, which
    training then warns about. Every process of a distributed run reads the same split, so
    every one raises alike.

    Raises:
        SettingError: (a ``ValueError``) ``num_objects`` is 0: one line naming the split's
            files and image count, and ``tools/check_data.py`` to run on the config (or its
            data file: its argument, as it has no ``--data``) with the same overrides, named as
            the caller gave them: ``overrides`` of :func:`~detseg.config.load_config` from
            Python, ``--set`` from ``tools/train.py``.
    """
    if train_set.num_objects != 0 or _object_on_read_size(train_set):
        return
    images = f"{len(train_set)} image{'' if len(train_set) == 1 else 's'}"
    raise SettingError(
        f"the train split ({literal(train_set.split_source)}) has no object to learn from: none "
        f"of its {images} has an annotated object that training keeps (no annotation, or every "
        "one refused or dropped by the box checks: degenerate, or outside its image), so the "
        "detector would learn background alone; run detseg-check-data (tools/check_data.py) "
        "with this config (or the data file given with it) as its argument and the same "
        "{overrides} to see what the reader finds, then add or fix the annotations",
        overrides=NameOnly("overrides"),
    )


def _object_on_read_size(train_set: DetectionDataset) -> bool:
    """Whether an image of ``train_set`` has an annotated object whose box the box checks keep
    on the image as training reads it (:func:`~detseg.data.base.possibly_kept` at its header's
    size, turned where it is read as displayed): the annotations' stated sizes aside. Only
    images with a box whose stated size differs from their file's are looked at, up to the
    first such object (a header read each, no pixels decoded; an image without a box is not
    read at all)."""
    for index in range(len(train_set)):
        stated = train_set.stated_size(index)
        if stated is None or not len(_trained_boxes(train_set, index, stated)):
            continue  # an image without a box is not read
        size = read_size(train_set, index)
        if size is None or size == stated:
            continue
        if possibly_kept(_trained_boxes(train_set, index, size), size).any():
            return True
    return False


def _trained_boxes(train_set: DetectionDataset, index: int, size: tuple[int, int]) -> np.ndarray:
    """``Float[N, 4]`` xyxy boxes of image ``index`` read at ``size`` ``(H, W)``, less the
    crowd boxes the dataset drops."""
    ann = train_set.annotations(index, size)
    boxes = np.asarray(ann.boxes, dtype=np.float64).reshape(-1, 4)
    if ann.iscrowd is not None and train_set.drop_crowd:
        boxes = boxes[np.asarray(ann.iscrowd).reshape(-1) == 0]
    return boxes


def _val_has_masks(gt: dict[str, Any], source: str, dist: DistInfo) -> bool:
    """Whether validation can score the masks of the val ground truth ``gt`` (read from
    ``source``): :func:`~detseg.evaluation.coco_checks.ground_truth_has_masks`, whose warning
    about a json without any ``segmentation`` rank 0 alone logs.

    Raises:
        ValueError: some annotations have a ``segmentation`` and one has none, or a mask or an
            image size is malformed (on every process, one line naming ``source``).
    """
    if not dist.is_main and lacks_all_masks(gt):
        return False
    return ground_truth_has_masks(gt, source, note="the box AP ranks checkpoints as always")


def require_instance_masks(cfg: Config) -> bool:
    """Whether the model of ``cfg`` trains on instance masks; if so, make the data load them.

    A mask model (:data:`~detseg.detection.mask_rcnn.MASK_RCNN_MODELS`) on ``data.format: coco``
    gets ``data.load_masks: true`` (set in ``cfg``, so the run's config.yaml and checkpoints
    say so; logged when it was off).

    Raises:
        ConfigError: a mask model on data without instance masks (VOC, YOLO).
    """
    if cfg.model.name not in MASK_RCNN_MODELS:
        return False
    if cfg.data.format != "coco":
        convert = (
            "; YOLO segment lines become COCO masks with detseg-convert --from yolo --to coco "
            "SRC DST (then --data DST/data.yaml)"
            if cfg.data.format == "yolo"
            else ""
        )
        raise ConfigError(
            f"model {cfg.model.name} needs instance masks: data.format coco with "
            f"data.load_masks: true (data.format {cfg.data.format} has no masks){convert}"
        )
    if not cfg.data.options.get("load_masks"):
        logger.info(
            "model %s trains on instance masks: data.load_masks set to true", cfg.model.name
        )
        cfg.data.options["load_masks"] = True
    return True


def _group_ids(train_set: Any, num_groups: int, seg: bool) -> list[int] | None:
    """Aspect-ratio group of every training image, or ``None`` when grouping is off."""
    if num_groups == 0:
        return None
    if seg:
        logger.info("train.aspect_ratio_groups is ignored for segmentation (crops share a size)")
        return None
    group_ids = aspect_ratio_group_ids(image_sizes(train_set), num_groups)
    counts = [group_ids.count(g) for g in range(num_groups)]
    logger.info("aspect-ratio groups (landscape -> portrait): %s images", counts)
    return group_ids
