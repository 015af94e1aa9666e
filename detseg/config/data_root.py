"""Where a data file's dataset lies: the default layouts of a dataset folder, and the warning
for a data file whose ``root`` names another folder than the dataset beside it.

``tools/convert_dataset.py`` writes ``<dst>/data.yaml`` with an absolute ``root`` (see
:mod:`detseg.convert.datasets.data_file`), so a copy or a move of that folder still reads the
original. Every loader of a data file given by the user (training and evaluation with
``--data``, ``tools/check_data.py`` with a folder or a data file) calls
:func:`warn_root_elsewhere`, so all of them say so the same way.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

__all__ = ["layout_format", "warn_root_elsewhere"]

logger = logging.getLogger(__name__)


def layout_format(folder: Path) -> str | None:
    """The detection format whose default layout ``folder`` has, or ``None``.

    ``annotations/instances_*.json``: ``"coco"``; ``Annotations/`` and ``ImageSets/Main/``:
    ``"voc"``; ``images/`` and ``labels/``: ``"yolo"`` (the layouts of ``datasets/README.md``).
    """
    if any((folder / "annotations").glob("instances_*.json")):
        return "coco"
    if (folder / "Annotations").is_dir() and (folder / "ImageSets" / "Main").is_dir():
        return "voc"
    if (folder / "images").is_dir() and (folder / "labels").is_dir():
        return "yolo"
    return None


def warn_root_elsewhere(data_file: str | os.PathLike[str], section: dict[str, Any]) -> bool:
    """Warn when ``section``'s ``root`` is another folder while the folder of ``data_file``
    holds a dataset of ``section``'s format itself (:func:`layout_format`): the folder was
    copied or moved after its data.yaml was written, and the original is what gets read.

    Args:
        data_file: The data file the section comes from.
        section: The data section as it is used (``--set data.root=...`` applied).

    Returns:
        Whether the warning was logged.
    """
    folder = Path(os.path.abspath(Path(data_file).expanduser().parent))
    root = Path(os.path.abspath(os.path.expanduser(str(section.get("root") or "."))))
    if root == folder or layout_format(folder) != section.get("format"):
        return False
    logger.warning(
        "%s names root %s, while %s holds a %s dataset itself (copied or moved?): reading %s, "
        "as training, evaluation and tools/check_data.py do with this data file; for this "
        "folder, set data.root=%s or rewrite root in its data.yaml",
        Path(data_file),
        root,
        folder,
        section.get("format"),
        root,
        folder,
    )
    return True
