"""The files a VOC segmentation split names, and the messages when the folder lacks some.

A ``voc_seg`` split file lists image ids; each needs ``JPEGImages/<id>.jpg`` and
``SegmentationClass/<id>.png``. An id without them is usually a split file from another copy of
the dataset, or ids written otherwise than the files are named (another case, a prefix, the
suffix typed into the id). A message that names the missing file alone leaves the user to list
the folder to see how its files are named, so these messages show a few of the folder's names
beside it.

:func:`check_split_files` runs when :class:`~detseg.data.voc_seg.VOCSegmentation` is built. Where
none of the split's images is there, it stops with an error (every sample would be skipped: a
run of no step); where some are missing among others, the dataset skips them as unreadable
images, counted, after one warning (:func:`missing_files_note`) that names them. The VOC
detection reader says its split's missing images in the same words
(:func:`~detseg.data.voc_split_files.check_listed_images`).
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePath

from detseg.data.folder_listing import SHOWN_NAMES, first_few, folder_listing
from detseg.data.image_io import IMAGE_SUFFIXES

logger = logging.getLogger(__name__)

#: The layout ``voc_seg`` reads, ending its errors about missing folders and files.
VOC_SEG_LAYOUT = (
    "expected <root>/JPEGImages/<id>.jpg, <root>/SegmentationClass/<id>.png and "
    "<root>/ImageSets/Segmentation/<split>.txt"
)


def check_split_files(
    root: Path, names: list[str], split_file: Path
) -> tuple[list[str], list[str]]:
    """Refuse a split none of whose images is in ``<root>/JPEGImages``; warn once about ids
    without their image, and about ids with an image but no label map in
    ``<root>/SegmentationClass``, naming them and what the folder holds.

    Args:
        root: The VOC year folder.
        names: The split's image ids (at least one), in split order.
        split_file: The split file that lists them.

    Returns:
        ``(missing images, missing label maps)``: the file names (``<id>.jpg``, ``<id>.png``)
        of the ids without them, in split order (a label map only for an id with its image).

    Raises:
        FileNotFoundError: None of the ids has its ``<id>.jpg`` (:func:`no_image_message`).
    """
    images, labels = root / "JPEGImages", root / "SegmentationClass"
    missing_images = missing_files(images, names, ".jpg")
    if len(missing_images) == len(names):
        raise FileNotFoundError(no_image_message(images, names, split_file))
    if missing_images:
        note = missing_files_note(missing_images, len(names), split_file, images, "image", ".jpg")
        logger.warning("%s", note)
    absent = set(missing_images)
    with_image = [name for name in names if f"{name}.jpg" not in absent]
    missing_labels = missing_files(labels, with_image, ".png")
    if missing_labels:
        note = missing_files_note(
            missing_labels, len(names), split_file, labels, "label map", ".png"
        )
        logger.warning("%s", note)
    return missing_images, missing_labels


def split_file_message(root: Path, split_file: Path) -> str:
    """The error of a split file that is not there: the split files that are
    (``ImageSets/Segmentation`` holds ``train.txt``, ``val.txt``, ...), and the keys that name
    them."""
    folder = root / "ImageSets" / "Segmentation"
    return (
        f"VOC split file not found: {split_file}; {folder} {folder_listing(folder, '.txt')}; "
        "set data.train_split / data.val_split to a split name there (the file name without "
        f".txt) or to a split file under data.root; {VOC_SEG_LAYOUT}"
    )


def no_image_message(images: Path, names: list[str], split_file: Path) -> str:
    """The error of a split none of whose images is in ``images`` as ``<id>.jpg``: the first
    id's image stored with another suffix, else what the folder holds."""
    first = images / f"{names[0]}.jpg"
    others = [images / f"{names[0]}{suffix}" for suffix in IMAGE_SUFFIXES if suffix != ".jpg"]
    found = [path.name for path in others if path.is_file()]
    hint = (
        f"; {found[0]} is there, but voc_seg reads <id>.jpg: convert the images to JPEG, or "
        "read the folders as format folder_seg (data.train_images: JPEGImages, "
        "data.train_masks: SegmentationClass, with split folders)"
        if found
        else f"; the folder {folder_listing(images, '.jpg')}; {VOC_SEG_LAYOUT}"
    )
    return (
        f"none of the {len(names)} images of VOC split file {split_file} is in {images} "
        f"(e.g. {first.name}){hint}"
    )


def missing_files(folder: Path, names: list[str], suffix: str) -> list[str]:
    """``<name><suffix>`` of each of ``names`` that is not a file in ``folder``, in split
    order."""
    return [f"{name}{suffix}" for name in names if not (folder / f"{name}{suffix}").is_file()]


def missing_files_note(
    missing: list[str], total: int, split_file: Path, folder: Path, what: str, suffix: str
) -> str:
    """The warning for ids of ``split_file`` whose ``what`` (``"image"``, ``"label map"``) is
    not in ``folder``: how many, the first few, what the folder holds, that they are skipped,
    and the two ways out.

    Args:
        missing: The missing file names (at least one), in split order.
        total: How many ids the split lists.
        split_file: The split file.
        folder: The folder that lacks them (``JPEGImages``, ``SegmentationClass``).
        what: What each file is, for the message.
        suffix: The suffix the files are read with (``.jpg``, ``.png``).
    """
    one = len(missing) == 1
    return (
        f"{len(missing)} of the {total} ids of VOC split file {split_file} "
        f"{'has' if one else 'have'} no {what} in {folder}: {first_few(missing, SHOWN_NAMES)} "
        f"(the folder {folder_listing(folder, suffix)}); {'it is' if one else 'they are'} "
        f"skipped and counted as unreadable; {_remove_or_add(len(missing), split_file, what)}"
    )


def listed_missing_note(count: int, split_file: str, what: str) -> str:
    """Where ``count`` missing files (``what``: ``"image"``, ``"label map"``) of a split come
    from, and the two ways out: the dataset check's finding about the split's unreadable
    images or label maps ends with it, saying once what the reader's warning
    (:func:`missing_files_note`) would say above the report.

    Args:
        count: How many of the split's ids have no such file (at least one).
        split_file: The split file that lists the ids, as the report shows it.
        what: What each file is.
    """
    one = count == 1
    return (
        f"{count} missing {what} {'file is' if one else 'files are'} named by the split file "
        f"{split_file}: {_remove_or_add(count, PurePath(split_file), what)}"
    )


def _remove_or_add(count: int, split_file: PurePath, what: str) -> str:
    """The two ways out for ``count`` ids of ``split_file`` without their ``what`` file."""
    one = count == 1
    return (
        f"remove {'its id' if one else 'their ids'} from {split_file.name} or add the {what} "
        f"{'file' if one else 'files'}"
    )
