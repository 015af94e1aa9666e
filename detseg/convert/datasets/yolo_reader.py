"""Read a YOLO-txt dataset into a :class:`~detseg.convert.datasets.records.DatasetRecord`.

Layout (as :mod:`detseg.data.yolo` reads it)::

    <root>/images/<split>/[<subfolder>/]<stem>.<png|jpg|...>
    <root>/labels/<split>/[<subfolder>/]<stem>.txt   "class cx cy w h" per object, normalised
    <root>/classes.txt                               one class name per line

The splits of a root are the sub-folders of ``<root>/images`` (hidden ones left out). Without them,
a ``<root>/data.yaml`` in the Ultralytics form (a Roboflow export: ``train: ../train/images``,
``val: ../valid/images``, ``test: ../test/images`` beside ``train/``, ``valid/``, ``test/``; or
``train: images`` for one flat images folder) names the splits ``train``, ``val`` and ``test``;
``root`` may also be such a yaml itself (``coco8.yaml``, whose ``path`` names the dataset folder, as
Ultralytics takes ``data=coco8.yaml``): each entry is resolved as training resolves it
(:mod:`detseg.config.data_file`) and its labels are the folder with ``images`` replaced by
``labels``. As in training, each images folder is listed with its subfolders, and an image's label
file has the same path under the labels folder. Class names come from ``classes.txt`` (else the
``data.yaml`` ``names``); ``class`` is 0-based. ``cx cy w h`` are normalised by the image width and
height as displayed, read from the image header (YOLO stores no sizes) and transposed for a JPEG
whose EXIF orientation swaps the sides, and become ``xyxy`` pixels of the displayed image (the
record keeps the orientation; training reads YOLO images as displayed, as Ultralytics does). As in
training, a line with a coordinate above 2 (pixels, not normalised) is skipped with a warning
naming its file and line, and a split whose lines are mostly such is an error; a line that
repeats an earlier one of its file (same class and box) is skipped (logged). A line with
more than five numbers is an Ultralytics segment (``class x1 y1 x2 y2 ...``) whose box is the
polygon's extent; the polygon is kept (in pixels, clipped to the image) for the formats that hold
outlines (COCO ``segmentation``). An image without a label file, or with an empty one, has no
objects; a label file of no image is not converted (one warning names such files); a split without
its labels folder is an error, as in training. An image's ``file_name`` is its path under the
split's images folder (``sub/000001.jpg``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from detseg.config.bases import read_yaml
from detseg.config.data_file import images_folder, load_data_file, without_parent_step
from detseg.convert.datasets.image_notes import OBJECT_SKIPPED, note
from detseg.convert.datasets.records import (
    DatasetRecord,
    ImageRecord,
    Layout,
    ObjectRecord,
    SplitRecord,
    checked_box,
    class_index_map,
    image_size,
    reading,
    sort_splits,
)
from detseg.data import read_class_names
from detseg.data import yolo as yolo_data
from detseg.data.image_io import IMAGE_SUFFIXES, file_exif_orientation
from detseg.data.yolo import (
    default_labels_dir,
    label_files_without_image,
    label_path,
    list_files,
)

__all__ = ["read_yolo", "yolo_class_names", "yolo_splits"]


_NAME_FILES = ("classes.txt", "data.yaml")


def _ultralytics_folders(data_file: Path) -> dict[str, Path]:
    """``{split: images folder}`` of the ``train``, ``val`` and (when given) ``test`` entries
    of an Ultralytics data yaml, resolved by training's rules; ``{}`` for another yaml.

    Raises:
        ConfigError: A malformed Ultralytics data yaml (named).
    """
    raw = read_yaml(data_file, what="data file")
    if "data" in raw or "format" in raw or not {"names", "train"} <= raw.keys():
        return {}
    section = load_data_file(data_file)
    root = Path(section["root"])
    folders = {split: root / section[f"{split}_images"] for split in ("train", "val")}
    if raw.get("test"):
        test = images_folder(raw["test"], "test", f"{data_file} (an Ultralytics data yaml)")
        folders["test"] = root / without_parent_step(root, test)
    return folders


def _split_folders(root: Path) -> dict[str, Path]:
    """``{split: images folder}`` of ``root`` (rules in the module docstring); the folders of a
    ``data.yaml`` may be missing. ``root`` may also be an Ultralytics data yaml itself."""
    if root.is_file():
        return _ultralytics_folders(root)
    images = root / "images"
    found = [p for p in images.iterdir() if p.is_dir()] if images.is_dir() else []
    folders = {p.name: p for p in found if not p.name.startswith(".")}  # as list_files skips
    if not folders and (root / "data.yaml").is_file():
        return _ultralytics_folders(root / "data.yaml")
    return folders


def yolo_splits(root: Path) -> list[str]:
    """Split names of ``root``: the sub-folders of ``<root>/images``, else the entries of an
    Ultralytics ``<root>/data.yaml`` (or of ``root``, an Ultralytics data yaml) whose folder
    exists."""
    return sort_splits([name for name, folder in _split_folders(root).items() if folder.is_dir()])


def yolo_class_names(root: Path) -> list[str] | None:
    """Class names from ``<root>/classes.txt`` (else ``<root>/data.yaml``), or ``None``; the
    ``names`` of ``root`` when it is an Ultralytics data yaml (as training reads them)."""
    if root.is_file():
        return read_class_names(root)
    for name in _NAME_FILES:
        if (root / name).is_file():
            return read_class_names(root / name)
    return None


def _parse_line(line: str, num_classes: int) -> tuple[int, list[float], list[float]] | str:
    """``(class, [cx, cy, w, h] normalised, segment [x1, y1, ...] normalised or [])`` of one
    label line, or why it is unusable.

    The line is checked by training's rules (:mod:`detseg.data.yolo`: numbers, field count,
    a whole class index, no coordinate above ``MAX_NORMALIZED``, which would be pixels), so a
    line is converted exactly when training would read it.
    """
    checked = yolo_data.parse_label_line(line)
    if isinstance(checked, str):
        return checked
    cls, extent = checked  # a segment's box is its extent
    if not 0 <= cls < num_classes:
        return f"class index {line.split()[0]} is not in 0..{num_classes - 1}"
    coords = [float(v) for v in line.split()[1:]]
    return cls, [float(v) for v in extent], coords if len(coords) > 4 else []


def _pixel_polygon(segment: list[float], width: int, height: int) -> tuple[float, ...]:
    """A normalised ``[x1, y1, ...]`` segment as pixels clipped to the image (``()`` for none)."""
    sides = (width, height)
    return tuple(min(max(v * sides[k % 2], 0.0), sides[k % 2]) for k, v in enumerate(segment))


@dataclass
class _LabelLines:
    """What the label files of one split held, for training's pixel-label refusal."""

    in_pixels: list[str] = field(default_factory=list)  # "file:line: 'text'" of each
    usable: int = 0  # the other lines that parsed


def _objects(
    label_file: Path, image: ImageRecord, targets: list[int | None], lines: _LabelLines
) -> tuple[list[ObjectRecord], int]:
    """Objects of one label file and how many lines were skipped (logged); ``lines`` counts
    the lines in pixels and the usable ones."""
    objects, skipped = [], 0
    first_line: dict[tuple[float, ...], int] = {}  # (class, *box) -> its first line
    repeats: list[tuple[int, int]] = []  # (line, line it repeats): dropped, as in training
    # read as training reads it: UTF-8 or UTF-16 (a byte-order mark); undecodable bytes
    # become U+FFFD and their line is skipped (logged) as not numeric
    for lineno, line in enumerate(yolo_data.read_label_lines(label_file, keep_empty=True), 1):
        if not line.strip():
            continue
        where = f"{label_file}:{lineno}"
        parsed = _parse_line(line, len(targets))
        if isinstance(parsed, str):
            note(OBJECT_SKIPPED, where, f"{where}: label {line!r} skipped: {parsed}")
            if parsed.startswith(yolo_data.NOT_NORMALIZED):
                lines.in_pixels.append(f"{where}: {line.strip()!r}")
            skipped += 1
            continue
        lines.usable += 1
        cls, (cx, cy, w, h), segment = parsed
        key = (float(cls), cx, cy, w, h)  # a segment's: its extent, as training compares them
        if key in first_line:
            repeats.append((lineno, first_line[key]))
            skipped += 1
            continue
        first_line[key] = lineno
        scaled = (
            (cx - w / 2) * image.width,
            (cy - h / 2) * image.height,
            (cx + w / 2) * image.width,
            (cy + h / 2) * image.height,
        )
        box = checked_box(scaled, image.width, image.height, where)
        target = targets[cls]
        if box is None or target is None:
            skipped += 1
            continue
        polygon = _pixel_polygon(segment, image.width, image.height)
        objects.append(ObjectRecord(box, target, polygon=polygon))
    if repeats:
        yolo_data.report_repeated_lines(label_file, repeats)
    return objects, skipped


def _displayed_image(path: Path, images_dir: Path) -> ImageRecord | None:
    """The record (no objects yet) of an image file as training reads it, displayed: its
    header's size, transposed for an EXIF orientation that swaps the sides (5..8), with that
    orientation; ``None`` (logged) for an unreadable file."""
    size = image_size(path)
    if size is None:
        return None
    orientation = file_exif_orientation(path)
    width, height = (size[1], size[0]) if orientation in (5, 6, 7, 8) else size
    name = path.relative_to(images_dir).as_posix()
    return ImageRecord(path, name, width, height, orientation=orientation)


def _read_split(
    root: Path, split: str, targets: list[int | None], layout: Layout, progress: bool | None
) -> SplitRecord:
    default = root / "images" / split if root.is_dir() else root.parent / "images" / split
    keyed = layout.get(split)
    images_dir = (
        keyed.images if keyed and keyed.images else _split_folders(root).get(split, default)
    )
    if not images_dir.is_dir():
        found = ", ".join(yolo_splits(root)) or "none"
        raise FileNotFoundError(
            f"YOLO split {split!r} not found: no folder {images_dir} (splits found in {root}: "
            f"{found})"
        )
    labels_dir = keyed.annotations if keyed and keyed.annotations else None
    labels_dir = labels_dir or default_labels_dir(images_dir)
    if not labels_dir.is_dir():  # as training refuses it: not a split of negatives
        raise FileNotFoundError(
            f"YOLO split {split!r}: labels folder {labels_dir} not found (the images folder "
            f"{images_dir} with its last 'images' changed to 'labels'); an image without "
            "objects has an empty label file or none, in that folder"
        )
    record = SplitRecord(split, [])
    lines = _LabelLines()
    files = list_files(images_dir, IMAGE_SUFFIXES)
    label_files_without_image(labels_dir, images_dir, files)  # logs them: not converted
    for path in reading(files, "yolo", split, progress):
        image = _displayed_image(path, images_dir)
        if image is None:
            record.skipped_images += 1
            continue
        label_file = label_path(path, images_dir, labels_dir)
        image.objects, skipped = _objects(label_file, image, targets, lines)
        record.skipped_objects += skipped
        record.images.append(image)
    # as training refuses it: a split mostly in pixels would convert to almost no box
    yolo_data.refuse_pixel_labels(labels_dir, lines.in_pixels, lines.usable)
    return record


def read_yolo(
    root: Path,
    splits: list[str],
    classes: list[str] | None = None,
    layout: Layout | None = None,
    progress: bool | None = None,
) -> DatasetRecord:
    """Read ``splits`` of the YOLO dataset at ``root``.

    Args:
        root: Dataset folder (layout in the module docstring).
        splits: Split names to read.
        classes: Output class names; objects are mapped to them by the name of their class
            index and objects of other classes are skipped. Without a ``classes.txt`` in
            ``root`` these are the names of the class indices ``0..K-1``. ``None``: the names
            of ``classes.txt``.
        layout: The images and labels folders of the splits a data file names (read there,
            not in the default layout; :mod:`detseg.convert.datasets.source_layout`).
        progress: A progress bar per split over its images
            (:func:`~detseg.convert.datasets.records.reading`).

    Raises:
        FileNotFoundError: A split's images folder is missing, or no class names (neither a
            ``classes.txt`` nor ``classes``).
        ValueError: A ``classes.txt`` without names or with duplicate names.
    """
    source = yolo_class_names(root)
    if source is None and classes is None:
        raise FileNotFoundError(
            f"YOLO class names not found: no {root / 'classes.txt'} (one name per line); write "
            "it or pass the names (--classes FILE)"
        )
    names = list(classes if classes is not None else source or [])
    targets = class_index_map(source if source is not None else names, names)
    splits_read = [_read_split(root, split, targets, layout or {}, progress) for split in splits]
    return DatasetRecord(names, splits_read)
