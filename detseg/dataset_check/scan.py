"""Gathering the facts of every image of a split: file, size, content hash, raw annotations.

:func:`scan_split` visits each image of a detection or segmentation dataset once and keeps
what the checks need in an :class:`ImageRecord`; nothing here decides what is a problem (that
is :mod:`detseg.dataset_check.findings`). The image size comes from the file header (Pillow
reads only the header); with ``decode=True`` the file is also decoded by the reader training
uses (:func:`detseg.data.image_io.read_stored_rgb`), which finds truncated and corrupt files.

The size kept is the one training reads the image at: a JPEG whose EXIF orientation swaps
width and height (5..8) is read as displayed, its size transposed, when its labels state the
displayed size (:meth:`~detseg.data.base.ImageDataset.labelled_size`,
:func:`~detseg.data.image_io.labels_follow_orientation`), as the dataset readers do; boxes,
masks and the stated size are checked against that size.

Detection annotations are the reader's raw ones (:meth:`DetectionDataset.annotations`), before
:func:`detseg.data.target_checks.sanitize_boxes`, so boxes outside the image and degenerate
boxes can be counted; :func:`classify_boxes` applies the same rules as that function.
Crowd regions (a COCO ``iscrowd`` other than 0) are recorded as such: a training run leaves
them out of its train targets (:attr:`detseg.data.base.DetectionDataset.drop_crowd`), so they
are not objects.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from detseg.data.base import DetectionDataset, ImageDataset
from detseg.data.image_io import (
    IMAGE_SUFFIXES,
    ImageReadError,
    exif_orientation,
    labels_follow_orientation,
    pillow_pixel_limit_lifted,
    read_stored_rgb,
)
from detseg.data.masks import SegmentationDataset, check_label_map
from detseg.data.seg_transforms import IGNORE_INDEX
from detseg.data.target_checks import check_masks
from detseg.data.yolo import YoloTxtDetection, list_files

__all__ = [
    "OUTSIDE_TOLERANCE",
    "BoxFlags",
    "ImageRecord",
    "SplitScan",
    "classify_boxes",
    "scan_split",
]

logger = logging.getLogger(__name__)

#: Kind of a label problem: ``"unreadable"`` (training skips the image) or ``"invalid"``
#: (training stops with an error when it reaches the image).
LabelProblem = Literal["unreadable", "invalid"]


#: How far (px) a box may reach beyond the image before it counts as outside: rounding of
#: normalized coordinates leaves boxes a fraction of a pixel out, which clipping fixes.
OUTSIDE_TOLERANCE = 0.5


@dataclass
class BoxFlags:
    """What the training box checks would do with each box of an image.

    Attributes:
        degenerate: ``Bool[N]``: a non-finite coordinate, ``x2 <= x1`` or ``y2 <= y1``, or
            under ``min_size`` px wide or high inside the image; training drops it.
        outside: ``Bool[N]``: a finite box of positive size that reaches more than the
            tolerance outside ``[0, W] x [0, H]``; training clips it to the image.
        dropped: ``Bool[N]``: every box training drops (the degenerate ones and the outside
            ones with less than ``min_size`` px left inside the image).
        clipped: ``Float64[N, 4]`` the boxes clipped to the image, as training clips the ones it
            keeps (a box with a non-finite coordinate is all zeros).
    """

    degenerate: np.ndarray
    outside: np.ndarray
    dropped: np.ndarray
    clipped: np.ndarray


def classify_boxes(
    boxes: np.ndarray,
    image_size: tuple[int, int],
    min_size: float = 1.0,
    tolerance: float = OUTSIDE_TOLERANCE,
) -> BoxFlags:
    """Flag degenerate and outside boxes by the rules of ``sanitize_boxes`` (without logging).

    Args:
        boxes: ``[N, 4]`` boxes, ``xyxy`` absolute pixels (may be invalid).
        image_size: ``(H, W)`` of the image.
        min_size: Smallest width and height (px) a clipped box may keep.
        tolerance: How far (px) a box may reach beyond the image without being flagged as
            outside (normalized YOLO coordinates and annotation tools round a little).

    Returns:
        The flags; ``dropped`` equals ``~keep`` of ``sanitize_boxes`` with the same arguments.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    height, width = image_size
    finite = np.all(np.isfinite(boxes), axis=1)
    safe = np.where(finite[:, None], boxes, 0.0)
    ordered = finite & (safe[:, 2] > safe[:, 0]) & (safe[:, 3] > safe[:, 1])
    outside = ordered & (
        (safe[:, 0] < -tolerance)
        | (safe[:, 1] < -tolerance)
        | (safe[:, 2] > width + tolerance)
        | (safe[:, 3] > height + tolerance)
    )
    clipped = safe.copy()
    clipped[:, 0::2] = safe[:, 0::2].clip(0.0, width)
    clipped[:, 1::2] = safe[:, 1::2].clip(0.0, height)
    too_small = ((clipped[:, 2] - clipped[:, 0]) < min_size) | (
        (clipped[:, 3] - clipped[:, 1]) < min_size
    )
    degenerate = ~ordered | (too_small & ~outside)
    return BoxFlags(
        degenerate=degenerate, outside=outside, dropped=degenerate | too_small, clipped=clipped
    )


@dataclass
class ImageRecord:
    """The facts of one image of a split.

    Attributes:
        index: Position in the dataset.
        path: The image file.
        file: The file as shown in reports (relative to the data root when under it).
        size: ``(H, W)`` training reads the image at: the file header's, transposed when the
            image is read as displayed (``displayed``); ``None`` when unreadable.
        stated_size: ``(H, W)`` the annotations state (a COCO image entry's ``height`` and
            ``width``, a VOC ``<size>``); ``None`` when they state none.
        orientation: The file's EXIF orientation ``1..8`` (``1`` for an upright or untagged
            JPEG and for other files).
        displayed: Whether training reads the image as displayed (its orientation swaps
            width and height and its labels state the displayed size), not as stored.
        error: Why the image is unreadable (missing, not an image, corrupt); ``None`` if fine.
        digest: Hash of the file's bytes; ``None`` when the file is missing or empty.
        labels: ``Int64[N]`` labels ``1..K`` of the raw annotations (detection).
        boxes: ``Float64[N, 4]`` raw boxes, ``xyxy`` absolute pixels (detection).
        flags: What the training box checks would do with each box (detection).
        crowd: ``Bool[N]``: the crowd regions among the raw annotations (``iscrowd`` other
            than 0, the ones :func:`~detseg.data.target_checks.remove_crowd` removes);
            training learns them neither as objects nor as background (detection).
        bad_masks: ``Bool[N]``: instances whose boxes the box checks keep but whose mask is
            empty or lies mostly outside the box; training drops them (detection with
            ``load_masks``, :func:`~detseg.data.target_checks.check_masks`).
        rejected: Annotations the reader rejected before the box checks (malformed line,
            unknown class id).
        class_pixels: ``Int64[K + 1]`` pixel count of each label map value ``0..K``
            (segmentation; ``None`` for detection or without a valid label map).
        ignore_pixels: Pixels with the ignore value 255 (segmentation).
        label_problem: ``(kind, message)`` when the annotations or label map cannot be used.
    """

    index: int
    path: Path
    file: str
    size: tuple[int, int] | None = None
    stated_size: tuple[int, int] | None = None
    orientation: int = 1
    displayed: bool = False
    error: str | None = None
    digest: str | None = None
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    flags: BoxFlags | None = None
    crowd: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    bad_masks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rejected: int = 0
    class_pixels: np.ndarray | None = None
    ignore_pixels: int = 0
    label_problem: tuple[LabelProblem, str] | None = None

    @property
    def readable(self) -> bool:
        """Whether the image file is present and readable."""
        return self.error is None

    @property
    def kept(self) -> np.ndarray:
        """``Bool[N]``: the annotations training learns as objects: neither dropped by its
        box checks (or mask checks) nor crowd regions (all false without box flags)."""
        if self.flags is None:
            return np.zeros(len(self.labels), dtype=bool)
        kept = ~self.flags.dropped & ~self.crowd
        return kept & ~self.bad_masks if len(self.bad_masks) else kept


@dataclass
class SplitScan:
    """The records of one split and what describes the dataset as a whole.

    Attributes:
        split: ``"train"`` or ``"val"``.
        kind: ``"detection"`` or ``"segmentation"``.
        classes: Foreground class names (label ``k`` is ``classes[k - 1]``).
        records: One record per image, in dataset order.
        dataset: The scanned dataset (used to draw the report's images).
        decoded: Whether every image was fully decoded (not only its header read).
        orphan_annotations: Annotations the reader skipped because their image is not in the
            dataset (a COCO ``image_id`` absent from ``images``), with ``orphan_image_ids``,
            the first few such ids.
        unreadable_annotation_files: ``"<file>: <reason>"`` of each annotation file the
            reader could not read and took as an image without objects (a missing or
            malformed VOC xml).
        unmatched_label_files: Label files that belong to no image of the split (a YOLO
            ``<stem>.txt`` without an image of that stem), relative to the data root.
        unpaired_images: Images the reader left out for want of a label map (segmentation
            folders), relative to the data root.
        unread_image_files: Files of an image type (one Pillow knows) in a YOLO images folder
            that training does not list (``detseg.data.image_io.IMAGE_SUFFIXES``: a ``.gif``),
            relative to the data root.
    """

    split: str
    kind: Literal["detection", "segmentation"]
    classes: list[str]
    records: list[ImageRecord]
    dataset: ImageDataset
    decoded: bool
    orphan_annotations: int = 0
    orphan_image_ids: list[int] = field(default_factory=list)
    unreadable_annotation_files: list[str] = field(default_factory=list)
    unmatched_label_files: list[str] = field(default_factory=list)
    unpaired_images: list[str] = field(default_factory=list)
    unread_image_files: list[str] = field(default_factory=list)


def _display_name(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` (an absolute path) when it lies under it, else as given."""
    if root is not None:
        try:
            return Path(os.path.abspath(path)).relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def _read_file(record: ImageRecord, decode: bool) -> None:
    """Fill ``digest``, ``size`` (as stored), ``orientation`` and ``error`` of ``record`` from
    its file."""
    try:
        data = record.path.read_bytes()
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        record.error = "missing file" if missing else f"{type(exc).__name__}: {exc.strerror}"
        return
    if not data:
        record.error = "the file is empty"
        return
    record.digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    try:
        width, height = _header_size(data)
    except UnidentifiedImageError:
        record.error = "not an image (Pillow does not recognise the file's header)"
        return
    except (OSError, ValueError, SyntaxError) as exc:
        record.error = f"not an image ({type(exc).__name__}: {exc})"
        return
    if decode:
        try:  # read as stored without the stored-orientation warning: the report counts those
            read_stored_rgb(record.path)
        except ImageReadError as exc:
            reason = str(exc).removeprefix(f"cannot read image {exc.path}: ")
            record.error = f"cannot be decoded: {reason}"
            return
    record.size = (height, width)
    record.orientation = exif_orientation(data)


def _header_size(data: bytes) -> tuple[int, int]:
    """``(W, H)`` of an image file's bytes from its header (Pillow reads only the header).

    Pillow's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``, ~179 million pixels) is
    lifted for this read: training decodes with OpenCV, whose own limit (``2**30`` pixels) the
    full decode finds, so a large aerial or slide image is not taken for a broken file.
    """
    with pillow_pixel_limit_lifted(), Image.open(io.BytesIO(data)) as image:
        return image.size


def _follow_orientation(record: ImageRecord, dataset: ImageDataset) -> None:
    """Transpose ``record.size`` and set ``displayed`` where training reads the image as
    displayed: an orientation that swaps width and height (5..8) and labels that state the
    displayed size (:meth:`ImageDataset.labelled_size`, as :meth:`ImageDataset.read_rgb`)."""
    if record.size is None or record.orientation not in (5, 6, 7, 8):
        return
    if labels_follow_orientation(
        record.orientation, record.size, dataset.labelled_size(record.index)
    ):
        record.size = (record.size[1], record.size[0])
        record.displayed = True


def _read_boxes(record: ImageRecord, dataset: DetectionDataset) -> None:
    """Fill the raw annotations of a readable detection image."""
    assert record.size is not None
    try:
        ann = dataset.annotations(record.index, record.size)
    except (OSError, ValueError) as exc:
        record.label_problem = ("invalid", f"{type(exc).__name__}: {exc}")
        return
    record.stated_size = dataset.stated_size(record.index)
    record.boxes = np.asarray(ann.boxes, dtype=np.float64).reshape(-1, 4)
    record.labels = np.asarray(ann.labels, dtype=np.int64).reshape(-1)
    iscrowd = np.zeros(len(record.labels)) if ann.iscrowd is None else ann.iscrowd
    record.crowd = np.asarray(iscrowd, dtype=np.int64).reshape(len(record.labels)) != 0
    record.rejected = int(ann.dropped)
    record.flags = classify_boxes(record.boxes, record.size)
    if dataset.load_masks and len(record.labels):
        _check_instance_masks(record, dataset)


def _check_instance_masks(record: ImageRecord, dataset: DetectionDataset) -> None:
    """Flag the instances whose mask training drops (empty, or mostly outside its box)."""
    assert record.size is not None and record.flags is not None
    try:
        masks = dataset.instance_masks(record.index, record.size)
    except (OSError, ValueError) as exc:
        record.label_problem = ("invalid", f"{type(exc).__name__}: {exc}")
        return
    box_kept = ~record.flags.dropped
    kept_by_masks = check_masks(masks, record.flags.clipped, box_kept, source=str(record.path))
    record.bad_masks = box_kept & ~kept_by_masks


def _read_label_map(
    record: ImageRecord, dataset: SegmentationDataset, root: Path | None = None
) -> None:
    """Fill the stated size and the pixel counts of a readable segmentation image."""
    assert record.size is not None
    record.stated_size = dataset.stated_size(record.index)
    try:
        raw = dataset.label_map(record.index, record.size)
    except ImageReadError as exc:
        record.label_problem = ("unreadable", str(exc))
        return
    except (OSError, ValueError) as exc:
        record.label_problem = ("invalid", str(exc))
        return
    try:
        source = f"label map {_display_name(Path(dataset.mask_path(record.index)), root)}"
        mask = check_label_map(raw, record.size, dataset.num_classes, source)
    except ValueError as exc:
        record.label_problem = ("invalid", str(exc))
        return
    counts = np.bincount(mask.ravel(), minlength=256).astype(np.int64)
    record.class_pixels = counts[: dataset.num_classes + 1]
    record.ignore_pixels = int(counts[IGNORE_INDEX])


def scan_split(
    dataset: ImageDataset,
    split: str,
    root: str | os.PathLike | None = None,
    decode: bool = True,
    progress: bool = False,
) -> SplitScan:
    """Visit every image of ``dataset`` once and record its facts.

    Args:
        dataset: A detection (:class:`DetectionDataset`) or segmentation
            (:class:`SegmentationDataset`) dataset, without augmentations.
        split: The split's name (``"train"`` / ``"val"``), kept in the result.
        root: The data root; file names in reports are relative to it.
        decode: Decode every image fully (finds truncated files); else read headers only.
        progress: Show a tqdm progress bar on stderr.

    Returns:
        The split's records, in dataset order.

    Raises:
        TypeError: ``dataset`` is neither a detection nor a segmentation dataset.
    """
    if isinstance(dataset, DetectionDataset):
        kind: Literal["detection", "segmentation"] = "detection"
    elif isinstance(dataset, SegmentationDataset):
        kind = "segmentation"
    else:
        raise TypeError(f"cannot scan a {type(dataset).__name__}: not a detseg dataset")
    root_path = Path(os.path.abspath(root)) if root is not None else None
    records = []
    for index in tqdm(range(len(dataset)), desc=f"check {split}", unit="img", disable=not progress):
        path = Path(dataset.image_path(index))
        record = ImageRecord(index, path, _display_name(path, root_path))
        _read_file(record, decode)
        _follow_orientation(record, dataset)
        if record.readable and isinstance(dataset, DetectionDataset):
            _read_boxes(record, dataset)
        elif record.readable and isinstance(dataset, SegmentationDataset):
            _read_label_map(record, dataset, root_path)
        records.append(record)
    orphans = int(getattr(dataset, "missing_image_annotations", 0))
    orphan_ids = list(getattr(dataset, "missing_image_ids", []))
    unreadable_annotations = [
        f"{_display_name(Path(file), root_path)}: {reason}"
        for file, reason in getattr(dataset, "unreadable_annotation_files", [])
    ]
    unmatched_labels = [
        _display_name(Path(file), root_path)
        for file in getattr(dataset, "unmatched_label_files", [])
    ]
    unpaired = [
        _display_name(Path(file), root_path)
        for file in getattr(dataset, "images_without_label_map", [])
    ]
    unread = [_display_name(file, root_path) for file in _unread_image_files(dataset)]
    return SplitScan(
        split,
        kind,
        list(dataset.classes),
        records,
        dataset,
        decode,
        orphans,
        orphan_ids,
        unreadable_annotations,
        unmatched_labels,
        unpaired,
        unread,
    )


def _unread_image_files(dataset: ImageDataset) -> list[Path]:
    """Image files (by a suffix Pillow knows) in a YOLO images folder that training does not
    list; ``[]`` for the other formats, which read the files their annotations name."""
    if not isinstance(dataset, YoloTxtDetection):
        return []
    other = set(Image.registered_extensions()) - set(IMAGE_SUFFIXES)
    return list_files(dataset.images_dir, tuple(sorted(other)))
