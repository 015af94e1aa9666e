"""Read a Pascal-VOC-xml dataset into a :class:`~detseg.convert.datasets.records.DatasetRecord`.

Layout (as :mod:`detseg.data.voc` reads it)::

    <root>/Annotations/<id>.xml
    <root>/JPEGImages/<filename of the xml>          (else found by the id, see below)
    <root>/ImageSets/Main/<split>.txt                one image id per line

The splits of a root are its ``ImageSets/Main/*.txt`` files, except VOCdevkit's per-class
lists (``<class>_<split>.txt``) and ``trainval`` when ``train`` and ``val`` are both there (it is
their union). VOC's 1-based inclusive pixel indices become ``xyxy = (xmin - 1, ymin - 1, xmax,
ymax)`` (see :mod:`detseg.data.voc`; files with an ``xmin`` or ``ymin`` of 0 look 0-based and
the first is named in one warning). Classes: the names of ``<root>/classes.txt`` (one per
line; this package's VOC writer puts it there) when present, else the sorted names found in the
xml files of the converted splits; objects of other names are skipped, and one warning names
them and the first few places (``Annotations/<id>.xml object <j>``, ``j`` counting the xml's
``<object>`` elements from 1, as the training reader names them). The image is the file the
xml's ``<filename>`` names; when that file is not in ``JPEGImages`` (or the xml names none) it
is found by the id (``<id>.jpg``, or ``<id>`` with another image suffix), as
:mod:`detseg.data.voc` finds it for training. Image
sizes come from the image headers (a ``<size>`` that differs is reported and not used). A
split that lists an id without its ``Annotations/<id>.xml`` is refused, as :mod:`detseg.data.voc`
refuses it (an image without objects has an xml without ``<object>``); an id whose xml is
unreadable or whose image is missing or unreadable is skipped and counted. Tag namespaces are
ignored, as in training (an xml written as ``<annotation xmlns="...">``).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from detseg.convert.datasets.image_notes import (
    FILENAME_FALLBACK,
    IMAGE_SKIPPED,
    OBJECT_SKIPPED,
    note,
)
from detseg.convert.datasets.records import (
    DatasetRecord,
    ImageRecord,
    Layout,
    ObjectRecord,
    SplitRecord,
    checked_box,
    file_image_size,
    reading,
    sort_splits,
)
from detseg.data import read_class_names
from detseg.data.class_names import EXAMPLE_LIMIT, format_places
from detseg.data.voc import image_file_of, missing_annotation_error, read_split_ids
from detseg.data.voc_xml import (
    is_voc_flag,
    looks_zero_based,
    voc_flag,
    warn_zero_based,
    without_namespaces,
)

__all__ = ["read_voc", "voc_splits"]

logger = logging.getLogger(__name__)


@dataclass
class _RawObject:
    """An object as the xml states it (name not yet mapped to a class)."""

    name: str
    box: tuple[float, float, float, float]  # xyxy pixels
    difficult: bool
    truncated: bool
    place: str  # "Annotations/<id>.xml object <j>" (j: 1-based among the xml's <object>s)


def voc_splits(root: Path) -> list[str]:
    """Split names of ``root`` (``ImageSets/Main/<split>.txt``; see the module docstring)."""
    stems = {p.stem for p in (root / "ImageSets" / "Main").glob("*.txt")}
    per_class = {s for s in stems if "_" in s and s.rsplit("_", 1)[1] in stems}
    splits = stems - per_class
    if {"train", "val", "trainval"} <= splits:
        splits.discard("trainval")
    return sort_splits(sorted(splits))


def _split_ids(root: Path, split: str, layout: Layout) -> list[str]:
    """The image ids of ``split``, each with its ``Annotations/<id>.xml``.

    Raises:
        FileNotFoundError: The split file or an xml of the split is missing (as
            :class:`~detseg.data.voc.VOCDetection` refuses it: an image without objects has
            an xml without ``<object>``; :func:`~detseg.data.voc.missing_annotation_error`).
    """
    files = layout.get(split)
    split_file = root / "ImageSets" / "Main" / f"{split}.txt"
    split_file = files.annotations if files and files.annotations else split_file
    if not split_file.is_file():
        found = ", ".join(voc_splits(root)) or "none"
        raise FileNotFoundError(
            f"VOC split {split!r} not found: no {split_file} (splits found in {root}: {found})"
        )
    ids = read_split_ids(split_file)
    missing = [
        xml_file
        for xml_file in (root / "Annotations" / f"{image_id}.xml" for image_id in ids)
        if not xml_file.is_file()
    ]
    if missing:
        raise missing_annotation_error(missing, len(ids), split_file)
    return ids


def _size(root_el: ET.Element) -> tuple[int, int]:
    """``(width, height)`` of ``<size>``; ``(0, 0)`` when missing or not finite numbers."""
    try:
        return int(float(root_el.findtext("size/width", ""))), int(
            float(root_el.findtext("size/height", ""))
        )
    except (ValueError, OverflowError):  # int() of "inf" overflows
        return 0, 0


def _raw_objects(root_el: ET.Element, xml_file: Path) -> tuple[list[_RawObject], int]:
    """The xml's objects and how many had no usable name or box (logged)."""
    objects, bad = [], 0
    for index, obj in enumerate(root_el.iter("object"), start=1):
        name = (obj.findtext("name") or "").strip()
        try:
            xmin, ymin, xmax, ymax = (
                float(obj.findtext(f"bndbox/{tag}", "")) for tag in ("xmin", "ymin", "xmax", "ymax")
            )
        except ValueError:
            name = ""
        if not name:
            note(
                OBJECT_SKIPPED,
                f"{xml_file} object {index}",
                f"{xml_file}: object {index} has no name or no numeric box; skipped",
            )
            bad += 1
            continue
        difficult_text = obj.findtext("difficult")
        difficult = bool(voc_flag(difficult_text))  # the training reader's rule
        if not is_voc_flag(difficult_text):
            logger.warning(
                "%s: object %d has <difficult>%s</difficult>, which is not a 0/1 flag: read as "
                "0 (not difficult); write 1 for a difficult object and 0 otherwise",
                xml_file,
                index,
                str(difficult_text).strip()[:20],
            )
        truncated = bool(voc_flag(obj.findtext("truncated")))
        box = (xmin - 1.0, ymin - 1.0, xmax, ymax)
        place = f"Annotations/{xml_file.name} object {index}"
        objects.append(_RawObject(name, box, difficult, truncated, place))
    return objects, bad


def _read_image(root: Path, image_id: str) -> tuple[ImageRecord, list[_RawObject], int] | None:
    """The image (no objects yet), its raw objects and the bad ones, or ``None`` (logged)."""
    xml_file = root / "Annotations" / f"{image_id}.xml"
    try:
        # tag namespaces stripped as training strips them (<annotation xmlns="...">)
        root_el = without_namespaces(ET.parse(xml_file).getroot())
    except (OSError, ET.ParseError) as error:
        note(
            IMAGE_SKIPPED,
            str(xml_file),
            f"{xml_file}: cannot read the annotation ({error}); image skipped",
        )
        return None
    named = (root_el.findtext("filename") or "").strip()
    file_name = image_file_of(root / "JPEGImages", image_id, named)
    if named and file_name != named:
        note(
            FILENAME_FALLBACK,
            str(xml_file),
            f"{xml_file}: <filename> {named} is not in JPEGImages; read {file_name}",
        )
    path = root / "JPEGImages" / file_name
    if not path.is_file():
        note(IMAGE_SKIPPED, str(xml_file), f"{xml_file}: image {path} not found; skipped")
        return None
    size = file_image_size(path, _size(root_el), f"{xml_file} (<size>)")
    if size is None:
        return None
    objects, bad = _raw_objects(root_el, xml_file)
    width, height, orientation = size
    return ImageRecord(path, file_name, width, height, orientation=orientation), objects, bad


def read_voc(
    root: Path,
    splits: list[str],
    classes: list[str] | None = None,
    layout: Layout | None = None,
    progress: bool | None = None,
) -> DatasetRecord:
    """Read ``splits`` of the VOC dataset at ``root``.

    Args:
        root: The VOC folder (layout in the module docstring).
        splits: Split names to read.
        classes: Output class names; objects of other names are skipped. ``None``: the names
            of ``<root>/classes.txt``, else the sorted names found in the xml files of
            ``splits``.
        layout: The split files of the splits a data file names (``<role>_split``; read
            there, not in ``ImageSets/Main``; :mod:`detseg.convert.datasets.source_layout`).
        progress: A progress bar per split over its images
            (:func:`~detseg.convert.datasets.records.reading`).

    Raises:
        FileNotFoundError: The ``Annotations`` or ``JPEGImages`` folder, a split file or the
            xml of an id of a split is missing.
        ValueError: A ``classes.txt`` without names or with duplicate names.
    """
    for folder in (root / "Annotations", root / "JPEGImages"):
        if not folder.is_dir():
            raise FileNotFoundError(
                f"VOC folder not found: {folder}; expected <root>/Annotations/<id>.xml, "
                "<root>/JPEGImages/ and <root>/ImageSets/Main/<split>.txt"
            )
    parsed = []
    zero_based: list[str] = []  # ids of the xml files that look 0-based
    read = 0
    for split in splits:
        record = SplitRecord(split, [])
        images = []
        for image_id in reading(_split_ids(root, split, layout or {}), "voc", split, progress):
            result = _read_image(root, image_id)
            if result is None:
                record.skipped_images += 1
                continue
            record.skipped_objects += result[2]
            images.append(result)
            read += 1
            if looks_zero_based([raw.box for raw in result[1]]):
                zero_based.append(image_id)
        parsed.append((record, images))
    if zero_based:
        warn_zero_based(root / "Annotations" / f"{zero_based[0]}.xml", len(zero_based), read)
    if classes is None and (root / "classes.txt").is_file():
        classes = read_class_names(root / "classes.txt")
    if classes is None:
        classes = sorted({o.name for _, images in parsed for _, objs, _ in images for o in objs})
    position = {name: k for k, name in enumerate(classes)}
    other_names: Counter[str] = Counter()
    other_places: list[str] = []  # where the first objects of other names are
    for record, images in parsed:
        for image, raw_objects, _ in images:
            for raw in raw_objects:
                if raw.name not in position:
                    other_names[raw.name] += 1
                    if len(other_places) < EXAMPLE_LIMIT:
                        other_places.append(raw.place)
                    record.skipped_objects += 1
                    continue
                box = checked_box(raw.box, image.width, image.height, str(image.path))
                if box is None:
                    record.skipped_objects += 1
                    continue
                image.objects.append(
                    ObjectRecord(
                        box, position[raw.name], difficult=raw.difficult, truncated=raw.truncated
                    )
                )
            record.images.append(image)
    if other_names:
        logger.warning(
            "%s: objects of classes %s, which are not in classes=%s, were skipped%s",
            root,
            sorted(other_names),
            classes,
            format_places(other_places, other_names.total()),
        )
    return DatasetRecord(list(classes), [record for record, _ in parsed])
