"""Pascal VOC semantic segmentation: ``JPEGImages`` + ``SegmentationClass`` palette PNGs.

The split files are ``ImageSets/Segmentation/<split>.txt``; the images and label maps a split
names that are not there are said by :mod:`detseg.data.voc_seg_split`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from detseg.data.class_names import read_class_names, root_class_file
from detseg.data.seg_classes import check_class_count, check_classes, refuse_listed_background
from detseg.data.seg_dataset import SegmentationDataset
from detseg.data.voc import VOC_CLASSES
from detseg.data.voc_seg_split import VOC_SEG_LAYOUT, check_split_files, split_file_message
from detseg.data.voc_split_files import read_split_ids, repeated_ids

__all__ = ["VOCSegmentation"]


class VOCSegmentation(SegmentationDataset):
    """Pascal VOC semantic segmentation (``SegmentationClass`` palette PNGs).

    The PNGs' palette indices are the labels: ``0`` background, ``1..20`` the VOC classes,
    ``255`` the "void" outlines around objects (ignored).

    Args:
        root: The VOC folder (e.g. ``VOCdevkit/VOC2012``).
        image_set: Split name (``"train"`` reads ``ImageSets/Segmentation/train.txt``) or the
            path of a split file with one image id per line.
        classes: Foreground names in label order; default the names of ``<root>/classes.txt``
            (one per line) when the folder holds one, else the 20 VOC classes.
        augmentations: Optional albumentations pipeline.

    Attributes:
        classes: Foreground class names.
        image_ids: ``0..N-1`` in split order.
        names: VOC image ids (file stems) in split order, each once (an id the split file
            lists again is read at its first line, after one warning:
            :func:`~detseg.data.voc_split_files.read_split_lines`).
        split_file: The split file the ids come from.
        repeated_ids: ``{id: its line numbers}`` of the ids the split file lists more than
            once (:func:`~detseg.data.voc_split_files.repeated_ids`).
        missing_images: ``<id>.jpg`` of the ids without their image in ``JPEGImages``.
        missing_label_maps: ``<id>.png`` of the ids with an image but no label map in
            ``SegmentationClass``.

    Raises:
        FileNotFoundError: The root, ``JPEGImages``, ``SegmentationClass`` or the split file
            is missing, or none of the split's images is in ``JPEGImages`` (images or label
            maps missing among others are named in one warning, with what the folder holds,
            and skipped and counted when read, as unreadable ones:
            :mod:`detseg.data.voc_seg_split`).
        ValueError: The split file is empty or the class list is invalid.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        image_set: str | os.PathLike = "train",
        classes: list[str] | None = None,
        augmentations: Any | None = None,
    ) -> None:
        super().__init__(augmentations)
        self.root = Path(root)
        for folder in (self.root / "JPEGImages", self.root / "SegmentationClass"):
            if not folder.is_dir():
                raise FileNotFoundError(f"VOC folder not found: {folder}; {VOC_SEG_LAYOUT}")
        class_file = root_class_file(self.root) if classes is None else None
        source = str(class_file or "data.classes")
        if class_file is not None:  # names read and checked by read_class_names
            names = check_class_count(read_class_names(class_file), source)
        else:
            names = check_classes(VOC_CLASSES if classes is None else classes, source)
        self.classes = refuse_listed_background(names, source)
        candidate = Path(image_set)
        split_file = (
            candidate
            if candidate.is_file()
            else self.root / "ImageSets" / "Segmentation" / f"{image_set}.txt"
        )
        if not split_file.is_file():
            raise FileNotFoundError(split_file_message(self.root, split_file))
        self.names = read_split_ids(split_file)
        if not self.names:
            raise ValueError(f"VOC split file {split_file} lists no image ids")
        self.image_ids = list(range(len(self.names)))
        self.split_file = split_file
        self.repeated_ids = repeated_ids(split_file)
        self.missing_images, self.missing_label_maps = check_split_files(
            self.root, self.names, split_file
        )

    def image_path(self, index: int) -> Path:
        return self.root / "JPEGImages" / f"{self.names[index]}.jpg"

    def mask_path(self, index: int) -> Path:
        return self.root / "SegmentationClass" / f"{self.names[index]}.png"
