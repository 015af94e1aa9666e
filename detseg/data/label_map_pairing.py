"""Pairing the images of a folder with the label maps of another by file stem.

The folder layout of :class:`~detseg.data.masks.FolderSegmentation`: image ``<stem>.<ext>``
takes the label map ``<stem><mask_suffix>`` (the suffix in any case: ``a.PNG`` for ``.png``, as
image suffixes are read). Separate from the dataset because most of the work is saying what went
wrong: images without a label map, label maps without an image, two images of one stem, label
maps named with another suffix, images in folders inside the images folder (not read).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from detseg.data.image_io import IMAGE_SUFFIXES, is_image_name
from detseg.data.run_folder_files import is_run_folder

__all__ = ["images_in_subfolders", "label_maps_without_image", "pair_by_stem"]

logger = logging.getLogger(__name__)


def _other_mask_suffix_hint(images: list[Path], masks_dir: Path) -> str:
    """``"; its files are named <stem>X: set data.mask_suffix=X"`` when the label maps of the
    images are there under another ending, else ``""``.

    Every stem that starts a file name of ``masks_dir`` (``a`` and ``ab`` both start
    ``ab_mask.png``) gives that name's ending; the ending that completes the most stems wins
    (ties: the shortest, that of the longest stem, then the first in sorted order), so a stem
    that is the start of another does not decide it. Each name is looked up by its prefixes
    in a set of the stems: linear in the number of files (times the name length).
    """
    stems = {image.stem for image in images}
    stems_by_ending: dict[str, set[str]] = {}
    for path in masks_dir.iterdir():
        name = path.name
        for end in range(1, len(name)):
            if name[:end] in stems:
                stems_by_ending.setdefault(name[end:], set()).add(name[:end])
    if not stems_by_ending:
        return ""
    ending = max(sorted(stems_by_ending), key=lambda key: (len(stems_by_ending[key]), -len(key)))
    return f"; its files are named <stem>{ending}: set data.mask_suffix={ending}"


def _refuse_shared_stems(images: list[Path], masks_dir: Path, mask_suffix: str) -> None:
    """Refuse images of one stem (``a.jpg`` and ``a.png``): both would take the label map
    ``<stem><mask_suffix>`` and the name ``<stem>`` (where predictions are saved)."""
    by_stem: dict[str, list[str]] = {}
    for image in images:
        by_stem.setdefault(image.stem, []).append(image.name)
    shared = {stem: names for stem, names in by_stem.items() if len(names) > 1}
    if not shared:
        return
    stem, names = next(iter(shared.items()))
    raise ValueError(
        f"images {' and '.join(names)} in {images[0].parent} share the stem {stem!r} and so "
        f"the label map {masks_dir / f'{stem}{mask_suffix}'} ({len(shared)} stem(s) shared, "
        f"e.g. {', '.join(list(shared)[:5])}); keep one image per stem or move the others out"
    )


def _label_maps_by_stem(masks_dir: Path, mask_suffix: str) -> dict[str, Path]:
    """The files of ``masks_dir`` whose name ends in ``mask_suffix`` in any case (``a.PNG``
    for ``.png``, as image suffixes are read in any case), by the stem before it; a stem with
    names of both cases takes the one written as ``mask_suffix``. Paths are as listed, so a
    case-insensitive file system pairs the same files, under the names they have."""
    ending, length = mask_suffix.lower(), len(mask_suffix)
    found: dict[str, Path] = {}
    for path in sorted(masks_dir.iterdir()):
        name = path.name
        if len(name) <= length or name[len(name) - length :].lower() != ending:
            continue
        stem = name[: len(name) - length]
        if stem not in found or name.endswith(mask_suffix):
            found[stem] = path
    return found


def _no_image_message(images_dir: Path) -> str:
    """The error of an images folder without a single image file: it names the subfolders
    there, since the images are read from the folder itself, not from folders inside it, and
    the hidden image files it skipped."""
    hidden = sorted(
        path.name
        for path in images_dir.iterdir()
        if path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES
    )
    if hidden:
        return (
            f"no image in {images_dir} (suffixes {', '.join(IMAGE_SUFFIXES)}): its "
            f"{len(hidden)} image file(s) are hidden (e.g. {hidden[0]}: macOS metadata files), "
            "which are skipped; put the images themselves there"
        )
    folders = sorted(path.name for path in images_dir.iterdir() if path.is_dir())
    where = (
        f"; it holds the folder(s) {', '.join(folders[:5])}{' ...' if len(folders) > 5 else ''}:"
        " images are read from the folder itself, not from folders inside it (point "
        "data.train_images / data.val_images at the folder of the images)"
        if folders
        else ""
    )
    return f"no image in {images_dir} (suffixes {', '.join(IMAGE_SUFFIXES)}){where}"


def images_in_subfolders(images_dir: Path) -> list[Path]:
    """The image files (:func:`~detseg.data.image_io.is_image_name`) in the folders inside
    ``images_dir``, at any depth, sorted; hidden folders and detseg run folders
    (:func:`~detseg.data.run_folder_files.is_run_folder`: a run's ``curves.png`` is no data)
    are not searched. A folder of images is read itself, not the folders inside it, so these
    are not in the dataset."""
    found: list[Path] = []
    for folder in sorted(p for p in images_dir.iterdir() if p.is_dir()):
        if folder.name.startswith(".") or is_run_folder(folder):
            continue
        for current, subfolders, files in os.walk(folder):
            subfolders[:] = [
                name
                for name in subfolders
                if not name.startswith(".") and not is_run_folder(Path(current, name))
            ]
            found += [Path(current, name) for name in files if is_image_name(Path(name))]
    return sorted(found)


def _warn_images_in_subfolders(images_dir: Path) -> None:
    """One warning when folders inside ``images_dir`` hold images: they are not read."""
    nested = images_in_subfolders(images_dir)
    if not nested:
        return
    logger.warning(
        "%d image(s) in folders inside %s are not read (e.g. %s): folder_seg reads images_dir "
        "itself: move them up or point data.train_images / data.val_images at the subfolder",
        len(nested),
        images_dir,
        nested[0].relative_to(images_dir).as_posix(),
    )


def pair_by_stem(
    images_dir: Path, masks_dir: Path, mask_suffix: str
) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """``(image, label map)`` pairs with the same stem, and the images without a label map
    (left out; one warning names the first few). Images in folders inside ``images_dir`` are
    not read (one warning counts them, :func:`images_in_subfolders`)."""
    for folder, what in ((images_dir, "images"), (masks_dir, "label maps")):
        if not folder.is_dir():
            raise FileNotFoundError(f"folder of {what} not found: {folder}")
    images = sorted(p for p in images_dir.iterdir() if is_image_name(p))
    if not images:
        raise FileNotFoundError(_no_image_message(images_dir))
    _warn_images_in_subfolders(images_dir)
    _refuse_shared_stems(images, masks_dir, mask_suffix)
    label_maps = _label_maps_by_stem(masks_dir, mask_suffix)
    pairs, missing = [], []
    for image in images:
        mask = label_maps.get(image.stem)
        if mask is not None and mask.is_file():
            pairs.append((image, mask))
        else:
            missing.append(image)
    if missing:
        logger.warning(
            "%d image(s) in %s have no label map %s and are left out: %s%s",
            len(missing),
            images_dir,
            os.path.join(masks_dir, f"<stem>{mask_suffix}"),
            ", ".join(image.name for image in missing[:5]),
            " ..." if len(missing) > 5 else "",
        )
    if not pairs:
        raise FileNotFoundError(
            f"no image in {images_dir} (suffixes {', '.join(IMAGE_SUFFIXES)}) has a label map "
            f"of the same stem in {masks_dir} (<stem>{mask_suffix})"
            + _other_mask_suffix_hint(images, masks_dir)
        )
    return pairs, missing


def label_maps_without_image(
    images_dir: Path, masks_dir: Path, mask_suffix: str, pairs: list[tuple[Path, Path]]
) -> list[Path]:
    """The label maps of ``masks_dir`` (files ending in ``mask_suffix``, any case) that no
    image took in ``pairs``; one warning names the first few.

    Such a file is left out of the dataset: its image is missing, has another stem, or has a
    suffix that is not read as an image (not in :data:`IMAGE_SUFFIXES`).
    """
    paired = {mask.name for _, mask in pairs}
    ending = mask_suffix.lower()
    unpaired = sorted(
        path
        for path in masks_dir.iterdir()
        if path.name.lower().endswith(ending)
        and path.name not in paired
        and not path.name.startswith(".")
        and path.is_file()
    )
    if unpaired:
        logger.warning(
            "%d label map(s) in %s have no image of the same stem in %s (suffixes %s) and are "
            "left out: %s%s; add or rename their images, or remove them",
            len(unpaired),
            masks_dir,
            images_dir,
            " ".join(IMAGE_SUFFIXES),
            ", ".join(path.name for path in unpaired[:5]),
            " ..." if len(unpaired) > 5 else "",
        )
    return unpaired
