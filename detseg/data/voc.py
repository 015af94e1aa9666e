"""Pascal-VOC-xml detection datasets.

Layout (the VOCdevkit ``VOC2007`` / ``VOC2012`` folder)::

    <root>/Annotations/<id>.xml          one xml per image
    <root>/JPEGImages/<id>.jpg           the image (``<filename>`` in the xml when present)
    <root>/ImageSets/Main/<split>.txt    image ids of the split, one per line

VOC stores 1-based inclusive pixel indices: ``xmin = 1`` is the first pixel column and
``xmax`` the last covered column. detseg's continuous ``xyxy`` box of that region is
``(xmin - 1, ymin - 1, xmax, ymax)`` (the convention of Detectron2), so a 10 px wide object
gets a 10 px wide box. Writers do the inverse.
"""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from detseg.data.base import Annotations, DetectionDataset

__all__ = ["VOC_CLASSES", "VOCDetection"]

logger = logging.getLogger(__name__)

#: The 20 Pascal VOC classes in their standard order (labels 1..20).
VOC_CLASSES = [
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
]

_LAYOUT_HINT = (
    "expected <root>/Annotations/<id>.xml, <root>/JPEGImages/<id>.jpg and "
    "<root>/ImageSets/Main/<split>.txt (see datasets/README.md)"
)


def _read_split(root: Path, image_set: str | os.PathLike) -> list[str]:
    """Image ids listed by a split name (``ImageSets/Main/<name>.txt``) or a split file path."""
    candidate = Path(image_set)
    split_file = (
        candidate if candidate.is_file() else root / "ImageSets" / "Main" / f"{image_set}.txt"
    )
    if not split_file.is_file():
        raise FileNotFoundError(f"VOC split file not found: {split_file}; {_LAYOUT_HINT}")
    ids = [
        line.split()[0]
        for line in split_file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    if not ids:
        raise ValueError(f"VOC split file {split_file} lists no image ids")
    return ids


class VOCDetection(DetectionDataset):
    """A VOC-xml dataset: ``dataset[i] -> (image Float32[3, H, W], target)`` or ``None``.

    ``target`` has a ``difficult`` entry (``Int64[N]``, 0/1) next to the common ones.

    Args:
        root: The VOC folder holding ``Annotations``, ``JPEGImages`` and ``ImageSets``.
        image_set: Split name (``"trainval"`` reads ``ImageSets/Main/trainval.txt``) or the
            path of a split file with one image id per line.
        classes: Class names in label order (labels ``1..K``); default the 20 VOC classes.
            Objects of other classes are skipped with one warning per unknown name.
        augmentations: Optional albumentations pipeline.
        keep_difficult: Keep objects flagged ``difficult`` (they matter for VOC evaluation,
            which ignores them; training code may drop them).

    Attributes:
        classes: Class names in label order.
        image_ids: ``1..N``, the position of each image in the split plus one.
        names: The VOC image ids (file stems) in split order.

    Raises:
        FileNotFoundError: The root, its ``Annotations`` folder or the split file is missing.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        image_set: str | os.PathLike = "trainval",
        classes: list[str] | None = None,
        augmentations: Any | None = None,
        keep_difficult: bool = True,
    ) -> None:
        super().__init__(augmentations)
        self.root = Path(root)
        for folder in (self.root, self.root / "Annotations", self.root / "JPEGImages"):
            if not folder.is_dir():
                raise FileNotFoundError(f"VOC folder not found: {folder}; {_LAYOUT_HINT}")
        self.classes = list(VOC_CLASSES if classes is None else classes)
        if len(set(self.classes)) != len(self.classes) or not self.classes:
            raise ValueError(
                f"VOC classes must be a non-empty list of unique names, got {self.classes}"
            )
        self._label_of = {name: k + 1 for k, name in enumerate(self.classes)}
        self.keep_difficult = keep_difficult
        self.names = _read_split(self.root, image_set)
        self.image_ids = list(range(1, len(self.names) + 1))
        self._parsed: dict[int, tuple[str, list[dict]]] = {}
        self._warned_classes: set[str] = set()

    def _parse(self, index: int) -> tuple[str, list[dict]]:
        """(file name, objects) of image ``index``; cached."""
        if index not in self._parsed:
            xml_file = self.root / "Annotations" / f"{self.names[index]}.xml"
            self._parsed[index] = _parse_xml(xml_file, self.names[index])
        return self._parsed[index]

    def image_path(self, index: int) -> Path:
        return self.root / "JPEGImages" / self._parse(index)[0]

    def annotations(self, index: int, image_size: tuple[int, int]) -> Annotations:
        objects = self._parse(index)[1]
        kept = []
        for obj in objects:
            if obj["name"] not in self._label_of:
                if obj["name"] not in self._warned_classes:
                    self._warned_classes.add(obj["name"])
                    logger.warning(
                        "%s: skipping objects of class %r, which is not in classes=%s",
                        self.image_path(index),
                        obj["name"],
                        self.classes,
                    )
                continue
            if obj["difficult"] and not self.keep_difficult:
                continue
            kept.append(obj)
        if not kept:
            return Annotations.empty()
        ann = Annotations(
            boxes=np.array([obj["box"] for obj in kept], dtype=np.float64),
            labels=np.array([self._label_of[obj["name"]] for obj in kept], dtype=np.int64),
            difficult=np.array([obj["difficult"] for obj in kept], dtype=np.int64),
        )
        return ann


def _parse_xml(xml_file: Path, name: str) -> tuple[str, list[dict]]:
    """Read one VOC annotation: the image file name and ``[{name, box, difficult}]``.

    A missing or malformed xml is logged and treated as an image without objects; a box with
    missing or non-numeric coordinates gets NaNs, so the box checks drop and count it.
    """
    try:
        tree = ET.parse(xml_file)
    except (OSError, ET.ParseError) as exc:
        logger.warning(
            "%s: cannot read VOC annotation (%s); treating image as empty", xml_file, exc
        )
        return f"{name}.jpg", []
    root = tree.getroot()
    filename = (root.findtext("filename") or "").strip() or f"{name}.jpg"
    objects = []
    for obj in root.iter("object"):
        bndbox = obj.find("bndbox")
        coords = [float("nan")] * 4
        if bndbox is not None:
            try:
                # a missing tag reads as "", which float() rejects like a non-numeric value
                coords = [
                    float(bndbox.findtext(tag, "")) for tag in ("xmin", "ymin", "xmax", "ymax")
                ]
            except ValueError:
                pass
        x1, y1, x2, y2 = coords
        difficult = (obj.findtext("difficult") or "0").strip()
        objects.append(
            {
                "name": (obj.findtext("name") or "").strip(),
                "box": [x1 - 1.0, y1 - 1.0, x2, y2],
                "difficult": int(difficult in ("1", "true", "True")),
            }
        )
    return filename, objects
