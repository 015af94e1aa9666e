"""Reading one Pascal VOC annotation xml: its image file name, stated size and objects.

VOC stores 1-based inclusive pixel indices; an object's box is read as detseg's continuous
``xyxy`` ``(xmin - 1, ymin - 1, xmax, ymax)`` (see :mod:`detseg.data.voc`), NaN where a
coordinate is missing or not a number. Separate from the dataset because the VOC converter
reads the xml files with the same rules (:func:`without_namespaces`, :func:`voc_flag`).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "VOCImage",
    "is_voc_flag",
    "looks_zero_based",
    "parse_xml",
    "voc_flag",
    "warn_zero_based",
    "without_namespaces",
]

logger = logging.getLogger(__name__)


@dataclass
class _VOCObject:
    name: str
    box: list[float]  # xyxy px, NaN where the xml has no usable coordinate
    difficult: int
    difficult_text: str = ""  # the <difficult> text when it is not a flag (read as 0)


@dataclass
class VOCImage:
    filename: str
    objects: list[_VOCObject] = field(default_factory=list)
    size: tuple[int, int] | None = None  # (H, W) of <size>, when it states both


def parse_xml(xml_file: Path) -> VOCImage:
    """Read one VOC annotation: the image file name (``""`` when the xml names none) and its
    objects.

    A box with missing or non-numeric coordinates gets NaNs, so the box checks drop and count
    it.

    Raises:
        OSError: The file cannot be read.
        xml.etree.ElementTree.ParseError: The file is not well-formed xml.
    """
    root = without_namespaces(ET.parse(xml_file).getroot())
    image = VOCImage((root.findtext("filename") or "").strip(), size=_stated_size(root))
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
        difficult = obj.findtext("difficult")
        image.objects.append(
            _VOCObject(
                name=(obj.findtext("name") or "").strip(),
                box=[x1 - 1.0, y1 - 1.0, x2, y2],
                difficult=voc_flag(difficult),
                difficult_text="" if is_voc_flag(difficult) else str(difficult).strip(),
            )
        )
    return image


def looks_zero_based(boxes: Sequence[Sequence[float]]) -> bool:
    """Whether an xml's read boxes (xyxy ``(xmin - 1, ymin - 1, xmax, ymax)``) have an ``xmin``
    or ``ymin`` from 0 to below 1 (``x1`` or ``y1`` from -1 to below 0): VOC is 1-based, a
    0-based file has 0 there. A negative ``xmin`` or ``ymin`` is a box reaching outside the
    image (clipped, and counted by ``tools/check_data.py``), not a sign of 0-based files."""
    return any(-1 <= box[0] < 0 or -1 <= box[1] < 0 for box in boxes)


def warn_zero_based(first: Path, count: int, total: int) -> None:
    """One warning: ``count`` of ``total`` xml files (the first is ``first``) look 0-based
    (:func:`looks_zero_based`); their boxes are read by the 1-based rule all the same."""
    logger.warning(
        "%s has an object with xmin or ymin 0 (%d of %d VOC annotation files have such "
        "objects): the annotations look 0-based, but detseg reads VOC as 1-based like the VOC "
        "devkit and Detectron2 (box = xmin - 1, ymin - 1, xmax, ymax), so these boxes are off "
        "by one pixel and clipped at the image border; if the files are 0-based, add 1 to all "
        "four coordinates",
        first,
        count,
        total,
    )


def without_namespaces(root: ET.Element) -> ET.Element:
    """``root`` with every ``{namespace}tag`` renamed ``tag``: an xml written with a default
    namespace (``<annotation xmlns="...">``) would otherwise match no ``object`` or
    ``filename`` and read as an image without objects."""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    return root


def _stated_size(root: ET.Element) -> tuple[int, int] | None:
    """``(H, W)`` of an annotation's ``<size>``; ``None`` when it is missing, or a side is not
    a positive whole number (some tools write ``0`` for an unknown size)."""
    sides = []
    for tag in ("height", "width"):
        try:
            side = float(root.findtext(f"size/{tag}", ""))
        except ValueError:
            return None
        if not (side > 0 and side.is_integer()):  # inf and nan are not
            return None
        sides.append(int(side))
    return sides[0], sides[1]


def is_voc_flag(text: str | None) -> bool:
    """Whether :func:`voc_flag` reads ``text`` as written: absent or empty, a number, ``true``
    or ``false`` (any case). Other text (``yes``, ``x``) is read as 0 all the same."""
    text = (text or "").strip()
    if not text or text.lower() in ("true", "false"):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def voc_flag(text: str | None) -> int:
    """A VOC 0/1 flag (``<difficult>``): 1 for a non-zero number (``1``, ``1.0``, as some
    converters write it) or ``true``; 0 when it is absent, zero or anything else."""
    text = (text or "").strip()
    if text.lower() == "true":
        return 1
    try:
        return int(float(text) != 0)
    except ValueError:
        return 0
