"""A few images of a split drawn with their annotations, for the HTML report.

Detection images show their raw boxes with class names (:func:`detseg.visualize.draw_detections`;
boxes that reach outside are drawn clipped, degenerate ones are left out); segmentation images
show their label map blended over the image (:func:`detseg.visualize.draw_segmentation`).
Images with box problems come first, then images spread evenly over the split. Each image is
drawn as training reads it: as displayed where the scan found its EXIF orientation followed
(:attr:`~detseg.dataset_check.scan_records.ImageRecord.displayed`) or the dataset's reader applies
it (:meth:`~detseg.data.base.ImageDataset.reads_as_displayed`: every tagged image of a YOLO
dataset), else as stored.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

import cv2
import numpy as np

from detseg.data.base import ImageDataset
from detseg.data.image_io import ImageReadError, apply_orientation, read_stored_rgb, to_uint8
from detseg.data.masks import SegmentationDataset
from detseg.dataset_check.scan_records import ImageRecord, SplitScan
from detseg.visualize import draw_detections, draw_segmentation

__all__ = ["GridImage", "draw_grid", "pick_grid_records"]

logger = logging.getLogger(__name__)

#: Longest side of a drawn image in the report, in px (small images are enlarged to it).
GRID_SIDE = 256


@dataclass
class GridImage:
    """One drawn image of the report's grid.

    Attributes:
        file: The image file (as shown in reports).
        caption: What is drawn (objects, box problems).
        data_uri: ``data:image/jpeg;base64,...`` of the drawing.
    """

    file: str
    caption: str
    data_uri: str


def _has_box_problem(record: ImageRecord) -> bool:
    flags = record.flags
    return flags is not None and bool(flags.outside.any() or flags.degenerate.any())


def pick_grid_records(scan: SplitScan, count: int) -> list[ImageRecord]:
    """Up to ``count`` usable records: those with box problems first (at most half), then
    records spread evenly over the split, in dataset order within each group."""
    usable = [r for r in scan.records if r.readable and r.label_problem is None]
    if count <= 0 or not usable:
        return []
    flagged = [r for r in usable if _has_box_problem(r)][: max(count // 2, 1)]
    rest = [r for r in usable if not _has_box_problem(r)]
    spare = count - len(flagged)
    if len(rest) > spare:
        rest = [rest[int(i)] for i in np.linspace(0, len(rest) - 1, spare).round()]
    return flagged + rest


def _resize(image: np.ndarray, scale: float, nearest: bool = False) -> np.ndarray:
    """Scale an image or label map: area averaging to shrink, nearest neighbour to enlarge
    (pixels stay visible) and for label maps (``nearest=True``)."""
    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    mode = cv2.INTER_AREA if scale < 1 and not nearest else cv2.INTER_NEAREST
    return cv2.resize(image, size, interpolation=mode)


def _draw_boxes(
    rgb: np.ndarray, record: ImageRecord, classes: list[str], scale: float
) -> tuple[np.ndarray, str]:
    """The image with its drawable boxes (clipped) and a caption."""
    assert record.flags is not None and record.size is not None
    height, width = record.size
    drawable = ~record.flags.degenerate
    boxes = record.boxes[drawable].copy()
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
    drawn = draw_detections(rgb, boxes * scale, record.labels[drawable], None, classes)
    caption = f"{len(record.labels) - int(record.crowd.sum())} objects"
    if record.crowd.any():
        caption += f", {int(record.crowd.sum())} crowd"
    if record.flags.outside.any():
        caption += f", {int(record.flags.outside.sum())} outside"
    if record.flags.degenerate.any():
        caption += f", {int(record.flags.degenerate.sum())} degenerate (not drawn)"
    return drawn, caption


def _draw_mask(
    rgb: np.ndarray, record: ImageRecord, dataset: SegmentationDataset, scale: float
) -> tuple[np.ndarray, str]:
    """The image with its label map blended over it and a caption."""
    assert record.size is not None and record.class_pixels is not None
    label_map = np.asarray(dataset.label_map(record.index, record.size)).astype(np.uint8)
    drawn = draw_segmentation(rgb, _resize(label_map, scale, nearest=True), dataset.classes)
    present = int((record.class_pixels[1:] > 0).sum())
    return drawn, f"{present} classes present"


def _read_as_trained(record: ImageRecord, dataset: ImageDataset) -> np.ndarray:
    """``UInt8[H, W, 3]`` RGB pixels of a record's file as training reads them: turned as its
    EXIF orientation says where the record or ``dataset`` reads it as displayed, else as
    stored."""
    rgb, orientation = read_stored_rgb(record.path)
    stored = (rgb.shape[0], rgb.shape[1])
    if record.displayed or (
        orientation != 1 and dataset.reads_as_displayed(record.index, orientation, stored)
    ):
        rgb = apply_orientation(rgb, orientation)
    return to_uint8(np.ascontiguousarray(rgb))


def _draw_record(record: ImageRecord, scan: SplitScan) -> GridImage | None:
    """Draw one record; ``None`` when its file cannot be read now."""
    try:
        rgb = _read_as_trained(record, scan.dataset)
        scale = GRID_SIDE / max(rgb.shape[:2])
        rgb = np.ascontiguousarray(_resize(rgb, scale))
        if isinstance(scan.dataset, SegmentationDataset):
            drawn, caption = _draw_mask(rgb, record, scan.dataset, scale)
        else:
            drawn, caption = _draw_boxes(rgb, record, scan.classes, scale)
    except (ImageReadError, OSError, ValueError) as exc:
        logger.warning("report grid: cannot draw %s: %s", record.path, exc)
        return None
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
    if not ok:
        return None
    uri = "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")
    return GridImage(record.file, caption, uri)


def draw_grid(scan: SplitScan, count: int) -> list[GridImage]:
    """Draw up to ``count`` images of a split (see :func:`pick_grid_records`).

    Args:
        scan: The scanned split (its dataset is read again for the pixels and label maps).
        count: How many images; ``0`` draws none.

    Returns:
        The drawn images (fewer when the split has fewer usable images).
    """
    drawn = [_draw_record(r, scan) for r in pick_grid_records(scan, count)]
    return [item for item in drawn if item is not None]
