"""Gathering the facts of every image of a split: file, size, content hash, raw annotations.

:func:`scan_split` visits each image of a detection or segmentation dataset once and keeps
what the checks need in an :class:`~detseg.dataset_check.scan_records.ImageRecord`; nothing
here decides what is a problem (that is :mod:`detseg.dataset_check.findings`). The image size
comes from the file header (Pillow reads only the header); with ``decode=True`` the file is
also decoded by the reader training uses (:func:`detseg.data.image_io.read_stored_rgb`), which
finds truncated and corrupt files.

The size kept is the one training reads the image at: a JPEG tagged with an EXIF orientation
is read as displayed where the dataset's
:meth:`~detseg.data.base.ImageDataset.reads_as_displayed` says so, as the dataset readers do
(every tagged JPEG of a YOLO dataset; for COCO, VOC and label maps an orientation that swaps
width and height, 5..8, whose labels state the displayed size), its size transposed where the
orientation swaps width and height; boxes, masks and the stated size are checked against that
size.

Detection annotations are the reader's raw ones (:meth:`DetectionDataset.annotations`), before
:func:`detseg.data.target_checks.sanitize_boxes`, so boxes outside the image and degenerate
boxes can be counted; :func:`~detseg.dataset_check.box_flags.classify_boxes` applies the same
rules as that function. Crowd regions (a COCO ``iscrowd`` other than 0) are recorded as such:
a training run leaves them out of its train targets
(:attr:`detseg.data.base.DetectionDataset.drop_crowd`), so they are not objects.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from detseg.data.base import DetectionDataset, ImageDataset
from detseg.data.image_io import (
    IMAGE_SUFFIXES,
    ImageReadError,
    exif_orientation,
    pillow_pixel_limit_lifted,
    read_stored_rgb,
)
from detseg.data.label_map_pairing import images_in_subfolders
from detseg.data.label_maps import check_label_map
from detseg.data.masks import FolderSegmentation, SegmentationDataset, VOCSegmentation
from detseg.data.seg_transforms import IGNORE_INDEX
from detseg.data.target_checks import check_masks
from detseg.data.voc import VOCDetection
from detseg.data.yolo import YoloTxtDetection, list_files
from detseg.dataset_check.box_flags import classify_boxes
from detseg.dataset_check.scan_records import ImageRecord, SplitScan
from detseg.progress_bars import progress_bar

__all__ = ["scan_split"]


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
    """Set ``record.displayed`` where training reads the tagged image as displayed (the
    dataset's :meth:`ImageDataset.reads_as_displayed`, as :meth:`ImageDataset.read_rgb`
    asks it), and then transpose ``record.size`` for an orientation that swaps width and
    height (5..8)."""
    if record.size is None or record.orientation == 1:
        return
    if dataset.reads_as_displayed(record.index, record.orientation, record.size):
        record.displayed = True
        if record.orientation in (5, 6, 7, 8):
            record.size = (record.size[1], record.size[0])


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
    progress: bool | None = None,
) -> SplitScan:
    """Visit every image of ``dataset`` once and record its facts.

    Args:
        dataset: A detection (:class:`DetectionDataset`) or segmentation
            (:class:`SegmentationDataset`) dataset, without augmentations.
        split: The split's name (``"train"`` / ``"val"``), kept in the result.
        root: The data root; file names in reports are relative to it.
        decode: Decode every image fully (finds truncated files); else read headers only.
        progress: A tqdm bar on stderr: ``None`` shows it only when stderr is a terminal,
            ``True`` always, ``False`` never (:func:`~detseg.progress_bars.progress_bar`).

    Returns:
        The split's records, in dataset order.

    Raises:
        TypeError: ``dataset`` is neither a detection nor a segmentation dataset.
    """
    kind = _dataset_kind(dataset)
    root_path = Path(os.path.abspath(root)) if root is not None else None
    indices = progress_bar(
        range(len(dataset)), desc=f"check {split}", unit="img", leave=True, progress=progress
    )
    records = [_scan_image(dataset, index, root_path, decode) for index in indices]
    scan = SplitScan(split, kind, list(dataset.classes), records, dataset, decode)
    _add_reader_leftovers(scan, dataset, root_path)
    return scan


def _dataset_kind(dataset: ImageDataset) -> Literal["detection", "segmentation"]:
    """``"detection"`` or ``"segmentation"``; ``TypeError`` for any other dataset."""
    if isinstance(dataset, DetectionDataset):
        return "detection"
    if isinstance(dataset, SegmentationDataset):
        return "segmentation"
    raise TypeError(f"cannot scan a {type(dataset).__name__}: not a detseg dataset")


def _scan_image(
    dataset: ImageDataset, index: int, root_path: Path | None, decode: bool
) -> ImageRecord:
    """The record of image ``index``: its file, then its annotations or label map."""
    path = Path(dataset.image_path(index))
    record = ImageRecord(index, path, _display_name(path, root_path))
    _read_file(record, decode)
    _follow_orientation(record, dataset)
    if record.readable and isinstance(dataset, DetectionDataset):
        _read_boxes(record, dataset)
    elif record.readable and isinstance(dataset, SegmentationDataset):
        _read_label_map(record, dataset, root_path)
    return record


def _add_reader_leftovers(scan: SplitScan, dataset: ImageDataset, root_path: Path | None) -> None:
    """Fill what the dataset's reader left out or skipped: annotations of unlisted images,
    unreadable annotation files, label files of no image, images without a label map, label
    maps without an image and images in folders inside the images folder (``folder_seg``),
    image files of a type training does not read (file names relative to ``root_path``), COCO
    annotations the evaluation renumbers, annotations a ``coco_seg`` reader rejected (an
    unknown category, neither a segmentation nor a usable bbox), and the ids of a ``voc`` /
    ``voc_seg`` split file without their image or label map."""
    scan.orphan_annotations = int(getattr(dataset, "missing_image_annotations", 0))
    scan.orphan_image_ids = list(getattr(dataset, "missing_image_ids", []))
    scan.unreadable_annotation_files = [
        f"{_display_name(Path(file), root_path)}: {reason}"
        for file, reason in getattr(dataset, "unreadable_annotation_files", [])
    ]
    scan.unmatched_label_files = [
        _display_name(Path(file), root_path)
        for file in getattr(dataset, "unmatched_label_files", [])
    ]
    scan.unpaired_images = [
        _display_name(Path(file), root_path)
        for file in getattr(dataset, "images_without_label_map", [])
    ]
    scan.unmatched_label_maps = [
        _display_name(Path(file), root_path)
        for file in getattr(dataset, "label_maps_without_image", [])
    ]
    if isinstance(dataset, FolderSegmentation):
        scan.nested_images = [
            _display_name(file, root_path) for file in images_in_subfolders(dataset.images_dir)
        ]
    if isinstance(dataset, SegmentationDataset):  # coco_seg; a detection split counts per image
        scan.rejected_annotations = int(getattr(dataset, "unknown_category_annotations", 0)) + int(
            getattr(dataset, "malformed_box_annotations", 0)
        )
    scan.unread_image_files = [
        _display_name(file, root_path) for file in _unread_image_files(dataset)
    ]
    scan.misnumbered_annotations = list(getattr(dataset, "misnumbered_annotations", []))
    if isinstance(dataset, VOCSegmentation):  # said in the findings, not by the reader
        scan.split_file = _display_name(dataset.split_file, root_path)
        scan.missing_listed = {
            "image": len(dataset.missing_images),
            "label map": len(dataset.missing_label_maps),
        }
    elif isinstance(dataset, VOCDetection):  # its xml files are read: no label map is missing
        scan.split_file = _display_name(dataset.split_file, root_path)
        scan.missing_listed = {"image": len(dataset.missing_images)}


def _unread_image_files(dataset: ImageDataset) -> list[Path]:
    """Image files (by a suffix Pillow knows) in a YOLO images folder that training does not
    list; ``[]`` for the other formats, which read the files their annotations name."""
    if not isinstance(dataset, YoloTxtDetection):
        return []
    other = set(Image.registered_extensions()) - set(IMAGE_SUFFIXES)
    return list_files(dataset.images_dir, tuple(sorted(other)))
