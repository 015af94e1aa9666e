"""VOC detection split files: which file a split name reads, the ids it lists, and the images
it names that are not there.

A split is ``<root>/ImageSets/Main/<split>.txt`` (or the path of a split file of one's own),
one image id per line (the first word of the line: the devkit's per-class files add a flag).
A split file that is not there names the split files that are, and the keys that choose them.

An id whose image is not in ``JPEGImages`` is usually a split file from another copy of the
dataset, or images renamed after the split was written. :func:`check_listed_images` says so when
the dataset is built, in the words of the ``voc_seg`` reader
(:func:`~detseg.data.voc_seg_split.missing_files_note`), with the split file's line of each
missing image and what the folder holds: where none of the images is there it stops (every
sample would be skipped: a run of no step); where some are missing among others, one warning
names them, and the dataset skips them as unreadable images, counted.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from detseg.data.class_names import EXAMPLE_LIMIT
from detseg.data.folder_listing import folder_listing
from detseg.data.voc_seg_split import missing_files_note
from detseg.shell_words import shell_word

__all__ = [
    "VOC_LAYOUT",
    "check_listed_images",
    "read_split_ids",
    "read_split_lines",
    "split_file_of",
    "year_folder_hint",
]

logger = logging.getLogger(__name__)

#: The layout ``voc`` reads, ending its errors about missing folders and files.
VOC_LAYOUT = (
    "expected <root>/Annotations/<id>.xml, <root>/JPEGImages/<id>.jpg and "
    "<root>/ImageSets/Main/<split>.txt"
)


def year_folder_hint(root: Path) -> str:
    """``"; set data.root to <root>/VOC2007 ..."`` when ``root`` holds VOC year folders (the
    ``VOCdevkit`` folder given as the root), else ``""``."""
    if not root.is_dir():
        return ""
    years = sorted(p for p in root.iterdir() if (p / "Annotations").is_dir())
    if not years:
        return ""
    return f"; set data.root to the year folder: {' or '.join(str(p) for p in years)}"


def split_file_of(root: Path, image_set: str | os.PathLike) -> Path:
    """The split file of a split name (``ImageSets/Main/<name>.txt``) or a split file path.

    Raises:
        FileNotFoundError: Neither is a file (the message names the split files there).
    """
    candidate = Path(image_set)
    split_file = (
        candidate if candidate.is_file() else root / "ImageSets" / "Main" / f"{image_set}.txt"
    )
    if not split_file.is_file():
        raise FileNotFoundError(
            f"VOC split file not found: {split_file}; {_found_splits_hint(root)}set "
            "data.train_split / data.val_split to a split name under ImageSets/Main or a file "
            f"under data.root; {VOC_LAYOUT}"
        )
    return split_file


def _found_splits_hint(root: Path) -> str:
    """``"ImageSets/Main holds train.txt, val.txt (--set data.train_split=train
    data.val_split=val); "`` for the split files that do exist, so that a folder of other split
    names than the defaults (``trainval`` / ``test``) says which names to set; ``""`` when
    there are none."""
    folder = root / "ImageSets" / "Main"
    found = [p.stem for p in folder.glob("*.txt") if p.is_file()] if folder.is_dir() else []
    # the splits first, then the per-class files of the VOC devkit (aeroplane_train.txt ...)
    names = sorted(found, key=lambda name: ("_" in name, name))
    if not names:
        return ""
    shown = ", ".join(f"{name}.txt" for name in names[:EXAMPLE_LIMIT])
    more = f" and {len(names) - EXAMPLE_LIMIT} more" if len(names) > EXAMPLE_LIMIT else ""
    train = next((n for n in ("trainval", "train") if n in names), None)
    val = next((n for n in ("test", "val") if n in names), None)
    pair = [
        f"data.{key}={shell_word(n)}"
        for key, n in (("train_split", train), ("val_split", val))
        if n
    ]
    example = f" (--set {' '.join(pair)})" if pair else ""
    return f"ImageSets/Main holds {shown}{more}{example}; "


def read_split_lines(split_file: Path) -> list[tuple[int, str]]:
    """``(line number, image id)`` of each non-empty line of a VOC split file: the id is the
    line's first word (a UTF-8 byte-order mark is allowed); lines count from 1.

    Raises:
        ValueError: the file is not UTF-8 text.
    """
    try:
        lines = split_file.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"VOC split file {split_file} is not UTF-8 text ({exc.reason}): write one image id "
            "per line"
        ) from exc
    return [(number, line.split()[0]) for number, line in enumerate(lines, 1) if line.strip()]


def read_split_ids(split_file: Path) -> list[str]:
    """Image ids listed by a VOC split file: the first word of each non-empty line (a UTF-8
    byte-order mark is allowed).

    Raises:
        ValueError: the file is not UTF-8 text.
    """
    return [name for _, name in read_split_lines(split_file)]


def check_listed_images(
    images: Path, names: list[str], files: list[str], split_file: Path
) -> list[str]:
    """Refuse a split none of whose images is in ``images``; warn once about the ids whose
    image is not there, naming them with their line of ``split_file`` and what the folder holds.

    Args:
        images: The ``JPEGImages`` folder.
        names: The dataset's image ids (at least one), in split order.
        files: The image file name each id reads
            (:func:`~detseg.data.voc_annotation_files.image_file_of`).
        split_file: The split file that lists the ids.

    Returns:
        The file names of ``files`` that are not in ``images``, in split order.

    Raises:
        FileNotFoundError: None of the images is there (the first with its line, what the
            folder holds, and what to check).
    """
    pairs = zip(names, files, strict=True)
    missing = [(name, file) for name, file in pairs if not (images / file).is_file()]
    if not missing:
        return []
    line_of = _line_numbers(split_file)
    named = [f"{file} (line {line_of[name]})" for name, file in missing]
    suffix = Path(missing[0][1]).suffix
    if len(missing) == len(names):
        first_name, first_file = missing[0]
        raise FileNotFoundError(
            f"none of the {len(names)} images listed by VOC split file {split_file} is in "
            f"{images} (first: {first_file}, line {line_of[first_name]}); the folder "
            f"{folder_listing(images, suffix)}; is the split file meant for this data.root? "
            f"{VOC_LAYOUT}"
        )
    note = missing_files_note(named, len(names), split_file, images, "image", suffix)
    logger.warning("%s", note)
    return [file for _, file in missing]


def _line_numbers(split_file: Path) -> dict[str, int]:
    """The line of ``split_file`` that first lists each id."""
    line_of: dict[str, int] = {}
    for number, name in read_split_lines(split_file):
        line_of.setdefault(name, number)
    return line_of
