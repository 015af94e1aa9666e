"""Where a data file's dataset lies: the default layouts of a dataset folder, and the warning
for a data file whose ``root`` names another folder than the dataset beside it.

``tools/convert_dataset.py`` writes ``<dst>/data.yaml`` with an absolute ``root`` (see
:mod:`detseg.convert.datasets.data_file`), so a copy or a move of that folder still reads the
original. Every reader of a data file given by the user (training and evaluation with
``--data``, ``tools/check_data.py`` with a folder or a data file, ``tools/convert_dataset.py``
with a data file as its source) calls
:func:`warn_root_elsewhere`, so all of them say so the same way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["LAYOUTS", "has_layout", "layout_format", "layouts_text", "warn_root_elsewhere"]

logger = logging.getLogger(__name__)


def _has(folder: Path, *subfolders: str) -> bool:
    """Whether every one of ``subfolders`` is a folder under ``folder``."""
    return all((folder / sub).is_dir() for sub in subfolders)


#: The default layouts of a dataset folder (``datasets/README.md``), in the order they are
#: tried: ``(format, what the folder holds, test)``. The detection layouts come first, so a
#: folder in a detection and a segmentation layout at once (a VOC2012 folder with
#: ``Annotations/`` + ``ImageSets/Main/`` and ``SegmentationClass/`` +
#: ``ImageSets/Segmentation/``; ``images/`` with ``labels/`` and ``masks/``) is the detection
#: one; give a data file (or ``--set data.format=...``) for the other.
LAYOUTS: tuple[tuple[str, str, Callable[[Path], bool]], ...] = (
    (
        "coco",
        "annotations/instances_<split>.json",
        lambda folder: any((folder / "annotations").glob("instances_*.json")),
    ),
    (
        "voc",
        "Annotations/ + ImageSets/Main/",
        lambda folder: _has(folder, "Annotations", "ImageSets/Main"),
    ),
    ("yolo", "images/ + labels/", lambda folder: _has(folder, "images", "labels")),
    (
        "voc_seg",
        "SegmentationClass/ + ImageSets/Segmentation/",
        lambda folder: _has(folder, "SegmentationClass", "ImageSets/Segmentation"),
    ),
    ("folder_seg", "images/ + masks/", lambda folder: _has(folder, "images", "masks")),
)


def layout_format(folder: Path) -> str | None:
    """The format whose default layout ``folder`` has (the first of :data:`LAYOUTS`), or
    ``None``.

    ``annotations/instances_*.json``: ``"coco"``; ``Annotations/`` and ``ImageSets/Main/``:
    ``"voc"``; ``images/`` and ``labels/``: ``"yolo"``; ``SegmentationClass/`` and
    ``ImageSets/Segmentation/``: ``"voc_seg"``; ``images/`` and ``masks/``: ``"folder_seg"``.
    A detection layout wins over a segmentation one in the same folder.
    """
    return next((fmt for fmt, _, test in LAYOUTS if test(folder)), None)


def has_layout(folder: Path, fmt: str) -> bool:
    """Whether ``folder`` holds the default layout of ``fmt`` (one of :data:`LAYOUTS`), whatever
    other layout it holds too; ``False`` for a format without a default layout."""
    return any(test(folder) for name, _, test in LAYOUTS if name == fmt)


def layouts_text() -> str:
    """Every layout of :data:`LAYOUTS` for a message: ``"coco annotations/..., voc ..."``."""
    return ", ".join(f"{fmt} {holds}" for fmt, holds, _ in LAYOUTS)


def warn_root_elsewhere(data_file: str | os.PathLike[str], section: dict[str, Any]) -> bool:
    """Warn when ``section``'s ``root`` is another folder while the folder of ``data_file``
    holds a dataset of ``section``'s format itself (:func:`has_layout`, even where another
    layout comes first: a VOC2012 folder's ``voc_seg`` data file): the folder was copied or
    moved after its data.yaml was written, and the original is what gets read.

    Args:
        data_file: The data file the section comes from.
        section: The data section as it is used (``--set data.root=...`` applied).

    Returns:
        Whether the warning was logged.
    """
    folder = Path(os.path.abspath(Path(data_file).expanduser().parent))
    root = Path(os.path.abspath(os.path.expanduser(str(section.get("root") or "."))))
    if root == folder or not has_layout(folder, str(section.get("format"))):
        return False
    logger.warning(
        "%s names root %s, while %s holds a %s dataset itself (copied or moved?): reading %s, "
        "as training, evaluation, the dataset check and the dataset conversion do with "
        "this data file; for this folder, set data.root=%s or rewrite root in its data.yaml",
        Path(data_file),
        root,
        folder,
        section.get("format"),
        root,
        folder,
    )
    return True
