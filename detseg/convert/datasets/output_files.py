"""What the writers share: output image names and copying (or linking) the image files."""

from __future__ import annotations

import logging
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from detseg.convert.datasets.records import ImageRecord, ObjectRecord

logger = logging.getLogger(__name__)

__all__ = [
    "Progress",
    "WrittenSplit",
    "contained_name",
    "flat_name",
    "no_progress",
    "place_image",
    "unique_files",
    "unique_names",
]

#: ``progress(split name, images)`` -> the images, iterated with a progress bar (or without).
Progress = Callable[[str, list[ImageRecord]], Iterable[ImageRecord]]


def no_progress(split: str, images: list[ImageRecord]) -> Iterable[ImageRecord]:
    """The :data:`Progress` that shows nothing."""
    return images


@dataclass
class WrittenSplit:
    """What a writer wrote of one split.

    Attributes:
        name: Split name.
        images: Images written.
        objects: Objects written.
        dropped: Objects the target format cannot hold (YOLO: crowd regions).
        class_indices: Classes with at least one written object.
        skipped_images: Images the target format cannot hold (each logged).
    """

    name: str
    images: int = 0
    objects: int = 0
    dropped: int = 0
    class_indices: set[int] = field(default_factory=set)
    skipped_images: int = 0

    def add_image(self, written: list[ObjectRecord], dropped: int = 0) -> None:
        """Count one written image with its written objects and the objects it dropped."""
        self.images += 1
        self.objects += len(written)
        self.dropped += dropped
        self.class_indices.update(obj.class_index for obj in written)

    def skip_image(self, path: Path, reason: str) -> None:
        """Count (and log, naming ``path``) one image not written, for ``reason``."""
        logger.warning("%s: %s", path, reason)
        self.skipped_images += 1


def flat_name(file_name: str) -> str:
    """A source ``file_name`` as one file name: sub-folders joined with ``_`` (``a/b.jpg`` ->
    ``a_b.jpg``; an absolute path without its root: ``/data/x.jpg`` -> ``data_x.jpg``)."""
    path = PurePosixPath(file_name.replace("\\", "/"))
    return "_".join(path.relative_to(path.anchor).parts if path.is_absolute() else path.parts)


def contained_name(file_name: str) -> str:
    """A source ``file_name`` as a path that stays inside the output's image folder: kept as it
    is (``a/b.jpg``), unless it is absolute or climbs with ``..`` (``../x.jpg``,
    ``/data/x.jpg``), which would write (and first delete) a file outside the output: then one
    flat name (:func:`flat_name` of it without its root: ``.._x.jpg``, ``data_x.jpg``)."""
    path = PurePosixPath(file_name.replace("\\", "/"))
    return flat_name(file_name) if path.is_absolute() or ".." in path.parts else file_name


def unique_names(names: list[str]) -> list[str]:
    """``names`` with unique stems: a repeated stem gets ``_1``, ``_2``, ... (first one kept).

    YOLO pairs ``<stem>.png`` with ``labels/<stem>.txt`` and VOC ids are stems, so ``a.jpg`` and
    ``a.png`` must not share one. The suffixes avoid every stem in ``names``.
    """
    stems = [PurePosixPath(name).stem for name in names]
    taken = set(stems)
    seen: Counter[str] = Counter()
    result = []
    for name, stem in zip(names, stems, strict=True):
        seen[stem] += 1
        if seen[stem] == 1:
            result.append(name)
            continue
        k = seen[stem] - 1
        while f"{stem}_{k}" in taken:
            k += 1
        taken.add(f"{stem}_{k}")
        result.append(f"{stem}_{k}{PurePosixPath(name).suffix}")
    return result


def unique_files(names: list[str], sources: list[Path]) -> list[str]:
    """``names`` (output paths, ``a/b.jpg``) made one per source file: a name already given to
    another source gets ``_1``, ``_2``, ... before its suffix (``a/b_1.jpg``), avoiding every
    name in ``names``; a source listed again keeps its first name.

    Two sources can share an output name: absolute or climbing names made flat
    (``/d/a/x.jpg`` and ``d_a_x.jpg`` both become ``d_a_x.jpg``); one file would overwrite the
    other and two entries would show the same image.
    """
    taken = set(names)
    owner: dict[str, Path] = {}
    result = []
    for name, source in zip(names, sources, strict=True):
        if owner.setdefault(name, source) != source:
            path = PurePosixPath(name)
            k = 1
            while str(path.with_name(f"{path.stem}_{k}{path.suffix}")) in taken:
                k += 1
            name = str(path.with_name(f"{path.stem}_{k}{path.suffix}"))
            taken.add(name)
            owner[name] = source
        result.append(name)
    return result


def place_image(source: Path, target: Path, link: bool) -> None:
    """Copy ``source`` to ``target`` (``link``: a symlink to the absolute source path).

    Raises:
        FileNotFoundError: ``source`` is missing.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        target.unlink()
    if link:
        os.symlink(source.resolve(), target)
    else:
        shutil.copyfile(source, target)
