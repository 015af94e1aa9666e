"""The shared skeleton of the detection datasets (COCO json, VOC xml, YOLO txt).

A reader subclasses :class:`DetectionDataset` and says only where image ``i`` is
(:meth:`~DetectionDataset.image_path`) and what its raw annotations are
(:meth:`~DetectionDataset.annotations`). The base class reads the image, sanitises the boxes
(:func:`~detseg.data.target_checks.sanitize_boxes`), runs the augmentations and builds the
target dict of the detseg contract, so every format behaves the same on bad data:
an unreadable image gives ``None`` plus a warning naming the file; bad boxes are clipped or
dropped and counted (with ``load_masks``, so are instances whose mask is empty or lies outside
their box); images without objects are kept as negatives. A transform that cannot run on an
image (a crop larger than it) stops with an error naming the file and the transform
(:mod:`detseg.data.augmentation_errors`).

A reader also counts, without reading an image, how many objects its annotations give training
at most (:attr:`~DetectionDataset.num_objects`, with :func:`possibly_kept` and
:func:`count_possibly_kept` for the boxes, against the image size the annotations state) and
names where they are written (:attr:`~DetectionDataset.split_source`): a training run refuses a
train split without any object (it would learn background alone, as it does on a split whose
every box lies outside its image).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from detseg.data.image_io import (
    ImageReadError,
    apply_orientation,
    labels_follow_orientation,
    read_stored_rgb,
    report_stored_orientation,
    to_unit_float,
)
from detseg.data.target_checks import check_masks, clip_to_image, sanitize_boxes
from detseg.data.transforms import apply_augmentations, check_detection_pipeline

__all__ = [
    "Annotations",
    "DetectionDataset",
    "ImageDataset",
    "Sample",
    "count_possibly_kept",
    "possibly_kept",
]

logger = logging.getLogger(__name__)

#: What a dataset yields: ``(image Float32[3, H, W], target)`` or ``None`` for an unreadable image.
Sample = tuple[torch.Tensor, dict[str, Any]] | None


@dataclass
class Annotations:
    """Raw annotations of one image, as the reader found them (boxes not yet checked).

    Attributes:
        boxes: ``[N, 4]`` boxes, ``xyxy`` absolute pixels (may be invalid; checked later).
        labels: ``Int64[N]`` labels in ``1..K``.
        iscrowd: ``Int64[N]`` 0/1 crowd flags (``None``: all 0).
        area: ``Float[N]`` instance areas in px² (``None``: box areas are used).
        difficult: ``Int64[N]`` 0/1 VOC difficult flags (``None``: no ``difficult`` entry).
        dropped: Annotations the reader rejected before box checks (malformed line, unknown
            class id); they add to ``target["dropped_boxes"]``.
        places: Where each box is written, ``N`` strings (``Annotations/<id>.xml object 2``,
            ``labels/a.txt:3``, ``instances_train.json annotation id 17``), named by the
            warning of a dropped box; ``None``: the image file is named.
    """

    boxes: np.ndarray
    labels: np.ndarray
    iscrowd: np.ndarray | None = None
    area: np.ndarray | None = None
    difficult: np.ndarray | None = None
    dropped: int = 0
    places: list[str] | None = None

    @classmethod
    def empty(cls, dropped: int = 0) -> Annotations:
        """Annotations of an image without objects."""
        return cls(np.zeros((0, 4)), np.zeros(0, dtype=np.int64), dropped=dropped)


class ImageDataset(Dataset):
    """What the detection and segmentation datasets share: ids, classes and the image read.

    Subclasses set ``classes`` (foreground names; label ``k`` is ``classes[k - 1]``) and
    ``image_ids``, and implement :meth:`image_path`.

    Args:
        augmentations: Optional albumentations pipeline, run by the subclass's ``__getitem__``.
    """

    classes: list[str]
    image_ids: list[int]

    def __init__(self, augmentations: Any | None = None) -> None:
        self.augmentations = augmentations

    def __len__(self) -> int:
        return len(self.image_ids)

    @property
    def num_classes(self) -> int:
        """Number of foreground classes ``K`` (labels are ``1..K``)."""
        return len(self.classes)

    def image_path(self, index: int) -> Path:
        """Path of image ``index``."""
        raise NotImplementedError

    #: What the size-mismatch warning adds for this kind of dataset (where to see every image).
    size_check_hint = ""

    def stated_size(self, index: int) -> tuple[int, int] | None:
        """``(H, W)`` that the annotations state for image ``index`` (a COCO image entry's
        ``height`` and ``width``, a VOC xml's ``<size>``), or ``None`` when they state none.
        Training uses the decoded size; the first image whose stated size differs from it is
        logged as a warning (once per dataset object and process, :meth:`check_stated_size`)."""
        return None

    def check_stated_size(self, index: int, size: tuple[int, int]) -> None:
        """Warn once when image ``index`` decodes to another ``size = (H, W)`` than its
        annotations state: its boxes or polygons were likely drawn on other pixels (a resized
        copy, or a photo shown rotated by its EXIF orientation)."""
        stated = self.stated_size(index)
        if getattr(self, "_size_mismatch_reported", False) or stated is None or stated == size:
            return
        self._size_mismatch_reported = True
        logger.warning(
            "%s is %d x %d (W x H) but its annotations say %d x %d: they are read against the "
            "decoded pixels, so they may be off (an image resized after annotation, or one "
            "shown rotated by its EXIF orientation?)%s; further mismatches are not reported",
            self.image_path(index),
            size[1],
            size[0],
            stated[1],
            stated[0],
            self.size_check_hint,
        )

    def labelled_size(self, index: int) -> tuple[int, int] | None:
        """``(H, W)`` of the image the labels of image ``index`` were drawn on, where the
        dataset tells: :meth:`stated_size` here; the label map's size for segmentation files.
        Consulted only for a JPEG whose EXIF orientation swaps width and height."""
        return self.stated_size(index)

    #: How the first image read as displayed is explained in the log (:meth:`read_rgb`).
    displayed_reason = "its labels state the displayed size"

    def reads_as_displayed(self, index: int, orientation: int, stored: tuple[int, int]) -> bool:
        """Whether image ``index``, a file of ``stored = (H, W)`` pixels with EXIF
        ``orientation`` (``1..8``), is read as displayed (the orientation applied).

        Here: only when the orientation swaps width and height (5..8) and
        :meth:`labelled_size` is the stored size transposed
        (:func:`~detseg.data.image_io.labels_follow_orientation`); a format whose labels
        always refer to the displayed image (YOLO) says so for every tagged file.
        """
        return orientation in (5, 6, 7, 8) and labels_follow_orientation(
            orientation, stored, self.labelled_size(index)
        )

    def read_rgb(self, index: int) -> np.ndarray | None:
        """``[H, W, 3]`` RGB pixels of image ``index`` (``uint8`` for most files), in stored
        order, or as displayed where the labels were drawn on the displayed image.

        An image tagged with an EXIF orientation is read as displayed where
        :meth:`reads_as_displayed` says so (the first such image is logged), else as stored
        (see :mod:`detseg.data.image_io`; the first tagged JPEG read so is named in a warning).

        ``None`` when the file is unreadable or of an unsupported pixel type; the warning names
        it (the loader counts the ``None``).

        Raises:
            IndexError: ``index`` is outside ``0..len(self) - 1``.
        """
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for a dataset of {len(self)} images")
        path = self.image_path(index)
        try:
            rgb, orientation = read_stored_rgb(path)
        except ImageReadError as exc:
            logger.warning("skipping unreadable image (index %d): %s", index, exc)
            return None
        stored = (rgb.shape[0], rgb.shape[1])
        if orientation != 1 and self.reads_as_displayed(index, orientation, stored):
            self._report_displayed(path, orientation, stored)
            return np.ascontiguousarray(apply_orientation(rgb, orientation))
        report_stored_orientation(path, orientation)
        return np.ascontiguousarray(rgb)

    def _report_displayed(self, path: Path, orientation: int, stored: tuple[int, int]) -> None:
        """Log (once per dataset object and process) the first image read as displayed."""
        if getattr(self, "_displayed_reported", False):
            return
        self._displayed_reported = True
        logger.info(
            "%s is stored %d x %d (W x H) with EXIF orientation %d (%s): it is read as "
            "displayed, as are further such images",
            path,
            stored[1],
            stored[0],
            orientation,
            self.displayed_reason,
        )

    def read_image(self, index: int) -> np.ndarray | None:
        """``Float32[H, W, 3]`` RGB image ``index`` in ``[0, 1]``, or ``None`` when unreadable.

        An unreadable file is logged as a warning naming it (the loader counts the ``None``).

        Raises:
            IndexError: ``index`` is outside ``0..len(self) - 1``.
        """
        rgb = self.read_rgb(index)
        return None if rgb is None else to_unit_float(rgb, self.image_path(index))


class DetectionDataset(ImageDataset):
    """Base class: ``dataset[i] -> (image Float32[3, H, W] RGB in [0, 1], target)`` or ``None``.

    ``target`` holds ``boxes Float32[N, 4]`` (``xyxy`` px), ``labels Int64[N]`` in ``1..K``,
    ``image_id Int64[]``, ``iscrowd Int64[N]``, ``area Float32[N]``, ``dropped_boxes int``,
    and, where the format has them, ``difficult Int64[N]`` and ``masks UInt8[N, H, W]``.

    Subclasses set ``classes``, ``image_ids`` and implement :meth:`image_path` and
    :meth:`annotations` (and :meth:`instance_masks` when they support ``load_masks``).

    Attributes:
        drop_crowd: leave crowd regions (``iscrowd == 1``) out of the targets, before the
            augmentations. Off by default: evaluation reads them as regions that neither count
            as a miss nor make a detection a false positive. A training run turns it on: a
            crowd region is neither a positive nor a negative example, and torchvision's
            references and Detectron2 drop them before their transforms too.
    """

    size_check_hint = "; detseg-check-data (tools/check_data.py) lists every such image"

    def __init__(self, augmentations: Any | None = None, load_masks: bool = False) -> None:
        if augmentations is not None:  # a pipeline without box settings would leave boxes behind
            check_detection_pipeline(augmentations)
        super().__init__(augmentations)
        self.load_masks = load_masks
        self.drop_crowd = False

    def annotations(self, index: int, image_size: tuple[int, int]) -> Annotations:
        """Raw annotations of image ``index`` whose decoded size is ``image_size = (H, W)``."""
        raise NotImplementedError

    @property
    def num_objects(self) -> int | None:
        """How many objects the annotations give training at most, counted without reading an
        image: those of the dataset's classes whose box the box checks keep on an image of the
        size the annotations state (:meth:`stated_size`; :func:`possibly_kept`), crowd regions
        left out under :attr:`drop_crowd`. The stated size is enough for this quick check,
        though training clips to the decoded image: where a file's real size differs, the
        count may be off (``tools/check_data.py`` decodes the images and lists such files;
        training warns of the first, :meth:`check_stated_size`). On an image without a
        stated size, a box the checks would drop only against the decoded image (outside it,
        under 1 px once clipped) still counts, and so does an instance whose mask is dropped:
        ``0`` means that no image has an object to learn from at its stated size (a training
        run then looks at the files' own sizes, and refuses the split if none has one either).
        ``None``: the reader cannot tell without reading its images (the
        default; the readers of detseg tell)."""
        return None

    @property
    def split_source(self) -> str:
        """Where the split's annotations are, for messages (the readers name their annotation
        file or folder and their images folder); here: the folder of the first image."""
        return f"images in {self.image_path(0).parent}" if len(self) else type(self).__name__

    def instance_masks(self, index: int, image_size: tuple[int, int]) -> np.ndarray:
        """``UInt8[N, H, W]`` masks aligned with :meth:`annotations` (formats with masks only)."""
        raise NotImplementedError(f"{type(self).__name__} has no instance masks")

    def __getitem__(self, index: int) -> Sample:
        image = self.read_image(index)
        if image is None:
            return None
        path = self.image_path(index)
        size = (image.shape[0], image.shape[1])
        self.check_stated_size(index, size)
        ann = self.annotations(index, size)
        boxes, keep = sanitize_boxes(ann.boxes, size, source=str(path), places=ann.places)
        num = len(keep)
        fields = {
            "labels": np.asarray(ann.labels, dtype=np.int64).reshape(num),
            "iscrowd": _or_zeros(ann.iscrowd, num),
        }
        if ann.area is not None:
            fields["area"] = np.asarray(ann.area, dtype=np.float32).reshape(num)
        if ann.difficult is not None:
            fields["difficult"] = np.asarray(ann.difficult, dtype=np.int64).reshape(num)
        masks = self.instance_masks(index, size) if self.load_masks else None
        if masks is not None:  # an instance whose mask does not fit its box is dropped too
            keep = check_masks(masks, boxes, keep, source=str(path), places=ann.places)
        dropped = ann.dropped + int(num - keep.sum())  # bad boxes only: crowd is not bad
        if self.drop_crowd:
            keep = keep & (fields["iscrowd"] == 0)
        if masks is not None:
            masks = masks[keep]
        boxes = boxes[keep]
        fields = {key: value[keep] for key, value in fields.items()}
        if self.augmentations is not None:
            image, boxes, kept, masks = apply_augmentations(
                self.augmentations, image, boxes, fields["labels"], masks, source=path
            )
            fields = {key: value[kept] for key, value in fields.items() if key != "area"}
        if "area" not in fields:
            fields["area"] = _areas(boxes, masks)
        target = _to_target(boxes, fields, masks, self.image_ids[index])
        target["dropped_boxes"] = dropped
        return torch.from_numpy(image.transpose(2, 0, 1).copy()), target


def _or_zeros(values: np.ndarray | None, num: int) -> np.ndarray:
    if values is None:
        return np.zeros(num, dtype=np.int64)
    return np.asarray(values, dtype=np.int64).reshape(num)


def _areas(boxes: np.ndarray, masks: np.ndarray | None) -> np.ndarray:
    """Mask pixel counts when masks exist, box areas otherwise (``Float32[N]``)."""
    if masks is not None:
        return masks.sum(axis=(1, 2), dtype=np.float64).astype(np.float32)  # N = 0 works too
    return ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).astype(np.float32)


def _to_target(
    boxes: np.ndarray, fields: dict[str, np.ndarray], masks: np.ndarray | None, image_id: int
) -> dict[str, Any]:
    target: dict[str, Any] = {
        "boxes": torch.from_numpy(np.ascontiguousarray(boxes, dtype=np.float32).reshape(-1, 4)),
        "labels": torch.from_numpy(fields["labels"].astype(np.int64)),
        "image_id": torch.tensor(image_id, dtype=torch.int64),
        "iscrowd": torch.from_numpy(fields["iscrowd"].astype(np.int64)),
        "area": torch.from_numpy(fields["area"].astype(np.float32)),
    }
    if "difficult" in fields:
        target["difficult"] = torch.from_numpy(fields["difficult"].astype(np.int64))
    if masks is not None:
        target["masks"] = torch.from_numpy(np.ascontiguousarray(masks, dtype=np.uint8))
    return target


def possibly_kept(boxes: np.ndarray, stated_size: tuple[int, int] | None = None) -> np.ndarray:
    """``Bool[N]``: which of ``boxes`` (``[N, 4]`` ``xyxy`` px, unchecked) the box checks of
    :func:`~detseg.data.target_checks.sanitize_boxes` keep on their image, by the same rule
    (:func:`~detseg.data.target_checks.clip_to_image`).

    ``stated_size``: ``(H, W)`` that the annotations state for the image (a COCO image entry's
    ``height`` / ``width``, a VOC ``<size>``): a box outside it, or under 1 px once clipped to
    it, is not kept. ``None``, or a side that is not positive (some tools write ``0`` for an
    unknown size): the image is taken large enough to hold the boxes, so a box is kept when it
    is finite, has ``x1 < x2`` and ``y1 < y2``, and is at least 1 px wide and high right of and
    below ``(0, 0)``; it may still be dropped on its image (outside it, or under 1 px once
    clipped). The stated size is the annotations' word: training clips to the decoded image,
    which may differ (a resized copy of the images).
    """
    return clip_to_image(boxes, _clip_size(stated_size)).keep


def count_possibly_kept(images: Iterable[tuple[np.ndarray, tuple[int, int] | None]]) -> int:
    """How many boxes :func:`possibly_kept` keeps over ``images``: pairs of ``[N, 4]`` ``xyxy``
    px boxes and the ``(H, W)`` their annotations state (``None``: none). The boxes of images
    of one size are checked together, so a split of a few sizes costs a few array operations
    however many images it has."""
    by_size: dict[tuple[float, float], list[np.ndarray]] = defaultdict(list)
    for boxes, stated_size in images:
        by_size[_clip_size(stated_size)].append(np.asarray(boxes, dtype=np.float64).reshape(-1, 4))
    return sum(
        int(clip_to_image(np.concatenate(groups), size).keep.sum())
        for size, groups in by_size.items()
    )


def _clip_size(stated_size: tuple[int, int] | None) -> tuple[float, float]:
    """The ``(H, W)`` that :func:`possibly_kept` clips to: ``stated_size`` where both its sides
    are positive, else an unbounded image."""
    if stated_size is None or not (stated_size[0] > 0 and stated_size[1] > 0):
        return (math.inf, math.inf)
    return (float(stated_size[0]), float(stated_size[1]))
