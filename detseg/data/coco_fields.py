"""Reading single fields of COCO json entries, by the one rule every COCO reader follows.

An image entry's file (``file_name``, Windows separators allowed) and stated size
(``height`` / ``width``), and an annotation's ``bbox`` as ``xyxy``. A malformed value is not an
error here: a size becomes ``None`` and a box NaNs, which the readers drop and count. Kept apart
from the datasets because the detection and segmentation readers, the mask decoding, the
evaluation report and the dataset converter all read these fields the same way.
"""

from __future__ import annotations

import json
import numbers
from pathlib import Path, PureWindowsPath
from typing import Any

__all__ = ["coco_box_xyxy", "coco_image_file", "entry_size", "is_number", "short_json"]


def coco_image_file(images_dir: Path, file_name: Any) -> Path:
    """``images_dir / file_name``; a ``file_name`` written with Windows separators
    (``batch_b\\0001.png``, as annotation tools on Windows write it) is also looked up with
    ``/`` separators, and that path is returned when only it exists."""
    name = str(file_name)
    path = images_dir / name
    if "\\" in name and not path.exists():
        posix = images_dir / PureWindowsPath(name).as_posix()
        if posix.exists():
            return posix
    return path


def entry_size(entry: dict) -> tuple[int, int] | None:
    """A COCO image entry's ``(height, width)``, when it states both as whole numbers (``480``
    or ``480.0``, as some exporters write it); ``None`` otherwise."""
    sides = [_whole(entry.get("height")), _whole(entry.get("width"))]
    if sides[0] is None or sides[1] is None:
        return None
    return sides[0], sides[1]


def _whole(value: Any) -> int | None:
    """``value`` as an ``int`` when it is a JSON number with no fractional part."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def coco_box_xyxy(bbox: Any) -> list[float]:
    """COCO ``[x, y, w, h]`` to ``[x1, y1, x2, y2]``; a malformed bbox (not a list of four
    numbers: another length, strings, ``null``) becomes NaNs (dropped)."""
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4 or not all(map(is_number, bbox)):
        return [float("nan")] * 4
    x, y, w, h = (float(v) for v in bbox)
    return [x, y, x + w, y + h]


def is_number(value: Any) -> bool:
    """A JSON number (``true`` / ``false`` are not), or a numpy scalar such as ``np.int64``
    that a ground truth built in Python may hold. A plain ``int`` or ``float`` is answered
    before the ``numbers.Real`` lookup, which is slow over a large json."""
    kind = type(value)
    if kind is int or kind is float:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def short_json(value: Any) -> str:
    """``value`` as JSON writes it, cut to 40 characters."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else f"{text[:37]}..."
