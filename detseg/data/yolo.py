"""YOLO-txt detection datasets (the Darknet / Ultralytics label format).

Layout::

    <root>/images/train/[<subfolder>/]<stem>.<png|jpg|...>
    <root>/labels/train/[<subfolder>/]<stem>.txt    one object per line: "class cx cy w h"
    <root>/classes.txt                   one class name per line (or a data yaml with `names`)

``class`` is 0-based (label = class + 1); ``cx cy w h`` are normalized to ``[0, 1]`` by the
image width and height and become ``xyxy`` pixels here. A line with more than five numbers is
read as an Ultralytics segment (``class x1 y1 x2 y2 ...``) and its box is the polygon's extent.
An image without a label file, or with an empty one, is a negative. A line that repeats an
earlier one (same class and box) is dropped and counted, as Ultralytics removes duplicates.
As in Ultralytics, the images folder is listed with its subfolders, and an image's label file
has the same path under the labels folder; a training run's folder inside it (a work dir made
there) is not listed (one warning names it).

Images are read as displayed: a JPEG's EXIF orientation (a phone photo tagged as rotated) is
applied, as Ultralytics reads its training images (``cv2.imread``) and sizes them (``exif_size``),
so the labels are normalized by the displayed image's width and height.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detseg.data.base import Annotations, DetectionDataset
from detseg.data.class_names import (
    EXAMPLE_LIMIT,
    UNKNOWN_CLASS_LIMIT,
    check_unknown_classes,
    read_class_names,
)
from detseg.data.folder_listing import first_few
from detseg.data.image_io import IMAGE_SUFFIXES, displayed_size
from detseg.data.run_folder_files import is_run_folder
from detseg.data.target_checks import clip_to_image

__all__ = [
    "YoloTxtDetection",
    "default_labels_dir",
    "label_files_without_image",
    "label_path",
    "list_files",
    "read_class_names",
]

logger = logging.getLogger(__name__)

#: A label coordinate above this is taken as a pixel value, not a normalized one (``0..1``).
MAX_NORMALIZED = 2.0
NOT_NORMALIZED = "coordinates are not normalized to 0..1"

_LAYOUT_HINT = "expected <root>/images/<split>/*.png and <root>/labels/<split>/*.txt"


def _missing_images_message(images_dir: Path) -> str:
    """The error for a missing images folder; for a ``root/../split/images`` path (a Roboflow
    ``data.yaml`` entry such as ``val: ../valid/images``) it names both folders looked for."""
    message = f"YOLO images folder not found: {images_dir}"
    parts = images_dir.parts
    if ".." in parts:
        step = parts.index("..")
        resolved = os.path.normpath(images_dir)
        inside = Path(*parts[:step], *parts[step + 1 :])
        message += (
            f" (neither {resolved} nor {inside} exists): create that split, or point the data "
            "yaml's entry at an existing images folder"
        )
    return f"{message}{_sibling_folders_hint(images_dir)}; {_LAYOUT_HINT}"


def _sibling_folders_hint(images_dir: Path) -> str:
    """``" (images holds the folders Train, Val; names are case-sensitive: did you mean
    images/Train?)"`` when the parent of
    a missing images folder exists: the split folders that are there (``images/Train`` of an
    export whose split names are capitalized, ``images/valid`` of a Roboflow one) say which
    path to set; ``""`` when the parent is missing or holds no folders."""
    parent = images_dir.parent
    if not parent.is_dir():
        return ""
    folders = sorted(p.name for p in parent.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        return ""
    shown = ", ".join(folders[:EXAMPLE_LIMIT])
    more = f" and {len(folders) - EXAMPLE_LIMIT} more" if len(folders) > EXAMPLE_LIMIT else ""
    same = [name for name in folders if name.lower() == images_dir.name.lower()]
    case = f"; names are case-sensitive: did you mean {parent.name}/{same[0]}?" if same else ""
    return f" ({parent.name or parent} holds the folders {shown}{more}{case})"


def list_files(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    """The files under ``folder`` and its subfolders (symbolic links to folders followed) whose
    suffix (any case) is one of ``suffixes``, sorted by path; hidden files and folders
    (``.name``) are skipped, as Ultralytics' ``glob("**/*.*", recursive=True)`` skips them, and
    so are the training run folders inside ``folder`` (a work dir made there, its
    ``curves.png`` among the images: :func:`~detseg.data.run_folder_files.is_run_folder`), with
    one warning naming those that hold such files."""
    found: list[Path] = []
    skipped: dict[str, int] = {}  # run folder (relative to folder) -> its files left out
    for parent, folders, names in os.walk(folder, followlinks=True):
        visible = [name for name in folders if not name.startswith(".")]
        runs = [name for name in visible if is_run_folder(Path(parent, name))]
        for name in runs:
            held = _files_under(Path(parent, name), suffixes)
            if held:
                skipped[Path(parent, name).relative_to(folder).as_posix()] = len(held)
        folders[:] = [name for name in visible if name not in runs]
        found += _matching(parent, names, suffixes)
    if skipped:
        logger.warning(
            "%s: skipping %d file(s) in the training run folder(s) inside it: %s (each holds a "
            "detseg-train work dir's config.yaml and metrics.jsonl, or a last.pt): a run's "
            "outputs are not data; keep work dirs outside the dataset folder",
            folder,
            sum(skipped.values()),
            first_few(sorted(skipped)),
        )
    return sorted(found)


def _files_under(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    """The files of :func:`list_files`, run folders inside ``folder`` included."""
    found: list[Path] = []
    for parent, folders, names in os.walk(folder, followlinks=True):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += _matching(parent, names, suffixes)
    return found


def _matching(parent: str, names: list[str], suffixes: Sequence[str]) -> list[Path]:
    """Those of the file ``names`` in ``parent`` that are not hidden and whose suffix (any
    case) is one of ``suffixes``."""
    return [
        Path(parent, name)
        for name in names
        if not name.startswith(".") and Path(name).suffix.lower() in suffixes
    ]


def default_labels_dir(images_dir: Path) -> Path:
    """Ultralytics rule: the last ``images`` path component becomes ``labels``."""
    parts = list(images_dir.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts)
    raise ValueError(
        f"no labels folder given and {images_dir} has no 'images' folder to replace by 'labels': "
        "set data.train_labels / data.val_labels to the folder of the .txt labels"
    )


class YoloTxtDetection(DetectionDataset):
    """A YOLO-txt dataset: ``dataset[i] -> (image Float32[3, H, W], target)`` or ``None``.

    Images are read as displayed (EXIF orientation applied, module docstring). Every label
    file is scanned for its class indices when the dataset is built: lines whose
    class index is not in ``0..K-1`` are skipped and counted (one warning naming the indices),
    and when they are more than half of the split's objects building fails (see
    :func:`detseg.data.class_names.check_unknown_classes`); the objects training may keep are
    counted then too (:attr:`num_objects`).

    Args:
        images_dir: Folder of images (listed with its subfolders, sorted by path).
        labels_dir: Folder of ``<stem>.txt`` labels, in the subfolders of the images;
            default: ``images_dir`` with its last ``images`` component replaced by ``labels``.
        classes: Names, or a ``classes.txt`` / data yaml (see
            :func:`~detseg.data.class_names.read_class_names`; a relative path is looked up in
            the current directory).
        augmentations: Optional albumentations pipeline.

    Attributes:
        classes: Class names in label order (labels ``1..K``).
        image_ids: ``1..N`` in file-path order.
        files: The image files.
        unmatched_label_files: Files under ``labels_dir`` that are no ``<stem>.txt`` of an image
            (a label file of a missing image, an image of an unlisted type, ``.TXT``): their
            objects are not read (one warning names them).

    Raises:
        FileNotFoundError: ``images_dir``, ``labels_dir`` or the class-names file is missing,
            or ``images_dir`` holds no images.
        ValueError: A bad class list, or mostly objects with a class index outside ``0..K-1``.
    """

    def __init__(
        self,
        images_dir: str | os.PathLike,
        labels_dir: str | os.PathLike | None = None,
        classes: Sequence[str] | str | os.PathLike = "classes.txt",
        augmentations: Any | None = None,
    ) -> None:
        super().__init__(augmentations)
        self.images_dir = Path(images_dir)
        if not self.images_dir.is_dir():
            raise FileNotFoundError(_missing_images_message(self.images_dir))
        self.labels_dir = (
            Path(labels_dir) if labels_dir is not None else default_labels_dir(self.images_dir)
        )
        if not self.labels_dir.is_dir():
            raise FileNotFoundError(
                f"YOLO labels folder not found: {self.labels_dir}"
                f"{_sibling_folders_hint(self.labels_dir)}; {_LAYOUT_HINT}"
            )
        self.classes = read_class_names(classes)
        self.files = list_files(self.images_dir, IMAGE_SUFFIXES)
        if not self.files:
            raise FileNotFoundError(
                f"no images ({', '.join(IMAGE_SUFFIXES)}) in {self.images_dir}; {_LAYOUT_HINT}"
            )
        self.image_ids = list(range(1, len(self.files) + 1))
        self.unmatched_label_files = label_files_without_image(
            self.labels_dir, self.images_dir, self.files
        )
        self._num_objects = 0
        self._check_class_indices()

    @property
    def num_objects(self) -> int:
        """The label lines of a class index in ``0..K-1`` whose box has area inside the image
        (normalized coordinates), counted when the dataset was built; a repeated line and a box
        under 1 px once clipped still count."""
        return self._num_objects

    @property
    def split_source(self) -> str:
        return f"YOLO labels in {self.labels_dir}, images in {self.images_dir}"

    def _label_file(self, index: int) -> Path:
        return label_path(self.files[index], self.images_dir, self.labels_dir)

    def _check_class_indices(self) -> None:
        """Count the objects of every label file by class index; apply the unknown-class guard
        and refuse labels that are mostly in pixels (:func:`refuse_pixel_labels`); count the
        objects of known classes that training may keep (:attr:`num_objects`)."""
        counts: Counter[int] = Counter()
        num_classes = len(self.classes)
        places: list[str] = []  # "file:line" of the first unknown class indices
        in_pixels: list[str] = []  # "file:line: line" of the lines with pixel coordinates
        for index in range(len(self.files)):
            label_file = self._label_file(index)
            known: list[list[float]] = []  # normalized xyxy of the lines of a known class
            for lineno, line in enumerate(read_label_lines(label_file, keep_empty=True), 1):
                parsed = parse_label_line(line) if line.strip() else "blank"
                if isinstance(parsed, str):
                    if parsed.startswith(NOT_NORMALIZED):
                        where = label_file.relative_to(self.labels_dir).as_posix()
                        in_pixels.append(f"{where}:{lineno}: {line.strip()!r}")
                    continue
                counts[parsed[0]] += 1
                if 0 <= parsed[0] < num_classes:
                    known.append(_normalized_to_pixels(parsed[1], (1, 1)))
                elif len(places) < EXAMPLE_LIMIT:
                    places.append(f"{label_file.relative_to(self.labels_dir).as_posix()}:{lineno}")
            if known:  # area inside the image, whatever its size (a pixel box scales these)
                self._num_objects += int(clip_to_image(np.array(known), (1, 1), 0.0).keep.sum())
        refuse_pixel_labels(self.labels_dir, in_pixels, sum(counts.values()))
        check_unknown_classes(
            {f"class {k}": n for k, n in counts.items() if not 0 <= k < num_classes},
            sum(counts.values()),
            f"YOLO labels in {self.labels_dir}",
            f"class index outside 0..{len(self.classes) - 1}",
            self.classes,
            examples=places,
        )

    def image_path(self, index: int) -> Path:
        return self.files[index]

    displayed_reason = "YOLO labels refer to the displayed image, as Ultralytics reads it"

    def reads_as_displayed(self, index: int, orientation: int, stored: tuple[int, int]) -> bool:
        """Every image is read as displayed: its EXIF ``orientation`` applied, as
        ``cv2.imread`` does in Ultralytics."""
        return True

    def labelled_size(self, index: int) -> tuple[int, int] | None:
        """``(H, W)`` of the image as displayed (the labels are normalized by it): the file
        header's size, transposed for an EXIF orientation that swaps the sides (5..8);
        ``None`` for an unreadable file."""
        return displayed_size(self.files[index])

    def annotations(self, index: int, image_size: tuple[int, int]) -> Annotations:
        """Boxes (``xyxy`` px of the ``(H, W)`` image) of the label file's lines.

        A malformed line, a line whose class index is outside ``0..K-1`` and a repeat of an
        earlier line (the same class and box; a segment's box is its extent, as Ultralytics
        compares them) are dropped and counted in ``dropped``; malformed and repeated lines
        are logged with the file and line.
        """
        label_file = self._label_file(index)
        boxes, labels, places, dropped = [], [], [], 0
        first_line: dict[tuple[float, ...], int] = {}
        repeats: list[tuple[int, int]] = []  # (line, line it repeats)
        for lineno, line in enumerate(read_label_lines(label_file, keep_empty=True), 1):
            if not line.strip():
                continue
            parsed = parse_label_line(line)
            if isinstance(parsed, str):
                logger.warning("%s:%d: dropped label %r: %s", label_file, lineno, line, parsed)
                dropped += 1
                continue
            cls, norm_box = parsed
            if not 0 <= cls < len(self.classes):
                dropped += 1  # reported once, when the dataset was built
                continue
            values = (float(cls), *norm_box.tolist())  # a segment's: its extent
            if values in first_line:
                repeats.append((lineno, first_line[values]))
                dropped += 1
                continue
            first_line[values] = lineno
            boxes.append(_normalized_to_pixels(norm_box, image_size))
            labels.append(cls + 1)
            places.append(f"{label_file}:{lineno}")  # a dropped box names its label line
        if repeats:
            report_repeated_lines(label_file, repeats)
        if not boxes:
            return Annotations.empty(dropped=dropped)
        return Annotations(
            np.array(boxes), np.array(labels, dtype=np.int64), dropped=dropped, places=places
        )


def refuse_pixel_labels(labels_dir: Path, in_pixels: list[str], usable: int) -> None:
    """Raise a ``ValueError`` when most label lines under ``labels_dir`` hold pixel coordinates
    (``in_pixels``: ``"file:line: text"`` of each; ``usable``: the other parsed lines): the
    dataset would train on almost no box. A few such lines are dropped when read, each named."""
    if not in_pixels or len(in_pixels) <= UNKNOWN_CLASS_LIMIT * (len(in_pixels) + usable):
        return
    raise ValueError(
        f"YOLO labels in {labels_dir}: {len(in_pixels)} of {len(in_pixels) + usable} label "
        f"lines have a coordinate above {MAX_NORMALIZED:g} (first: {in_pixels[0]}): they look "
        "like pixels, but YOLO labels are normalized to 0..1 (x and w divided by the image "
        "width, y and h by its height); convert them"
    )


def report_repeated_lines(label_file: Path, repeats: list[tuple[int, int]]) -> None:
    """One warning naming the repeated lines of ``label_file`` (each kept once)."""
    shown = ", ".join(f"line {line} repeats line {first}" for line, first in repeats[:5])
    logger.warning(
        "%s: dropped %d duplicate label line(s), each kept once as Ultralytics does (%s%s); "
        "delete the repeated lines",
        label_file,
        len(repeats),
        shown,
        ", ..." if len(repeats) > 5 else "",
    )


def label_path(image: Path, images_dir: Path, labels_dir: Path) -> Path:
    """The label file of ``image`` (a file under ``images_dir``): its path under
    ``labels_dir`` with the suffix ``.txt``."""
    return (labels_dir / image.relative_to(images_dir)).with_suffix(".txt")


def label_files_without_image(labels_dir: Path, images_dir: Path, images: list[Path]) -> list[Path]:
    """The ``.txt`` files under ``labels_dir`` and its subfolders (any case of the suffix) that
    are not the label file of one of ``images`` (files under ``images_dir``: ``<stem>.txt`` at
    the same path under ``labels_dir``), sorted; logs one warning naming the first few."""
    expected = {label_path(image, images_dir, labels_dir) for image in images}
    unmatched = [p for p in list_files(labels_dir, (".txt",)) if p not in expected]
    if unmatched:
        shown = ", ".join(p.relative_to(labels_dir).as_posix() for p in unmatched[:5])
        logger.warning(
            "%s: %d label file(s) match no image of %s and are not read: %s%s; each image "
            "<stem>.<%s> reads labels <stem>.txt (same stem, lower-case .txt)",
            labels_dir,
            len(unmatched),
            images_dir,
            shown,
            ", ..." if len(unmatched) > 5 else "",
            "|".join(ext.lstrip(".") for ext in IMAGE_SUFFIXES),
        )
    return unmatched


def read_label_lines(label_file: Path, keep_empty: bool = False) -> list[str]:
    """The lines of a label file (none when it does not exist: the image is a negative).

    The file is read as UTF-8 without a leading byte-order mark, or as UTF-16 when it starts
    with a UTF-16 byte-order mark (Windows PowerShell's ``>`` writes label files so);
    undecodable bytes become U+FFFD, so their line is dropped as not numeric.
    """
    if not label_file.is_file():
        return []
    data = label_file.read_bytes()
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    lines = data.decode(encoding, errors="replace").splitlines()
    return lines if keep_empty else [line for line in lines if line.strip()]


def parse_label_line(line: str) -> tuple[int, np.ndarray] | str:
    """``(class, [cx, cy, w, h] normalized)`` of one label line, or why it is unusable.

    The class index is not checked against the class list here (see
    ``YoloTxtDetection.annotations``). A coordinate above :data:`MAX_NORMALIZED` cannot be a
    normalized one (a box reaching a little outside the image is clipped later): such a line
    holds pixels, which would otherwise be read as boxes far outside the image.
    """
    fields = line.split()
    try:
        values = [float(v) for v in fields]
    except ValueError:
        return "not all fields are numbers"
    if len(values) < 5 or (len(values) > 5 and len(values) % 2 == 0):
        return "expected 'class cx cy w h' or 'class x1 y1 x2 y2 x3 y3 ...'"
    cls = values[0]
    if not np.isfinite(cls) or cls != int(cls):
        return f"class index {fields[0]} is not a whole number"
    coords = np.array(values[1:], dtype=np.float64)
    too_large = coords[np.isfinite(coords) & (coords > MAX_NORMALIZED)]
    if too_large.size:  # a non-finite one is dropped later, with the box checks
        return (
            f"{NOT_NORMALIZED} ({too_large.max():g} > {MAX_NORMALIZED:g}: pixels?); YOLO "
            "labels divide x and w by the image width, y and h by its height"
        )
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
