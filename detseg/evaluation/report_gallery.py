"""The report's gallery: the images of lowest F1, drawn with their ground truth and detections.

:func:`worst_images` picks the imperfect images of a detection evaluation by per-image F1 and
draws each as the evaluated dataset reads it: its EXIF orientation applied where the dataset's
rule says so (:meth:`~detseg.data.base.ImageDataset.reads_as_displayed`, passed as a
:data:`DisplayedRule`: every tagged image of a YOLO dataset), by default where its entry states
the displayed size (the COCO reader's rule). Ground-truth boxes (and with masks their outlines)
are drawn in white edged in black, the kept detections in their class colours. It is separate from
:mod:`detseg.evaluation.report`, which writes the numbers and plots, because it is the part
that reads and draws image files. The image reader and the drawing (both on torch) are imported
when a picture is drawn: a gallery listed without pictures (no images folder) needs no torch.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detseg.data.coco_fields import coco_image_file, entry_size
from detseg.evaluation.coco_format import segmentation_mask
from detseg.evaluation.detection_confusion import DetectionConfusion
from detseg.evaluation.report_html import GalleryItem

logger = logging.getLogger(__name__)

# Ground truth is drawn in white with a black edge on each side: no class colour of
# detseg.visualize (saturated hues, green among them) can be mistaken for it, and one of its two
# tones stands out on any background.
GT_COLOR = (255, 255, 255)
GT_EDGE_COLOR = (0, 0, 0)
GALLERY_SIDES = (320, 512)  # longer side of a gallery picture, scaled into [min, max] px

#: Whether the image of a gt ``image_id``, a file of ``stored = (H, W)`` pixels with EXIF
#: ``orientation`` (``2..8``), is read as displayed: ``rule(image_id, orientation, stored)``.
DisplayedRule = Callable[[int, int, tuple[int, int]], bool]


def worst_images(
    gt: dict,
    dets: list[dict],
    confusion: DetectionConfusion,
    images_dir: str | os.PathLike | None,
    worst_k: int,
    segm: bool = False,
    displayed: DisplayedRule | None = None,
) -> tuple[list[GalleryItem], str]:
    """The ``worst_k`` imperfect images by F1 (ties: most errors first), drawn when possible
    (with their masks when ``segm``), each turned by its EXIF orientation where ``displayed``
    says so (``None``: where its entry states the displayed size, the COCO reader's rule)."""
    f1 = confusion.f1_per_image()
    counts = confusion.counts_per_image()
    imperfect = [i for i in f1 if f1[i] < 1.0]
    imperfect.sort(key=lambda i: (f1[i], -(counts[i][1] + counts[i][2]), i))
    images = {int(img["id"]): img for img in gt["images"]}
    items = []
    for image_id in imperfect[:worst_k]:
        file_name = str(images[image_id].get("file_name", ""))
        tp, fp, fn = counts[image_id]
        uri = None
        if images_dir is not None and file_name:
            path = coco_image_file(Path(images_dir), file_name)  # the COCO reader's rule
            rule = displayed or _stated_size_rule(entry_size(images[image_id]))
            uri = _draw_image(path, image_id, gt, dets, confusion, segm, rule)
        items.append(GalleryItem(image_id, file_name, f1[image_id], tp, fp, fn, uri))
    if not gt["images"]:
        note = "The ground truth lists no images: nothing was evaluated (every number is n/a)."
    elif not imperfect:
        note = "Every image is perfect at these thresholds (F1 = 1)."
    elif not worst_k:
        note = f"{len(imperfect)} image(s) have F1 < 1; none is shown (worst_k = 0)."
    elif images_dir is None:
        note = "No images folder was given: the worst images are listed without pictures."
    elif any(item.data_uri is None for item in items):
        unread = [item.file_name for item in items if item.data_uri is None]
        note = (
            f"{len(unread)} image file(s) under {images_dir} were not found or could not be "
            f"read ({_first_few(unread)}): listed without pictures."
        )
    else:
        note = ""
    return items, note


def _first_few(names: list[str], count: int = 5) -> str:
    """The first ``count`` of ``names``, comma-separated, ``", ..."`` after when there are more."""
    return ", ".join(names[:count]) + (", ..." if len(names) > count else "")


def _draw_image(
    path: Path,
    image_id: int,
    gt: dict,
    dets: list[dict],
    confusion: DetectionConfusion,
    segm: bool = False,
    displayed: DisplayedRule | None = None,
) -> str | None:
    """JPEG data URI of the image with gt (white lines edged in black) and kept detections
    (class colours); with ``segm`` the detections' masks filled and the gt masks outlined.

    The image is drawn as the dataset reads it for training and evaluation
    (:func:`_read_as_evaluated`: as displayed where the rule ``displayed`` says so, as stored
    without a rule), so the boxes land on the pixels they were drawn on. The picture is
    resized so its longer side lies in :data:`GALLERY_SIDES`; ``None`` when the file cannot be
    read or encoded.
    """
    from detseg.data.image_io import ImageReadError
    from detseg.visualize import draw_detections

    try:
        rgb = _read_as_evaluated(path, image_id, displayed)
    except ImageReadError as error:
        logger.warning("gallery: %s; shown without picture", error)  # the error names path
        return None
    height, width = rgb.shape[:2]
    longest = max(height, width)
    scale = min(max(longest, GALLERY_SIDES[0]), GALLERY_SIDES[1]) / longest
    if scale != 1.0:
        interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        rgb = np.ascontiguousarray(
            cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=interpolation)
        )
    label_of = {cat_id: k + 1 for k, cat_id in enumerate(confusion.cat_ids)}
    mine = [
        d
        for d in dets
        if d["image_id"] == image_id
        and d["category_id"] in label_of
        and d["score"] >= confusion.score_threshold
    ]
    boxes = np.asarray([_xywh_to_xyxy(d["bbox"]) for d in mine], dtype=np.float64).reshape(-1, 4)
    labels = np.asarray([label_of[d["category_id"]] for d in mine], dtype=np.int64)
    scores = np.asarray([d["score"] for d in mine], dtype=np.float64)
    mine_gt = [ann for ann in gt["annotations"] if ann["image_id"] == image_id]
    masks = _outline_gt_masks(rgb, mine_gt, mine, (height, width)) if segm else None
    for ann in mine_gt:
        x1, y1, x2, y2 = (round(v * scale) for v in _xywh_to_xyxy(ann["bbox"]))
        for color, thickness in ((GT_EDGE_COLOR, 3), (GT_COLOR, 1)):
            cv2.rectangle(rgb, (x1, y1), (x2, y2), color, thickness)
    drawn = draw_detections(
        rgb, boxes * scale, labels, scores, confusion.class_names[:-1], masks=masks
    )
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
    if not ok:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


def _stated_size_rule(stated: tuple[int, int] | None) -> DisplayedRule:
    """The COCO reader's rule for an image whose entry states ``stated = (H, W)`` (or no
    size): as displayed only where the orientation swaps width and height and ``stated`` is
    the stored size transposed (:func:`~detseg.data.image_io.labels_follow_orientation`)."""
    from detseg.data.image_io import labels_follow_orientation

    return lambda image_id, orientation, stored: labels_follow_orientation(
        orientation, stored, stated
    )


def _read_as_evaluated(path: Path, image_id: int, displayed: DisplayedRule | None) -> np.ndarray:
    """``UInt8[H, W, 3]`` RGB pixels of ``path`` (the file of gt image ``image_id``) as the
    dataset reads them: turned as its EXIF orientation says where ``displayed`` says so, else
    (and without a rule) in stored order."""
    from detseg.data.image_io import apply_orientation, read_stored_rgb, to_uint8

    rgb, orientation = read_stored_rgb(path)
    stored = (rgb.shape[0], rgb.shape[1])
    if orientation != 1 and displayed is not None and displayed(image_id, orientation, stored):
        rgb = apply_orientation(rgb, orientation)
    return to_uint8(np.ascontiguousarray(rgb))


def _outline_gt_masks(
    rgb: np.ndarray, gt_anns: list[dict], dets: list[dict], image_size: tuple[int, int]
) -> np.ndarray:
    """Outline the gt masks on ``rgb`` (in place, white edged in black); return the detections'
    masks ``Bool[D, h, w]`` at the size of ``rgb`` (an image of ``image_size`` (H, W) resized)."""
    drawn_size = (rgb.shape[0], rgb.shape[1])
    for ann in gt_anns:
        outline = _scaled_mask(ann.get("segmentation"), image_size, drawn_size)
        contours, _ = cv2.findContours(
            outline.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
        )
        for color, thickness in ((GT_EDGE_COLOR, 3), (GT_COLOR, 1)):
            cv2.drawContours(rgb, contours, -1, color, thickness)
    masks = np.zeros((len(dets), *drawn_size), dtype=bool)
    for k, det in enumerate(dets):
        masks[k] = _scaled_mask(det.get("segmentation"), image_size, drawn_size)
    return masks


def _scaled_mask(
    segmentation: Any, image_size: tuple[int, int], drawn_size: tuple[int, int]
) -> np.ndarray:
    """``Bool[h, w]`` mask of a COCO ``segmentation`` of an ``image_size`` (H, W) image, resized
    to the drawn picture's ``(h, w)`` (all false without a segmentation)."""
    if not segmentation:
        return np.zeros(drawn_size, dtype=bool)
    mask = segmentation_mask(segmentation, *image_size)
    if mask.shape != drawn_size:
        mask = cv2.resize(mask, drawn_size[::-1], interpolation=cv2.INTER_NEAREST)
    return mask.astype(bool)


def _xywh_to_xyxy(box: Sequence[float]) -> list[float]:
    x, y, w, h = (float(v) for v in box)
    return [x, y, x + w, y + h]
