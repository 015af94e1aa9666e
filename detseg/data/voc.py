"""Pascal-VOC-xml detection datasets.

Layout (the VOCdevkit ``VOC2007`` / ``VOC2012`` folder)::

    <root>/Annotations/<id>.xml          one xml per image
    <root>/JPEGImages/<id>.jpg           the image (``<filename>`` in the xml when that file
                                         exists; else ``<id>.jpg``, or ``<id>`` with another
                                         image suffix when only that file exists)
    <root>/ImageSets/Main/<split>.txt    image ids of the split, one per line (an id
                                         listed again is read once, at its first line,
                                         after one warning)

VOC stores 1-based inclusive pixel indices: ``xmin = 1`` is the first pixel column and
``xmax`` the last covered column. detseg's continuous ``xyxy`` box of that region is
``(xmin - 1, ymin - 1, xmax, ymax)`` (the convention of Detectron2), so a 10 px wide object
gets a 10 px wide box. Writers do the inverse. Files with an ``xmin`` or ``ymin`` of 0 look
0-based: the first is named in one warning, and their boxes are read by the same rule. A
``<difficult>`` that is not a 0/1 flag (``yes``) is read as 0, named in one warning.
``<size>`` may be absent: boxes are read against the decoded image, and a ``<size>`` that
differs from it is reported (:meth:`~detseg.data.base.DetectionDataset.stated_size`).

Every xml of the split is read when the dataset is built (:mod:`detseg.data.voc_xml` reads
one): the class names can come from them (``classes=None``), and a class list that does not fit
the objects is caught at once (see :func:`detseg.data.class_names.check_unknown_classes`). An
image whose xml cannot be read (not well-formed xml, or a file the system cannot read) is left
out of the dataset and counted, as the dataset converter skips it: read as an image without
objects, its objects would be trained as background and correct detections on it scored as
false positives. An object without a usable ``<bndbox>`` is dropped and counted by the box
checks. Images the split names that are not in ``JPEGImages`` are named when the dataset is
built, with their line of the split file
(:func:`~detseg.data.voc_split_files.check_listed_images`).

The split file (:mod:`detseg.data.voc_split_files`) and the messages about the xml files it
names (:mod:`detseg.data.voc_annotation_files`) have modules of their own.
"""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from detseg.data.base import Annotations, DetectionDataset, count_possibly_kept
from detseg.data.class_names import (
    EXAMPLE_LIMIT,
    SET_CLASSES_HINT,
    check_unknown_classes,
    log_found_classes,
    read_class_names,
)
from detseg.data.voc_annotation_files import (
    image_file_of,
    missing_annotation_error,
    spaced_name_hint,
    unreadable_annotation_note,
)
from detseg.data.voc_split_files import (
    VOC_LAYOUT,
    check_listed_images,
    read_split_ids,
    repeated_ids,
    split_file_of,
    year_folder_hint,
)
from detseg.data.voc_xml import VOCImage, looks_zero_based, parse_xml, warn_zero_based

# image_file_of, missing_annotation_error and read_split_ids are imported from here too (the
# dataset converter shares them)
__all__ = [
    "VOC_CLASSES",
    "VOCDetection",
    "image_file_of",
    "missing_annotation_error",
    "read_split_ids",
]

logger = logging.getLogger(__name__)

#: The 20 Pascal VOC classes in their standard order (labels 1..20); ``classes="voc"``.
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


def _read_split(split_file: Path) -> list[str]:
    """:func:`read_split_ids`, refusing a file that lists none."""
    ids = read_split_ids(split_file)
    if not ids:
        raise ValueError(f"VOC split file {split_file} lists no image ids: write one id per line")
    return ids


class VOCDetection(DetectionDataset):
    """A VOC-xml dataset: ``dataset[i] -> (image Float32[3, H, W], target)`` or ``None``.

    ``target`` has a ``difficult`` entry (``Int64[N]``, 0/1) next to the common ones.

    Args:
        root: The VOC folder holding ``Annotations``, ``JPEGImages`` and ``ImageSets``.
        image_set: Split name (``"trainval"`` reads ``ImageSets/Main/trainval.txt``) or the
            path of a split file with one image id per line.
        classes: Class names in label order (labels ``1..K``): ``None`` reads them from the
            split's xml files (sorted; logged with each class's object count, at WARNING
            when a class is rare, a typo perhaps:
            :func:`detseg.data.class_names.rare_classes`); ``"voc"`` is the 20 VOC classes
            (:data:`VOC_CLASSES`); otherwise a list, a ``classes.txt`` or a data yaml (a
            relative path is looked up under ``root``, then in the current directory).
            Objects of other classes are skipped and counted (one warning); when they are
            more than half of the split's objects, building fails.
        augmentations: Optional albumentations pipeline.
        keep_difficult: Keep objects flagged ``difficult``. ``build_dataset`` applies
            ``data.keep_difficult`` to the train split only: the val split keeps them, and VOC
            evaluation ignores them.

    Attributes:
        classes: Class names in label order.
        image_ids: ``1..N``, the position of each image in the dataset plus one.
        names: The VOC image ids (file stems) of the dataset, in split order: the split's ids,
            each once (an id the split file lists again is read at its first line, after one
            warning: :func:`~detseg.data.voc_split_files.read_split_lines`), less those whose
            xml cannot be read.
        split_file: The split file the image ids were read from.
        repeated_ids: ``{id: its line numbers}`` of the ids the split file lists more than
            once (:func:`~detseg.data.voc_split_files.repeated_ids`).
        missing_images: The image file names of ``names`` that are not in ``JPEGImages``
            (one warning names them, with their line of the split file); each is skipped and
            counted as an unreadable image when read.
        unreadable_annotation_files: ``(xml path, reason)`` of each xml of the split that
            cannot be read (not well-formed xml); its image is left out of the dataset (one
            warning names the first few and their count).

    Raises:
        FileNotFoundError: The root, its ``Annotations`` / ``JPEGImages`` folder, the split
            file, a class-names file, or the xml of an image of the split is missing (the
            message names the first few and says to remove their ids from the split file
            or to add the xml files), or none of the split's images is in ``JPEGImages`` (the
            message names the first with its line of the split file, and what the folder
            holds).
        ValueError: An empty split, a split none of whose xml files can be read, a bad class
            list, no object names to take the classes from, or mostly objects of unknown
            classes.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        image_set: str | os.PathLike = "trainval",
        classes: Sequence[str] | str | os.PathLike | None = None,
        augmentations: Any | None = None,
        keep_difficult: bool = True,
    ) -> None:
        super().__init__(augmentations)
        self.root = Path(root)
        for folder in (self.root, self.root / "Annotations", self.root / "JPEGImages"):
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"VOC folder not found: {folder}; {VOC_LAYOUT}{year_folder_hint(self.root)}"
                )
        split_file = split_file_of(self.root, image_set)
        self.split_file = split_file
        self.repeated_ids = repeated_ids(split_file)
        self.names, self._images, self.unreadable_annotation_files = _parse_split(
            self.root, _read_split(split_file), split_file
        )
        self.image_ids = list(range(1, len(self.names) + 1))
        self.classes = self._class_list(classes, split_file)
        self._label_of = {name: k + 1 for k, name in enumerate(self.classes)}
        self.keep_difficult = keep_difficult
        names = Counter(obj.name for image in self._images for obj in image.objects)
        unknown = {
            name or "<no name>": n for name, n in names.items() if name not in self._label_of
        }
        check_unknown_classes(
            unknown,
            sum(names.values()),
            f"VOC annotations of {split_file}",
            "<name> not in data.classes",
            self.classes,
            fix=f"{SET_CLASSES_HINT}, or leave data.classes unset (null) to take the names "
            "found in the xml files",
            examples=self._unknown_class_places(),
        )
        # after the class checks: a class list that does not fit the xml files is said first
        files = [image.filename for image in self._images]
        self.missing_images = check_listed_images(
            self.root / "JPEGImages", self.names, files, split_file
        )

    def _unknown_class_places(self) -> list[str]:
        """``Annotations/<id>.xml object <j>`` (1-based) of the first objects of no known class."""
        places = (
            f"Annotations/{name}.xml object {j}"
            for name, image in zip(self.names, self._images, strict=True)
            for j, obj in enumerate(image.objects, start=1)
            if obj.name not in self._label_of
        )
        return list(islice(places, EXAMPLE_LIMIT))

    def _class_list(
        self, classes: Sequence[str] | str | os.PathLike | None, split_file: Path
    ) -> list[str]:
        """The class names of ``classes`` (see the class docstring)."""
        if isinstance(classes, str) and classes == "voc":
            return list(VOC_CLASSES)
        if classes is not None:
            return read_class_names(classes, self.root)
        found = sorted({obj.name for image in self._images for obj in image.objects} - {""})
        if not found:
            raise ValueError(
                f"the {len(self._images)} annotation files of {split_file} name no objects, so "
                "data.classes cannot be read from them: set data.classes (a list of names, a "
                "classes.txt, or 'voc' for the 20 VOC classes)"
            )
        counts = Counter(obj.name for image in self._images for obj in image.objects)
        files: dict[str, list[str]] = {}
        for name, image in zip(self.names, self._images, strict=True):
            for found_name in dict.fromkeys(obj.name for obj in image.objects):
                held = files.setdefault(found_name, [])
                if len(held) <= EXAMPLE_LIMIT:  # the first few, and whether there are more
                    held.append(f"Annotations/{name}.xml")
        log_found_classes(
            {name: counts[name] for name in found},
            files,
            f"VOC classes from {len(self._images)} annotation files",
            logger,
        )
        return found

    @property
    def num_objects(self) -> int:
        """The objects of the xml files (read when the dataset was built) that training reads
        (a class of ``classes``; not ``difficult`` unless ``keep_difficult``) and whose box it
        keeps on an image of the xml's ``<size>`` (:func:`~detseg.data.base.possibly_kept`; an
        xml without a positive ``<size>``: any box that may be kept on some image). The stated
        size is enough for this quick check: training clips to the decoded image, and warns
        when it differs."""
        return count_possibly_kept(
            (self._trained_boxes(image), image.size) for image in self._images
        )

    def _trained_boxes(self, image: VOCImage) -> np.ndarray:
        """``Float64[N, 4]`` ``xyxy`` boxes of the objects of ``image`` that training reads."""
        boxes = [
            obj.box
            for obj in image.objects
            if obj.name in self._label_of and (self.keep_difficult or not obj.difficult)
        ]
        return np.array(boxes, dtype=np.float64).reshape(-1, 4)

    @property
    def split_source(self) -> str:
        return f"{self.split_file}, annotations in {self.root / 'Annotations'}"

    def image_path(self, index: int) -> Path:
        return self.root / "JPEGImages" / self._images[index].filename

    def stated_size(self, index: int) -> tuple[int, int] | None:
        """The xml's ``(<height>, <width>)`` of ``<size>``, when both are positive numbers."""
        return self._images[index].size

    def annotations(self, index: int, image_size: tuple[int, int]) -> Annotations:
        kept, places, unknown = [], [], 0
        xml_file = self.root / "Annotations" / f"{self.names[index]}.xml"
        for j, obj in enumerate(self._images[index].objects, start=1):
            if obj.name not in self._label_of:
                unknown += 1  # reported once, when the dataset was built
            elif self.keep_difficult or not obj.difficult:
                kept.append(obj)
                places.append(f"{xml_file} object {j}")  # a dropped box names its xml
        if not kept:  # still a VOC target: an empty ``difficult`` entry, as documented
            empty = Annotations.empty(dropped=unknown)
            empty.difficult = np.zeros(0, dtype=np.int64)
            return empty
        return Annotations(
            boxes=np.array([obj.box for obj in kept], dtype=np.float64),
            labels=np.array([self._label_of[obj.name] for obj in kept], dtype=np.int64),
            difficult=np.array([obj.difficult for obj in kept], dtype=np.int64),
            dropped=unknown,
            places=places,
        )


def _parse_split(
    root: Path, names: list[str], split_file: Path
) -> tuple[list[str], list[VOCImage], list[tuple[Path, str]]]:
    """Read the xml of every image id; an image whose xml cannot be read is left out.

    Every image of the split must have its xml: a missing one is an error rather than an image
    without objects (which a val split would score as all of its objects missed); an image
    without objects has an xml without ``<object>``. An xml that cannot be read leaves its
    image out, skipped and counted in one warning
    (:func:`~detseg.data.voc_annotation_files.unreadable_annotation_note`): read as an image
    without objects, its objects would be taught as background. An image whose xml names no
    ``<filename>`` or names a file that is not in ``JPEGImages`` (a stale name, common after
    files were renamed) is found by its id
    (:func:`~detseg.data.voc_annotation_files.image_file_of`); the stale names are counted in
    one warning.

    Returns:
        The ids whose xml was read and their images, in split order, and ``(xml path,
        reason)`` of every xml that cannot be read.

    Raises:
        FileNotFoundError: An xml of the split is missing
            (:func:`~detseg.data.voc_annotation_files.missing_annotation_error`).
        ValueError: No xml of the split can be read.
    """
    folder = root / "Annotations"
    kept: list[str] = []
    images: list[VOCImage] = []
    problems: list[tuple[Path, str]] = []
    stale: list[tuple[Path, str, str]] = []  # (xml, the <filename> it names, the file read)
    missing: list[Path] = []
    for name in names:
        xml_file = folder / f"{name}.xml"
        try:
            image = parse_xml(xml_file)
        except (OSError, ET.ParseError) as exc:
            if not xml_file.is_file():
                missing.append(xml_file)
                continue
            problems.append((xml_file, str(exc)))
            continue
        named = image.filename
        image.filename = image_file_of(root / "JPEGImages", name, named)
        if named and image.filename != named:
            stale.append((xml_file, named, image.filename))
        kept.append(name)
        images.append(image)
    if missing:
        error = missing_annotation_error(missing, len(names), split_file)
        hint = spaced_name_hint(missing)
        raise FileNotFoundError(f"{error}; {hint}") if hint else error
    if problems and not kept:
        raise ValueError(unreadable_annotation_note(problems, len(names), split_file))
    if problems:
        logger.warning("%s", unreadable_annotation_note(problems, len(names), split_file))
    _report_zero_based(folder, kept, images)
    _report_unread_flags(folder, kept, images)
    if stale:
        xml_file, named, found = stale[0]
        logger.warning(
            "%d of %d VOC annotation files name an image that is not in %s; each was found "
            "by its id instead. First: %s names %s, read %s",
            len(stale),
            len(names),
            root / "JPEGImages",
            xml_file,
            named,
            found,
        )
    return kept, images, problems


def _report_zero_based(folder: Path, names: list[str], images: list[VOCImage]) -> None:
    """Warn once when objects have ``xmin`` or ``ymin`` of 0 (:func:`warn_zero_based`)."""
    zero_based = [
        name
        for name, image in zip(names, images, strict=True)
        if looks_zero_based([obj.box for obj in image.objects])
    ]
    if zero_based:
        warn_zero_based(folder / f"{zero_based[0]}.xml", len(zero_based), len(names))


def _report_unread_flags(folder: Path, names: list[str], images: list[VOCImage]) -> None:
    """Warn once when objects have a ``<difficult>`` that is not a flag (``yes``): they are
    read as not difficult, so training keeps them and evaluation scores them."""
    unread = [
        (name, k, obj.difficult_text)
        for name, image in zip(names, images, strict=True)
        for k, obj in enumerate(image.objects, start=1)
        if obj.difficult_text
    ]
    if not unread:
        return
    name, k, text = unread[0]
    files = len({name for name, _, _ in unread})
    logger.warning(
        "%s object %d has <difficult>%s</difficult>, which is not a 0/1 flag (%d object(s) in "
        "%d of %d VOC annotation files): read as 0 (not difficult), so training keeps it and "
        "evaluation scores it; write 1 for a difficult object and 0 otherwise",
        folder / f"{name}.xml",
        k,
        text[:20],
        len(unread),
        files,
        len(names),
    )
