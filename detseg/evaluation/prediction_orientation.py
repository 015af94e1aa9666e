"""Whether predictions made on displayed photos meet a ground truth of their stored pixels.

``tools/infer.py`` predicts on a JPEG as its EXIF orientation displays it (turned, mirrored),
so its ``predictions.json`` boxes refer to the displayed image. A COCO ground truth's boxes
refer to the frame the COCO reader reads the image in: the displayed one only where the entry
states the displayed size of an orientation that swaps width and height (5..8), the stored one
otherwise (:func:`detseg.data.image_io.labels_follow_orientation`). For an image read in its
stored frame, the predictions and the ground truth lie in two frames and its AP is wrong;
:func:`warn_about_display_frame` names the first such image in one warning.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PIL import Image

from detseg.data.image_io import (
    file_exif_orientation,
    labels_follow_orientation,
    pillow_pixel_limit_lifted,
)
from detseg.evaluation.file_names import match_file_names

logger = logging.getLogger(__name__)

__all__ = ["stored_frame_image", "warn_about_display_frame"]


def stored_frame_image(
    gt: dict, records: list[dict], images_dir: str | os.PathLike
) -> tuple[dict, Path, int] | None:
    """The first gt image that ``tools/infer.py``-style records (those with a ``file_name``)
    predict on as displayed while the ground truth is read in its stored frame.

    Args:
        gt: COCO ground truth (``images[]`` with ``id``, ``file_name``, ``height``, ``width``).
        records: COCO results; only those with a ``file_name`` (infer.py's) are considered.
        images_dir: folder the gt's ``images[].file_name`` are relative to.

    Returns:
        ``(gt image entry, its file, its EXIF orientation 2..8)``, or ``None`` when every
        predicted image is read as displayed, untagged, or not a readable file.
    """
    named = [r for r in records if isinstance(r, dict) and "file_name" in r]
    try:
        predicted = {d["image_id"] for d in match_file_names(gt, named)}
    except (ValueError, KeyError, TypeError):  # nothing matched: the evaluation says so
        return None
    for image in gt.get("images", []):
        if not isinstance(image, dict) or image.get("id") not in predicted:
            continue
        path = Path(images_dir) / str(image.get("file_name", ""))
        orientation = file_exif_orientation(path)
        if orientation == 1:
            continue
        stored = _stored_size(path)
        if stored is not None and not labels_follow_orientation(
            orientation, stored, _stated_size(image)
        ):
            return image, path, orientation
    return None


def warn_about_display_frame(
    gt: dict, records: list, images_dir: str | os.PathLike, gt_source: str | os.PathLike
) -> None:
    """One warning naming the first image of :func:`stored_frame_image` (nothing without one).

    Args:
        gt: the COCO ground truth (already checked by the evaluation).
        records: the predictions (a list of COCO results, as read from their file).
        images_dir: folder the gt's ``images[].file_name`` are relative to.
        gt_source: the ground-truth file, named in the warning.
    """
    found = stored_frame_image(gt, records, images_dir)
    if found is None:
        return
    image, path, orientation = found
    stated = _stated_size(image)
    size = f"its stored size {stated[0]}x{stated[1]}" if stated is not None else "no size"
    swap = (
        ", or state the displayed size (height and width swapped) in the gt if the annotations "
        "were drawn on the displayed image"
        if orientation in (5, 6, 7, 8) and stated is not None and stated[0] != stated[1]
        else ""
    )
    logger.warning(
        "%s (gt image %r) has EXIF orientation %d: inference predicted on it as "
        "displayed, but %s states %s, so its ground truth is read on the stored pixels and "
        "the AP of such images is wrong; score the checkpoint with detseg-eval CHECKPOINT "
        "(tools/eval.py) "
        "(which reads images as the ground truth does)%s; further such images are not reported",
        path,
        image.get("id"),
        orientation,
        gt_source,
        size,
        swap,
    )


def _stored_size(path: Path) -> tuple[int, int] | None:
    """``(H, W)`` of ``path``'s stored pixels (Pillow's header size, without the EXIF turn);
    ``None`` for a missing or unreadable file."""
    try:
        with pillow_pixel_limit_lifted(), Image.open(path) as opened:
            width, height = opened.size
    except (OSError, ValueError, SyntaxError):
        return None
    return height, width


def _stated_size(image: dict[str, Any]) -> tuple[int, int] | None:
    """``(height, width)`` a gt image entry states; ``None`` without both as numbers."""
    height, width = image.get("height"), image.get("width")
    if isinstance(height, bool) or isinstance(width, bool):
        return None
    if isinstance(height, int | float) and isinstance(width, int | float):
        return int(height), int(width)
    return None
