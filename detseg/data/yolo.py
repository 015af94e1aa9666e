"""YOLO-txt detection datasets (the Darknet / Ultralytics label format).

Layout::

    <root>/images/train/<stem>.<png|jpg|...>
    <root>/labels/train/<stem>.txt       one object per line: "class cx cy w h"
    <root>/classes.txt                   one class name per line (or a data yaml with `names`)

``class`` is 0-based (label = class + 1); ``cx cy w h`` are normalized to ``[0, 1]`` by the
image width and height and become ``xyxy`` pixels here. A line with more than five numbers is
read as an Ultralytics segment (``class x1 y1 x2 y2 ...``) and its box is the polygon's extent.
An image without a label file, or with an empty one, is a negative.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from detseg.data.base import Annotations, DetectionDataset

__all__ = ["IMAGE_EXTENSIONS", "YoloTxtDetection", "read_class_names"]

logger = logging.getLogger(__name__)

_LAYOUT_HINT = (
    "expected <root>/images/<split>/*.png and <root>/labels/<split>/*.txt (see datasets/README.md)"
)

#: File extensions listed as images (case-insensitive).
IMAGE_EXTENSIONS = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


def read_class_names(source: list[str] | str | os.PathLike) -> list[str]:
    """Class names from a list, a ``classes.txt`` (one per line) or a data yaml with ``names``.

    Args:
        source: The names themselves, or a ``.txt`` / ``.yaml`` / ``.yml`` file. In a yaml,
            ``names`` is a list or a ``{index: name}`` dict (Ultralytics style).

    Returns:
        Names in label order (index 0 -> label 1).

    Raises:
        FileNotFoundError: The file is missing.
        ValueError: No names, duplicate names, or a yaml without a usable ``names`` entry.
    """
    if isinstance(source, (list, tuple)):
        names = [str(n) for n in source]
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(
                f"class names file not found: {path}; expected a classes.txt with one name per "
                "line or a data yaml with a 'names' entry"
            )
        if path.suffix.lower() in (".yaml", ".yml"):
            names = _names_from_yaml(path)
        else:
            lines = path.read_text(encoding="utf-8").splitlines()
            names = [line.strip() for line in lines if line.strip()]
    if not names or len(set(names)) != len(names):
        raise ValueError(
            f"class names must be a non-empty list of unique names, got {names} ({source})"
        )
    return names


def _names_from_yaml(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict):
        keys = sorted(int(k) for k in names)
        if keys != list(range(len(keys))):
            raise ValueError(f"{path}: 'names' keys must be 0..K-1, got {keys}")
        return [str(names[k]) for k in keys]
    if isinstance(names, list):
        return [str(n) for n in names]
    raise ValueError(f"{path}: expected a 'names' list or {{index: name}} dict, got {names!r}")


def _default_labels_dir(images_dir: Path) -> Path:
    """Ultralytics rule: the last ``images`` path component becomes ``labels``."""
    parts = list(images_dir.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts)
    raise ValueError(f"labels_dir not given and {images_dir} has no 'images' folder to replace")


class YoloTxtDetection(DetectionDataset):
    """A YOLO-txt dataset: ``dataset[i] -> (image Float32[3, H, W], target)`` or ``None``.

    Args:
        images_dir: Folder of images (listed non-recursively, sorted by name).
        labels_dir: Folder of ``<stem>.txt`` labels; default: ``images_dir`` with its last
            ``images`` component replaced by ``labels``.
        classes: Names, or a ``classes.txt`` / data yaml (see :func:`read_class_names`).
        augmentations: Optional albumentations pipeline.

    Attributes:
        classes: Class names in label order (labels ``1..K``).
        image_ids: ``1..N`` in file-name order.
        files: The image files.

    Raises:
        FileNotFoundError: ``images_dir`` or ``labels_dir`` is missing, or holds no images.
    """

    def __init__(
        self,
        images_dir: str | os.PathLike,
        labels_dir: str | os.PathLike | None = None,
        classes: list[str] | str | os.PathLike = "classes.txt",
        augmentations: Any | None = None,
    ) -> None:
        super().__init__(augmentations)
        self.images_dir = Path(images_dir)
        if not self.images_dir.is_dir():
            raise FileNotFoundError(
                f"YOLO images folder not found: {self.images_dir}; {_LAYOUT_HINT}"
            )
        self.labels_dir = (
            Path(labels_dir) if labels_dir is not None else _default_labels_dir(self.images_dir)
        )
        if not self.labels_dir.is_dir():
            raise FileNotFoundError(
                f"YOLO labels folder not found: {self.labels_dir}; {_LAYOUT_HINT}"
            )
        self.classes = read_class_names(classes)
        self.files = sorted(
            p for p in self.images_dir.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not self.files:
            raise FileNotFoundError(
                f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {self.images_dir}; {_LAYOUT_HINT}"
            )
        self.image_ids = list(range(1, len(self.files) + 1))

    def image_path(self, index: int) -> Path:
        return self.files[index]

    def annotations(self, index: int, image_size: tuple[int, int]) -> Annotations:
        label_file = self.labels_dir / f"{self.files[index].stem}.txt"
        if not label_file.is_file():
            return Annotations.empty()
        boxes, labels, dropped = [], [], 0
        for lineno, line in enumerate(label_file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parsed = _parse_line(line, len(self.classes))
            if isinstance(parsed, str):
                logger.warning("%s:%d: dropped label %r: %s", label_file, lineno, line, parsed)
                dropped += 1
                continue
            cls, norm_box = parsed
            boxes.append(_normalized_to_pixels(norm_box, image_size))
            labels.append(cls + 1)
        if not boxes:
            return Annotations.empty(dropped=dropped)
        return Annotations(np.array(boxes), np.array(labels, dtype=np.int64), dropped=dropped)


def _parse_line(line: str, num_classes: int) -> tuple[int, np.ndarray] | str:
    """``(class, [cx, cy, w, h] normalized)`` of one label line, or why it is unusable."""
    fields = line.split()
    try:
        values = [float(v) for v in fields]
    except ValueError:
        return "not all fields are numbers"
    if len(values) < 5 or (len(values) > 5 and len(values) % 2 == 0):
        return "expected 'class cx cy w h' or 'class x1 y1 x2 y2 x3 y3 ...'"
    cls = values[0]
    if cls != int(cls) or not 0 <= cls < num_classes:
        return f"class index {fields[0]} is not in 0..{num_classes - 1}"
    coords = np.array(values[1:], dtype=np.float64)
    if len(coords) == 4:
        return int(cls), coords
    xs, ys = coords[0::2], coords[1::2]  # segment polygon -> its extent
    box = [(xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2, np.ptp(xs), np.ptp(ys)]
    return int(cls), np.array(box)


def _normalized_to_pixels(box: np.ndarray, image_size: tuple[int, int]) -> list[float]:
    """Normalized ``cxcywh`` to ``xyxy`` pixels."""
    height, width = image_size
    cx, cy, w, h = box
    return [
        (cx - w / 2) * width,
        (cy - h / 2) * height,
        (cx + w / 2) * width,
        (cy + h / 2) * height,
    ]
