"""``convert_dataset``: read a dataset in one format, write it in another, summarise per split."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from detseg.argument_checks import check_new_folder
from detseg.config.bases import read_yaml
from detseg.config.data_file import load_data_file
from detseg.config.data_root import warn_root_elsewhere
from detseg.config.schema import ConfigError
from detseg.convert.datasets.coco_reader import coco_splits, read_coco
from detseg.convert.datasets.coco_writer import write_coco
from detseg.convert.datasets.data_file import write_data_file
from detseg.convert.datasets.image_notes import collecting_notes
from detseg.convert.datasets.output_files import Progress, WrittenSplit
from detseg.convert.datasets.records import (
    DatasetRecord,
    ImageRecord,
    Layout,
    SplitRecord,
    sort_splits,
)
from detseg.convert.datasets.layout_hints import json_source_hint, no_splits_hint
from detseg.convert.datasets.source_layout import data_file_layout, replaced_splits
from detseg.convert.datasets.voc_reader import read_voc, voc_splits
from detseg.convert.datasets.voc_writer import write_voc
from detseg.convert.datasets.yolo_reader import read_yolo, yolo_splits
from detseg.convert.datasets.yolo_writer import write_yolo
from detseg.data.class_names import read_class_names
from detseg.progress_bars import progress_bar
from detseg.shell_words import shell_word

__all__ = [
    "DATASET_FORMATS",
    "HEADER_ONLY_NOTE",
    "ConversionSummary",
    "SplitSummary",
    "convert_dataset",
    "find_splits",
    "read_dataset",
]

Reader = Callable[
    [Path, list[str], "list[str] | None", "Layout | None", "bool | None"], DatasetRecord
]  # (root, splits, classes, layout, progress)
Writer = Callable[[DatasetRecord, Path, bool, Progress], list[WrittenSplit]]

#: What marks a split of each format in its default folder layout (what :func:`find_splits` looks
#: for), for the error of a folder without any.
SPLIT_FILES = {
    "coco": "annotations/instances_<split>.json",
    "voc": "ImageSets/Main/<split>.txt",
    "yolo": "images/<split>/ or a data.yaml naming the split folders",
}

#: The last line of the summary. Conversion reads each image's header (size, EXIF orientation),
#: not its pixels: decoding them costs more than the rest of a conversion (the 2000 PNGs of
#: datasets/shapes train: about 10 s to decode beside 0.8 s for the headers, with a whole
#: conversion of some 7 s of CPU), while ``tools/check_data.py`` decodes every image and lists
#: those training cannot read. So a truncated image is copied and not counted as skipped here.
#: ``{dst}`` is the output folder as one shell word (a path with a space is quoted).
HEADER_ONLY_NOTE = (
    "images were read by their headers only (not decoded): a truncated or corrupt image is "
    "copied and not counted as skipped, and training skips it; run detseg-check-data {dst} "
    "(tools/check_data.py) to decode every image"
)

#: Format name -> (split finder, reader, writer); the names are those of
#: :data:`~detseg.choices.dataset_formats.DATASET_FORMAT_NAMES`, which the tools offer without
#: importing torch (a test holds the two equal).
DATASET_FORMATS: dict[str, tuple[Callable[[Path], list[str]], Reader, Writer]] = {
    "coco": (coco_splits, read_coco, write_coco),
    "voc": (voc_splits, read_voc, write_voc),
    "yolo": (yolo_splits, read_yolo, write_yolo),
}


@dataclass(frozen=True)
class SplitSummary:
    """One converted split.

    Attributes:
        name: Split name.
        images: Images written.
        objects: Objects written.
        classes: Classes with at least one written object.
        skipped_objects: Objects not written: unreadable, of another class, or not
            expressible in the target format (YOLO: crowd regions).
        skipped_images: Images not written (missing or unreadable, or of a file type the
            target format's training does not read).
    """

    name: str
    images: int
    objects: int
    classes: int
    skipped_objects: int
    skipped_images: int

    def line(self, num_classes: int) -> str:
        """``"train: 10 images, 23 objects, 5/5 classes, skipped 0 objects, 0 images"``."""
        return (
            f"{self.name}: {self.images} images, {self.objects} objects, {self.classes}/"
            f"{num_classes} classes, skipped {self.skipped_objects} objects, "
            f"{self.skipped_images} images"
        )


@dataclass(frozen=True)
class ConversionSummary:
    """What :func:`convert_dataset` wrote.

    Attributes:
        src_format: Source format.
        dst_format: Target format.
        dst: Output root.
        data_file: The written ``data.yaml``.
        classes: Class names, in label order (label ``k`` is ``classes[k - 1]``).
        splits: One summary per split, in conversion order.
    """

    src_format: str
    dst_format: str
    dst: Path
    data_file: Path
    classes: list[str]
    splits: list[SplitSummary]

    def lines(self) -> list[str]:
        """One line per split (:meth:`SplitSummary.line`), then :data:`HEADER_ONLY_NOTE` for
        the output folder."""
        splits = [split.line(len(self.classes)) for split in self.splits]
        return [*splits, HEADER_ONLY_NOTE.format(dst=shell_word(self.dst))]


def _check_format(fmt: str, role: str) -> None:
    if fmt not in DATASET_FORMATS:
        raise ValueError(f"unknown {role} format {fmt!r}: use one of {', '.join(DATASET_FORMATS)}")


def _is_ultralytics_yaml(path: Path) -> bool:
    """Whether ``path`` holds an Ultralytics data yaml (``names`` and ``train``, no ``format``)."""
    raw = read_yaml(path, what="data file")
    return "data" not in raw and "format" not in raw and {"names", "train"} <= raw.keys()


def _reads_as_ultralytics_yaml(path: Path) -> bool:
    """:func:`_is_ultralytics_yaml`, ``False`` for a file that is no YAML mapping."""
    try:
        return _is_ultralytics_yaml(path)
    except ConfigError:
        return False


def dataset_root(root: str | os.PathLike, fmt: str) -> Path:
    """The ``fmt`` dataset that ``root`` names: a dataset folder, or a data file of it.

    A data file stands for its dataset: an Ultralytics data yaml (``coco8.yaml``, as
    Ultralytics takes ``data=coco8.yaml``) is read by the YOLO reader itself; a detseg data
    file (``<dst>/data.yaml`` of a conversion) stands for its ``root`` folder, read by the
    file's keys (:mod:`detseg.convert.datasets.source_layout`) and else in the format's
    default layout.

    Raises:
        ValueError: Unknown format; a file that is no data file, or a data file of another
            format or without a ``root`` (the message says what to give instead).
        FileNotFoundError: ``root`` does not exist.
        NotADirectoryError: ``root`` is a file other than a yaml.
    """
    _check_format(fmt, "dataset")
    path = Path(root)
    if not path.exists():
        what = "data file" if path.suffix.lower() in (".yaml", ".yml") else "dataset folder"
        raise FileNotFoundError(f"{what} not found: {root}")
    if path.is_dir():
        return path
    if fmt == "coco" and path.suffix.lower() == ".json":
        raise NotADirectoryError(
            f"{root} is a COCO json, not a dataset folder: {json_source_hint(path)}"
        )
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise NotADirectoryError(f"{root} is a file, not a dataset folder; give the {fmt} folder")
    try:
        section = load_data_file(path)
    except ConfigError as error:
        # an Ultralytics data yaml that fails its checks is fixed where the message says; any
        # other file may be no data file at all, for which the dataset folder is the answer
        if _reads_as_ultralytics_yaml(path):
            raise ValueError(str(error)) from None
        raise ValueError(f"{error}; give the {fmt} dataset folder instead") from None
    if section["format"] != fmt:
        raise ValueError(
            f"{root} is a data file of a {section['format']} dataset, not {fmt}: "
            f"pass --from {section['format']} (or give the {fmt} dataset folder)"
        )
    if fmt == "yolo" and _is_ultralytics_yaml(path):
        return path
    if not section.get("root"):
        raise ValueError(f"{root} is a data file without a 'root': give the {fmt} dataset folder")
    folder = Path(section["root"])
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {folder} (the root of {root})")
    return folder


def _data_file_classes(src: Path) -> list[str] | None:
    """The class names a data file ``src`` gives its dataset (``classes``: a list, or a file
    under its root), in training's label order; ``None`` for a folder or a data file
    without them."""
    if not src.is_file():
        return None
    section = load_data_file(src)
    if not section.get("classes"):
        return None
    return read_class_names(section["classes"], section.get("root") or None)


def find_splits(root: str | os.PathLike, fmt: str) -> list[str]:
    """Split names present in the ``fmt`` dataset at ``root`` (train, val, test first);
    ``root`` is a dataset folder or a data file of it (:func:`dataset_root`).

    Raises:
        ValueError: Unknown format, or a yaml that names no ``fmt`` dataset.
        FileNotFoundError: ``root`` does not exist.
        NotADirectoryError: ``root`` is a file other than a data file.
    """
    return _splits_and_layout(root, fmt)[0]


def _splits_and_layout(root: str | os.PathLike, fmt: str) -> tuple[list[str], Layout | None]:
    """The splits of ``root`` (a folder or data file) and the files of those a detseg data
    file names (``None`` for a folder or an Ultralytics data yaml)."""
    found = DATASET_FORMATS[fmt][0](dataset_root(root, fmt))
    layout = data_file_layout(Path(root), fmt, found)
    if not layout:
        return found, layout
    replaced = replaced_splits(dataset_root(root, fmt), fmt, found, layout)
    kept = [split for split in found if split not in replaced]
    return sort_splits(list(dict.fromkeys([*kept, *layout]))), layout


def read_dataset(
    root: str | os.PathLike,
    fmt: str,
    splits: list[str] | None = None,
    classes: list[str] | None = None,
    segments: bool = False,
    progress: bool | None = None,
) -> DatasetRecord:
    """Read the ``fmt`` dataset at ``root`` into the format-neutral record.

    Args:
        root: Dataset folder in the default detseg layout of ``fmt``, or a data file of it
            (:func:`dataset_root`; a detseg data file's split keys are honoured).
        fmt: ``"coco"``, ``"voc"`` or ``"yolo"``.
        splits: Splits to read (default: all found, :func:`find_splits`).
        classes: Output class names, matched by name to the source's classes (see each
            reader); ``None``: the source's classes.
        segments: Read the objects' outlines too (COCO ``segmentation``; other formats refuse).
        progress: A tqdm bar per split over the images read (each is opened): ``None`` shows
            it only when stderr is a terminal, ``True`` always, ``False`` never.

    Raises:
        ValueError: Unknown format, or a malformed annotation file (named).
        FileNotFoundError: ``root``, a split or a file the layout needs is missing (named).
    """
    found, layout = _splits_and_layout(root, fmt)
    folder = dataset_root(root, fmt)
    chosen = list(dict.fromkeys(splits)) if splits else found  # a split named twice is read once
    if not chosen:
        raise FileNotFoundError(
            f"no {fmt} splits found in {root} (expected {SPLIT_FILES[fmt]} in the dataset "
            f"folder); {no_splits_hint(fmt, folder)}"
        )
    if segments and fmt != "coco":
        raise ValueError(f"segments are read from a coco source only, not {fmt}")
    reader = functools.partial(read_coco, segments=True) if segments else DATASET_FORMATS[fmt][1]
    with collecting_notes():  # one line per kind of per-image note, not one per image
        return reader(folder, chosen, classes, layout, progress)


def _check_target(src: Path, dst: Path) -> None:
    src = Path(load_data_file(src)["root"]) if src.is_file() else src  # a data file's dataset
    if dst.resolve() == src.resolve():
        raise ValueError(f"the output folder {dst} is the source folder: choose another one")
    if src.resolve() in dst.resolve().parents:
        raise ValueError(
            f"the output folder {dst} is inside the source folder {src}: a later reading of the "
            "source would take the copy for its own files; choose a folder outside it"
        )
    check_new_folder(dst)


def _check_line_names(classes: list[str], src: Path, dst_format: str) -> None:
    """Refuse class names that a ``classes.txt`` (one name per line, each stripped; YOLO and
    VOC output) cannot hold: an empty or blank name, or one with a line break, would shift or
    drop the names after it when read back.

    Raises:
        ValueError: The first such name, its position, and what to do.
    """
    for k, name in enumerate(classes):
        if name.strip() and name.splitlines() == [name]:
            continue
        problem = "is blank" if not name.strip() else "holds a line break"
        raise ValueError(
            f"{src}: class {k + 1} of {len(classes)}, {name!r}, {problem}, so the {dst_format} "
            "output's classes.txt (one name per line) cannot hold it: rename it in the source, "
            "or leave its objects out with --classes FILE listing the other names"
        )


def _check_some_class(dataset: DatasetRecord, src: Path, src_format: str) -> None:
    """Refuse a source that names no class (a VOC folder without ``classes.txt`` whose every
    object was skipped): its output would hold no class for training to learn, yet look
    converted."""
    if dataset.classes:
        return
    skipped = sum(split.skipped_objects for split in dataset.splits)
    objects = "object" if skipped == 1 else "objects"
    read = f"{skipped} {objects} skipped, logged above" if skipped else "no object"
    raise ValueError(
        f"{src}: the {src_format} source names no class ({read}); fix its annotations, or "
        "give the class names with --classes FILE (one per line)"
    )


def _tqdm_progress(fmt: str, progress: bool | None) -> Progress:
    """The bar of each split's images as the writer goes through them (:func:`progress_bar`)."""

    def wrap(split: str, images: list[ImageRecord]) -> Iterable[ImageRecord]:
        return progress_bar(images, desc=f"{fmt} {split}", unit="img", progress=progress)

    return wrap


def _summary(split: SplitRecord, written: WrittenSplit) -> SplitSummary:
    return SplitSummary(
        name=split.name,
        images=written.images,
        objects=written.objects,
        classes=len(written.class_indices),
        skipped_objects=split.skipped_objects + written.dropped,
        skipped_images=split.skipped_images + written.skipped_images,
    )


def convert_dataset(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    src_format: str,
    dst_format: str,
    splits: list[str] | None = None,
    link: bool = False,
    classes: list[str] | None = None,
    progress: bool | None = None,
    segments: bool = False,
) -> ConversionSummary:
    """Convert the detection dataset at ``src`` from ``src_format`` to ``dst_format`` at ``dst``.

    Both folders use the default detseg layout of their format (``datasets/README.md``); ``dst``
    also gets a ``data.yaml`` (:mod:`detseg.convert.datasets.data_file`). See
    :mod:`detseg.convert.datasets` for how boxes, classes and flags carry over.

    Args:
        src: Source dataset folder, or a data file of it (an Ultralytics data yaml, a
            detseg ``data.yaml``; :func:`dataset_root`).
        dst: Output folder; created, and must be new or empty.
        src_format: ``"coco"``, ``"voc"`` or ``"yolo"``.
        dst_format: Another of those.
        splits: Splits to convert (default: every split found in ``src``).
        link: Symlink the images instead of copying them.
        classes: Output class names; source objects of other classes are skipped (default:
            the ``classes`` of a data file ``src``, else the source's classes).
        progress: A tqdm bar per split on stderr, as it is read and as it is written: ``None``
            shows it only when stderr is a terminal, ``True`` always, ``False`` never.
        segments: COCO -> YOLO only: write each object's ``segmentation`` as an Ultralytics
            segment line (polygon parts, or an RLE mask's outer contours, joined into one ring);
            objects without one stay boxes.

    Returns:
        What was written, per split.

    Raises:
        ValueError: Unknown or equal formats, ``dst`` not empty or equal to ``src``, a
            malformed source file (named), a source that names no class, a split without one
            readable image, or (YOLO and
            VOC output) a class name that is blank or holds a line break
            (:func:`_check_line_names`).
        FileNotFoundError: ``src``, a split or a file of the source layout is missing (named).
    """
    _check_format(src_format, "source")
    _check_format(dst_format, "target")
    if src_format == dst_format:
        raise ValueError(f"source and target format are both {src_format!r}: nothing to convert")
    if segments and (src_format, dst_format) != ("coco", "yolo"):
        raise ValueError(
            f"--segments writes segment lines of a coco source into yolo labels only "
            f"(--from coco --to yolo), not {src_format} -> {dst_format}: leave it out"
        )
    src_path, dst_path = dataset_root(src, src_format), Path(dst)
    if Path(src).is_file() and src_path.is_dir():  # a detseg data file: read at its root
        warn_root_elsewhere(src, {"format": src_format, "root": str(src_path)})
    if classes is None:  # a data file's classes: the order training gives them
        classes = _data_file_classes(Path(src))
    _check_target(src_path, dst_path)
    dataset = read_dataset(src, src_format, splits, classes, segments, progress)
    _check_some_class(dataset, src_path, src_format)
    if dst_format in ("yolo", "voc"):  # the formats with a classes.txt
        _check_line_names(dataset.classes, src_path, dst_format)
    for split in dataset.splits:
        if not split.images:
            raise ValueError(
                f"{src_path}: split {split.name!r} has no readable image "
                f"({split.skipped_images} listed but missing or unreadable, logged above); "
                "fix the layout or leave the split out with --splits"
            )
    wrap = _tqdm_progress(dst_format, progress)
    writer = (
        functools.partial(write_yolo, segments=True) if segments else DATASET_FORMATS[dst_format][2]
    )
    written = writer(dataset, dst_path, link, wrap)
    names = [split.name for split in dataset.splits]
    data_file = write_data_file(dst_format, dst_path, names, dataset.classes)
    summaries = [_summary(s, w) for s, w in zip(dataset.splits, written, strict=True)]
    return ConversionSummary(
        src_format, dst_format, dst_path, data_file, dataset.classes, summaries
    )
