"""The images of a detector's report gallery: where they are, and which of them the dataset
reads as displayed (EXIF orientation applied), so each is drawn as the model saw it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from detseg.engine.validation import DatasetHead
from detseg.evaluation.report_gallery import DisplayedRule


def gallery_orientation_rule(dataset: Any) -> DisplayedRule | None:
    """The dataset's rule of which images it reads as displayed (EXIF orientation applied), by
    gt image id, for the report gallery: its
    :meth:`~detseg.data.base.ImageDataset.reads_as_displayed` (of the dataset under a
    :class:`DatasetHead`), so each picture is drawn as the model saw it and its boxes land on
    the pixels they refer to. ``None`` for a dataset without the hook (the gallery then uses
    the COCO reader's rule)."""
    base = dataset.dataset if isinstance(dataset, DatasetHead) else dataset
    hook = getattr(base, "reads_as_displayed", None)
    if hook is None:
        return None
    index_of = {int(image_id): k for k, image_id in enumerate(dataset.image_ids)}

    def displayed(image_id: int, orientation: int, stored: tuple[int, int]) -> bool:
        index = index_of.get(int(image_id))
        return index is not None and bool(hook(index, orientation, stored))

    return displayed


def gallery_sources(dataset: Any, gt: dict) -> tuple[dict, Path | None]:
    """``(gt, folder)``: ``gt`` with ``images[].file_name`` relative to ``folder``, for the gallery.

    A COCO dataset keeps its own names and ``images_dir``. Other datasets (VOC,
    YOLO: their gt has no ``file_name``) get their image paths relative to the
    deepest folder holding them all. ``folder`` is ``None`` (``gt`` unchanged) when the
    dataset cannot name its images.
    """
    base = dataset.dataset if isinstance(dataset, DatasetHead) else dataset
    folder = getattr(base, "images_dir", None)
    if folder is not None and all(img.get("file_name") for img in gt["images"]):
        return gt, Path(folder)
    if not hasattr(base, "image_path") or not gt["images"]:
        return gt, None
    paths = {int(i): Path(base.image_path(k)).resolve() for k, i in enumerate(dataset.image_ids)}
    common = Path(os.path.commonpath([str(p.parent) for p in paths.values()]))
    images = [
        {**img, "file_name": str(paths[int(img["id"])].relative_to(common))}
        if int(img["id"]) in paths
        else img
        for img in gt["images"]
    ]
    return {**gt, "images": images}, common
