"""VOC split files: which file a split name reads, the ids it lists (each once), and the
images it names that are not there.

A split is ``<root>/ImageSets/Main/<split>.txt`` (or the path of a split file of one's own),
one image id per line (the first word of the line: the devkit's per-class files add a flag).
A split file that is not there names the split files that are, and the keys that choose them.
The ``voc_seg`` reader reads its ``ImageSets/Segmentation`` split files with the same
functions.

An id listed twice is almost always a mistake (two split files pasted together): it would be
trained twice per epoch. :func:`read_split_lines` keeps each id once, at its first line, and
one warning names the repeated ids with their lines (:func:`repeated_ids` gives them to the
datasets, which keep them as ``repeated_ids``).

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
from detseg.data.folder_listing import SHOWN_NAMES, first_few, folder_listing
from detseg.data.voc_seg_split import missing_files_note
from detseg.shell_words import shell_word

__all__ = [
    "VOC_LAYOUT",
    "check_listed_images",
    "line_numbers_text",
    "read_split_ids",
    "read_split_lines",
    "repeated_ids",
    "repeated_ids_logger",
    "repeated_ids_note",
    "split_file_of",
    "split_id_lines",
    "year_folder_hint",
]

logger = logging.getLogger(__name__)

#: The logger of the warning about ids listed more than once, said once per run
#: (:mod:`detseg.data.said_once`): one of its own (a child of this module's).
#: ``detseg-check-data`` leaves it to its report, which lists the repeated ids as a finding
#: (``repeated_ids``), as it leaves this module's missing-image warning to the report.
repeated_ids_logger = logging.getLogger(f"{__name__}.repeated_ids")

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
    """``(line number, image id)`` of each id of a VOC split file, once, at the first line that
    lists it: the id is the first word of a non-empty line (a UTF-8 byte-order mark is
    allowed); lines count from 1. Ids listed more than once are named in one warning
    (:func:`repeated_ids_note`).

    Raises:
        ValueError: the file is not UTF-8 text.
    """
    lines_of = split_id_lines(split_file)
    repeated = _repeated(lines_of)
    if repeated:
        repeated_ids_logger.warning("%s", repeated_ids_note(split_file, repeated))
    return [(lines[0], name) for name, lines in lines_of.items()]


def read_split_ids(split_file: Path) -> list[str]:
    """Image ids listed by a VOC split file, each once, in the order of their first line
    (:func:`read_split_lines`).

    Raises:
        ValueError: the file is not UTF-8 text.
    """
    return [name for _, name in read_split_lines(split_file)]


def split_id_lines(split_file: Path) -> dict[str, list[int]]:
    """``{image id: the numbers of the lines that list it}`` of a VOC split file (ascending,
    counted from 1), the ids in the order of their first line; nothing is said about repeats.

    Raises:
        ValueError: the file is not UTF-8 text.
    """
    lines_of: dict[str, list[int]] = {}
    for number, name in _listed_lines(split_file):
        lines_of.setdefault(name, []).append(number)
    return lines_of


def repeated_ids(split_file: Path) -> dict[str, list[int]]:
    """``{image id: its line numbers}`` of the ids a VOC split file lists more than once (the
    dataset reads each once, at its first line); ``{}`` when none is repeated."""
    return _repeated(split_id_lines(split_file))


def _repeated(lines_of: dict[str, list[int]]) -> dict[str, list[int]]:
    """The ids of ``lines_of`` (:func:`split_id_lines`) with more than one line."""
    return {name: lines for name, lines in lines_of.items() if len(lines) > 1}


def repeated_ids_note(split_file: Path, repeated: dict[str, list[int]]) -> str:
    """The warning for ids that ``split_file`` lists more than once: how many, the first few
    with their lines (``a at lines 3 and 9``; of an id listed many times the first few lines:
    :func:`line_numbers_text`), and that each is read once.

    Args:
        split_file: The split file.
        repeated: ``{id: its line numbers}`` (two or more each, ascending), in the order of
            the ids' first lines.
    """
    shown = [f"{name} at lines {line_numbers_text(lines)}" for name, lines in repeated.items()]
    one = len(repeated) == 1
    return (
        f"VOC split file {split_file} lists {len(repeated)} {'id' if one else 'ids'} more "
        f"than once: {first_few(shown, EXAMPLE_LIMIT)}; each is read once, at its first line "
        "(delete the repeated lines)"
    )


def line_numbers_text(numbers: list[int], shown: int = SHOWN_NAMES) -> str:
    """The line numbers of an id listed more than once (two or more), as a message names them:
    ``"3 and 9"``, ``"3, 5, 9 and 12"``; of more than ``shown + 1`` numbers the first ``shown``
    and how many more (``"1, 2, 3 and 1997 more"``: a split file that lists one id 2000 times
    is named in one short line)."""
    words = [str(number) for number in numbers]
    if len(words) > shown + 1:
        return first_few(words, shown)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _listed_lines(split_file: Path) -> list[tuple[int, str]]:
    """``(line number, first word)`` of every non-empty line of ``split_file``, repeats
    included.

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
    """The line of ``split_file`` that first lists each id (the line the dataset reads it at:
    :func:`read_split_lines`)."""
    return {name: lines[0] for name, lines in split_id_lines(split_file).items()}
