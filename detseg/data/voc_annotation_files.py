"""The xml files and images a VOC detection split names: which image file an id reads, and the
messages when an id's xml is missing or cannot be read.

Every image of a split must have its ``Annotations/<id>.xml`` (an image without objects has an
xml without ``<object>``): a missing one is an error of the dataset and of the dataset
converter alike (:func:`missing_annotation_error`), rather than an image without objects that
a val split would score as all of its objects missed. An xml that cannot be read leaves its
image out (:func:`unreadable_annotation_note`). An image is found by the xml's
``<filename>``, else by its id (:func:`image_file_of`): the one rule of the dataset and the
converter.
"""

from __future__ import annotations

import glob
from pathlib import Path

from detseg.data.folder_listing import first_few, folder_listing
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.data.voc_split_files import VOC_LAYOUT, split_id_lines

__all__ = [
    "image_file_of",
    "missing_annotation_error",
    "spaced_name_hint",
    "unreadable_annotation_note",
]


def spaced_name_hint(missing: list[Path]) -> str:
    """A hint when a missing ``<id>.xml`` has a namesake with a space (``<id> 2.xml``): a split
    line ends its id at the first space (``<id> [flag]``), so such a file cannot be listed."""
    for xml_file in missing:
        spaced = sorted(xml_file.parent.glob(f"{glob.escape(xml_file.stem)} *.xml"))
        if spaced:
            return (
                f"VOC image ids end at the first space of a split line, so {spaced[0].name!r} "
                "cannot be listed: rename it and its image without spaces"
            )
    return ""


def missing_annotation_error(
    missing: list[Path], total: int, split_file: Path, shown: int = 3
) -> FileNotFoundError:
    """The error for images of ``split_file`` whose ``Annotations/<id>.xml`` is missing.

    Every image of a split must have its xml (an image without objects has an xml without
    ``<object>``); the dataset and the dataset converter refuse a split that breaks this.

    Args:
        missing: The missing xml paths, in split order (at least one).
        total: How many ids the split lists.
        split_file: The split file.
        shown: How many of ``missing`` the message names.

    Returns:
        The error: none of the xml files exists (the split does not fit the folder: the first
        with its line of the split file, and what the folder holds, to compare how the ids and
        the files are written), else the count, the first ``shown`` files, and the two ways
        out.
    """
    if len(missing) == total:
        folder = missing[0].parent
        suffixed = _ids_with_image_suffix(missing)
        if suffixed:
            return FileNotFoundError(
                f"none of the {total} annotation files listed by {split_file} exists (first: "
                f"{missing[0]}{_line_of(split_file, missing[0].stem)}); its ids are file "
                f"names ({suffixed[0]}, where Annotations holds {suffixed[1]}.xml): write each "
                f"id without its suffix ({suffixed[1]}), one per line"
            )
        return FileNotFoundError(
            f"none of the {total} annotation files listed by {split_file} exists (first: "
            f"{missing[0]}{_line_of(split_file, missing[0].stem)}); {folder.name} "
            f"{folder_listing(folder, '.xml')}; is the split file meant for this data.root? "
            f"{VOC_LAYOUT}"
        )
    files = first_few([str(path) for path in missing], shown)
    ids = "its id" if len(missing) == 1 else "their ids"
    return FileNotFoundError(
        f"{len(missing)} of the {total} images listed by {split_file} "
        f"{'has' if len(missing) == 1 else 'have'} no annotation file: {files}; remove "
        f"{ids} from {split_file.name} or add the xml "
        f"{'file' if len(missing) == 1 else 'files'} (an image without objects is an xml "
        "without <object>)"
    )


def _ids_with_image_suffix(missing: list[Path]) -> tuple[str, str] | None:
    """``("a.jpg", "a")`` where the split's first id carries an image suffix (``a.jpg``) and
    the xml of the id without it exists (``Annotations/a.xml``): a split file of file names,
    not ids; else ``None``."""
    first = missing[0]
    listed = Path(first.stem)  # Annotations/a.jpg.xml: the id "a.jpg"
    if listed.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    if not (first.parent / f"{listed.stem}.xml").is_file():
        return None
    return listed.name, listed.stem


def _line_of(split_file: Path, name: str) -> str:
    """``", line <k>"``: the line of ``split_file`` that first lists ``name``; ``""`` when no
    line does (or the file cannot be read as text). Read without a word about repeated ids
    (:func:`~detseg.data.voc_split_files.split_id_lines`): the dataset said them already."""
    try:
        lines = split_id_lines(split_file).get(name)
    except (OSError, ValueError):
        return ""
    return f", line {lines[0]}" if lines else ""


def unreadable_annotation_note(
    unreadable: list[tuple[Path, str]], total: int, split_file: Path, shown: int = 3
) -> str:
    """The message for images of ``split_file`` whose ``Annotations/<id>.xml`` cannot be read.

    Such images are left out of the dataset (a warning), or, when that leaves none, the split
    is refused (an error).

    Args:
        unreadable: ``(xml path, reason)`` of each xml that cannot be read, in split order
            (at least one).
        total: How many ids the split lists.
        split_file: The split file.
        shown: How many of ``unreadable`` the message names.

    Returns:
        The count, the first ``shown`` files with their reasons, and what to do: fix the xml
        files, or (when others can be read) remove their ids from the split file.
    """
    one = len(unreadable) == 1
    files = first_few([f"{path} ({reason})" for path, reason in unreadable], shown)
    if len(unreadable) == total:
        return (
            f"none of the {total} annotation files listed by {split_file} can be read: "
            f"{files}; fix the xml {'file' if one else 'files'}"
        )
    return (
        f"{len(unreadable)} of the {total} images listed by {split_file} "
        f"{'is' if one else 'are'} left out: {'its' if one else 'their'} annotation "
        f"{'file' if one else 'files'} cannot be read: {files}; fix the xml "
        f"{'file' if one else 'files'} or remove {'its id' if one else 'their ids'} from "
        f"{split_file.name}"
    )


def image_file_of(images: Path, name: str, named: str) -> str:
    """The file name of image ``name``: ``named`` (the xml's ``<filename>``) when that file
    exists in the ``images`` folder, else the one found by the id (:func:`_image_file_name`)
    when that exists, else ``named`` or the id's ``.jpg`` (reported missing when read)."""
    if named and (images / named).is_file():
        return named
    by_id = _image_file_name(images, name)
    if named and not (images / by_id).is_file():
        return named
    return by_id


def _image_file_name(images: Path, name: str) -> str:
    """The image file of the id ``name`` in the ``images`` folder: ``<name>.jpg`` (the VOC
    convention), else the first existing ``<name>`` with another image suffix (a converted
    dataset keeps its PNGs; lower or upper case), else one whose suffix is an image suffix in
    another case (``a.Jpg``: looked for only then, by listing ``<name>.*``), else
    ``<name>.jpg`` (reported missing when read)."""
    for suffix in (".jpg", *IMAGE_SUFFIXES, *(ext.upper() for ext in IMAGE_SUFFIXES)):
        if (images / f"{name}{suffix}").is_file():
            return f"{name}{suffix}"
    mixed_case = sorted(
        path.name
        for path in images.glob(f"{glob.escape(name)}.*")
        if path.suffix.lower() in IMAGE_SUFFIXES and path.stem == name and path.is_file()
    )
    return mixed_case[0] if mixed_case else f"{name}.jpg"
