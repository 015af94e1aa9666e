"""Write a :class:`~detseg.convert.datasets.records.DatasetRecord` as a Pascal-VOC-xml dataset.

Output (the layout :mod:`detseg.data.voc` reads)::

    <dst>/Annotations/<id>.xml            <filename>, <size> (width, height, depth), objects
    <dst>/JPEGImages/<id><source suffix>  the image file as it was (not re-encoded)
    <dst>/ImageSets/Main/<split>.txt      the split's ids, in record order
    <dst>/ImageSets/Main/trainval.txt     train then val ids, when both are written
    <dst>/classes.txt                     the class names, one per line

Ids are the image file stems, with each run of whitespace replaced by ``_`` (a VOC split file holds
one id per line and readers take its first word); they are unique across splits: when two images of
the written splits share a stem, every id gets its split as a prefix (``train_000000``), and a stem
still repeated gets ``_1``, ``_2``, ... . VOC boxes are 1-based inclusive pixel indices: a ``xyxy``
box becomes ``xmin = round(x1) + 1``, ``ymin = round(y1) + 1``, ``xmax = round(x2)``, ``ymax =
round(y2)`` (each edge to the nearest pixel edge, at least one pixel wide), so reading it back
(``(xmin - 1, ymin - 1, xmax, ymax)``) moves no edge by more than half a pixel (a box thinner than
one pixel grows to one). Crowd regions become ``difficult`` objects (VOC evaluation ignores both),
``truncated`` is the object's flag (a VOC or COCO source's, else 0);
``<depth>`` is the channel count of the image file.
"""

from __future__ import annotations

import logging
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

from PIL import Image

from detseg.convert.datasets.output_files import (
    Progress,
    WrittenSplit,
    flat_name,
    place_image,
    unique_names,
)
from detseg.convert.datasets.records import Box, DatasetRecord, ImageRecord, for_stated_size

__all__ = ["voc_box", "voc_ids", "write_voc"]

logger = logging.getLogger(__name__)


def voc_box(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """``(xmin, ymin, xmax, ymax)`` VOC pixel indices of a ``xyxy`` pixel box (rounding above).

    Args:
        box: ``(x1, y1, x2, y2)`` absolute pixels inside the image.
        width: Image width in pixels.
        height: Image height in pixels.
    """
    edges = []
    for lo, hi, size in ((box[0], box[2], width), (box[1], box[3], height)):
        first = min(math.floor(lo + 0.5), size - 1)  # nearest pixel edge, one pixel room
        last = min(max(math.floor(hi + 0.5), first + 1), size)
        edges.append((first + 1, last))  # 1-based first pixel, last covered pixel
    (xmin, xmax), (ymin, ymax) = edges
    return xmin, ymin, xmax, ymax


def _without_whitespace(name: str) -> str:
    """``name`` with each run of whitespace replaced by ``_`` (``"a b.png"`` -> ``"a_b.png"``)."""
    return re.sub(r"\s+", "_", name)


def voc_ids(dataset: DatasetRecord) -> list[list[str]]:
    """Output file names (``<id><suffix>``) of each split's images (rule: module docstring)."""
    flat = [
        [_without_whitespace(flat_name(image.file_name)) for image in split.images]
        for split in dataset.splits
    ]
    stems = [PurePosixPath(name).stem for names in flat for name in names]
    if len(set(stems)) < len(stems):
        flat = [
            [f"{split.name}_{name}" for name in names]
            for split, names in zip(dataset.splits, flat, strict=True)
        ]
    every = unique_names([name for names in flat for name in names])
    result, start = [], 0
    for names in flat:
        result.append(every[start : start + len(names)])
        start += len(names)
    return result


def _channels(path: Path) -> int:
    try:
        with Image.open(path) as image:
            return len(image.getbands())
    except (OSError, ValueError):
        return 3


def _xml(image: ImageRecord, file_name: str, classes: list[str]) -> ET.ElementTree:
    """The VOC annotation tree of one image."""
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = "JPEGImages"
    ET.SubElement(root, "filename").text = file_name
    size = ET.SubElement(root, "size")
    for tag, value in (
        ("width", image.width),
        ("height", image.height),
        ("depth", _channels(image.path)),
    ):
        ET.SubElement(size, tag).text = str(value)
    ET.SubElement(root, "segmented").text = "0"
    for obj in image.objects:
        element = ET.SubElement(root, "object")
        ET.SubElement(element, "name").text = classes[obj.class_index]
        ET.SubElement(element, "pose").text = "Unspecified"
        ET.SubElement(element, "truncated").text = str(int(obj.truncated))
        ET.SubElement(element, "difficult").text = str(int(obj.difficult or obj.iscrowd))
        bndbox = ET.SubElement(element, "bndbox")
        values = voc_box(obj.box, image.width, image.height)
        for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), values, strict=True):
            ET.SubElement(bndbox, tag).text = str(value)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_voc(
    dataset: DatasetRecord, dst: Path, link: bool, progress: Progress
) -> list[WrittenSplit]:
    """Write every split of ``dataset`` under ``dst`` (layout in the module docstring).

    Args:
        dataset: What to write.
        dst: Output root.
        link: Symlink the images instead of copying them.
        progress: Wraps each split's images (a progress bar).

    Returns:
        What was written, per split.
    """
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (dst / folder).mkdir(parents=True, exist_ok=True)
    (dst / "classes.txt").write_text("".join(f"{c}\n" for c in dataset.classes), encoding="utf-8")
    written, ids_of = [], {}
    for split, names in zip(dataset.splits, voc_ids(dataset), strict=True):
        counts = WrittenSplit(split.name)
        for k, image in enumerate(progress(split.name, split.images)):
            name = names[k]
            place_image(image.path, dst / "JPEGImages" / name, link)
            tree = _xml(for_stated_size(image), name, dataset.classes)
            tree.write(dst / "Annotations" / f"{PurePosixPath(name).stem}.xml", encoding="utf-8")
            counts.add_image(image.objects)
        ids_of[split.name] = [PurePosixPath(name).stem for name in names]
        written.append(counts)
    if "train" in ids_of and "val" in ids_of and "trainval" not in ids_of:
        ids_of["trainval"] = ids_of["train"] + ids_of["val"]
    for split_name, ids in ids_of.items():
        split_file = dst / "ImageSets" / "Main" / f"{split_name}.txt"
        split_file.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return written
