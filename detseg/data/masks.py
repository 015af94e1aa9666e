"""Semantic segmentation datasets: an image and a label map per sample.

Every dataset here yields ``(image Float32[3, H, W] RGB in [0, 1], mask Int64[H, W])``, where
the mask holds ``0`` for background, ``1..K`` for the classes ``classes[0..K-1]`` and ``255``
for pixels without a label (ignored by the loss and by mIoU). Four layouts are read:

* :class:`FolderSegmentation`: an images folder and a label-map folder with the same stems;
* :class:`ShapesSegmentation`: the ``masks/`` label maps of the synthetic shapes dataset;
* :class:`VOCSegmentation`: ``JPEGImages`` + ``SegmentationClass`` palette PNGs of Pascal VOC;
* :class:`CocoSegmentation`: COCO instance annotations painted into a label map on the fly.

Label maps are PNGs (or another lossless format Pillow reads; a JPEG label map is refused with a
``ValueError`` naming the file, since lossy compression turns the indices along every border
into other, valid classes) of class *indices*: palette (``P``) images give
their palette indices, not their colours (OpenCV would return the colours, so Pillow reads
them), grayscale gives its values. An RGB file is accepted only when its three channels are
equal. Label maps are read in their stored pixel order; an image too, except a JPEG whose EXIF
orientation swaps width and height and whose label map has the displayed size (the stored size
transposed: it was drawn on the photo as displayed), which is read as displayed (see
:mod:`detseg.data.image_io`). Bad data: an unreadable
image or label-map file gives ``None`` and a warning naming the file (the loader counts it in
``SegBatch.skipped_images``); a label map whose size differs from its image, or which holds a
value outside ``0..K`` and ``255``, is a ``ValueError`` naming the file and the bad values, since
it means the dataset or its class list is wrong (the message ends with :data:`LIST_ALL_HINT`:
the dataset check lists every such file at once); so is a transform that cannot run on an image
(a crop larger than it: :mod:`detseg.data.augmentation_errors`). A label map holding only ``0``
and ``255`` gets a warning (once per process): ``255`` is ignored, so a binary mask with its
foreground stored as 255 trains on background alone. Reading and checking one label-map file is
:mod:`detseg.data.label_maps`; pairing images with label maps by stem,
:mod:`detseg.data.label_map_pairing`. The base class is :mod:`detseg.data.seg_dataset`, the
class-list rules :mod:`detseg.data.seg_classes`, and the VOC reader :mod:`detseg.data.voc_seg`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from detseg.data.class_names import read_class_names
from detseg.data.coco_json import load_coco_json
from detseg.data.coco_seg import CocoSegmentation
from detseg.data.label_map_pairing import label_maps_without_image, pair_by_stem
from detseg.data.seg_classes import (
    check_class_count,
    json_category_classes,
    refuse_listed_background,
)
from detseg.data.seg_dataset import LIST_ALL_HINT, SegmentationDataset, SegSample
from detseg.data.voc_seg import VOCSegmentation

# SegmentationDataset, VOCSegmentation, LIST_ALL_HINT and json_category_classes are imported from
# here too (this module held them first); CocoSegmentation completes the four layouts above
__all__ = [
    "LIST_ALL_HINT",
    "CocoSegmentation",
    "FolderSegmentation",
    "SegSample",
    "SegmentationDataset",
    "ShapesSegmentation",
    "VOCSegmentation",
    "json_category_classes",
]


class FolderSegmentation(SegmentationDataset):
    """Images and label maps in two folders, paired by file stem.

    Args:
        images_dir: Folder of images (``.jpg``, ``.png``, ... see
            :data:`~detseg.data.image_io.IMAGE_SUFFIXES`).
        masks_dir: Folder of label maps ``<stem><mask_suffix>`` (values ``0..K``, ``255``).
        classes: Foreground class names (mask value ``k`` is ``classes[k - 1]``): a list, a
            ``.txt`` with one name per line, or a ``.yaml`` with a ``names`` list / dict.
        augmentations: Optional albumentations pipeline.
        mask_suffix: Suffix of the label-map files.

    Attributes:
        classes: Foreground class names.
        image_ids: ``0..N-1``, the position of each pair (sorted by image file name).
        names: Image file stems in dataset order.
        images_without_label_map: Images of ``images_dir`` left out for want of a label map
            ``<stem><mask_suffix>``.
        label_maps_without_image: Label maps of ``masks_dir`` left out for want of an image of
            their stem (one warning names them).

    Raises:
        FileNotFoundError: A folder or the class file is missing, or no image has a label map.
        ValueError: The class list is empty, has duplicates or more than 254 names, or two
            images share a stem (``a.jpg`` and ``a.png``: one label map for both).
    """

    def __init__(
        self,
        images_dir: str | os.PathLike,
        masks_dir: str | os.PathLike,
        classes: list[str] | str | os.PathLike,
        augmentations: Any | None = None,
        mask_suffix: str = ".png",
    ) -> None:
        super().__init__(augmentations)
        source = str(classes) if isinstance(classes, (str, os.PathLike)) else "data.classes"
        names = read_class_names(classes)  # the names checked, messages naming their source
        self.classes = refuse_listed_background(check_class_count(names, source), source)
        self._pair_folders(images_dir, masks_dir, mask_suffix)

    def _pair_folders(
        self, images_dir: str | os.PathLike, masks_dir: str | os.PathLike, mask_suffix: str
    ) -> None:
        """Pair the images of ``images_dir`` with the label maps of ``masks_dir`` by stem."""
        self.images_dir, self.masks_dir = Path(images_dir), Path(masks_dir)
        self._pairs, self.images_without_label_map = pair_by_stem(
            self.images_dir, self.masks_dir, mask_suffix
        )
        self.label_maps_without_image = label_maps_without_image(
            self.images_dir, self.masks_dir, mask_suffix, self._pairs
        )
        self.names = [image.stem for image, _ in self._pairs]
        self.image_ids = list(range(len(self._pairs)))

    def image_path(self, index: int) -> Path:
        return self._pairs[index][0]

    def mask_path(self, index: int) -> Path:
        return self._pairs[index][1]


class ShapesSegmentation(FolderSegmentation):
    """The synthetic shapes dataset as semantic segmentation.

    Reads ``<root>/<split>/images/<stem>.png`` and ``<root>/masks/<split>/<stem>.png`` written
    by :func:`detseg.data.shapes.generate_shapes`; the class names come from the categories of
    ``<root>/annotations/instances_<split>.json`` (ids ``1..K`` are the mask values).

    Args:
        root: Folder given to ``generate_shapes``.
        split: a split the dataset was generated with (``"train"``, ``"val"``, ``"test"``).
        augmentations: Optional albumentations pipeline.

    Raises:
        FileNotFoundError: A folder or the annotation json is missing.
        ValueError: The json's category ids are not ``1..K``.
    """

    def __init__(
        self, root: str | os.PathLike, split: str = "train", augmentations: Any | None = None
    ) -> None:
        root = Path(root)
        ann_file = root / "annotations" / f"instances_{split}.json"
        if not ann_file.is_file() and (root / "annotations").is_dir():
            found = sorted(
                p.stem[len("instances_") :] for p in ann_file.parent.glob("instances_*.json")
            )
            raise FileNotFoundError(
                f"shapes_seg split {split!r} not found: no {ann_file} (the split name comes "
                f"from data.train_split / data.val_split; splits under {root}: "
                f"{', '.join(found) or 'none'})"
            )
        if not ann_file.is_file():
            raise FileNotFoundError(_not_shapes_message(root, ann_file))
        cat_ids, names = json_category_classes(ann_file, load_coco_json(ann_file)["categories"])
        if cat_ids != list(range(1, len(cat_ids) + 1)):
            raise ValueError(f"{ann_file}: shapes category ids must be 1..K (the mask values)")
        # not FolderSegmentation.__init__, which would check the names again as data.classes:
        # they are the json's, checked above with the json named
        SegmentationDataset.__init__(self, augmentations)
        self.classes = refuse_listed_background(names, str(ann_file))
        self._pair_folders(root / split / "images", root / "masks" / split, ".png")
        self.root, self.split = root, split


def _not_shapes_message(root: Path, ann_file: Path) -> str:
    """The error of a ``shapes_seg`` root without ``annotations/``: it names the layout the
    folder has where it is another segmentation format's (a config of the shapes data pointed
    at one's own folders with ``data.root`` alone)."""
    layouts = (
        ("folder_seg", ("images", "masks")),
        ("voc_seg", ("JPEGImages", "SegmentationClass")),
    )
    other = next((fmt for fmt, subs in layouts if all((root / sub).is_dir() for sub in subs)), None)
    hint = (
        f"; {root} has the {other} layout: set data.format={other} (or train with --data "
        f"datasets/{other})"
        if other
        else "; detseg-make-shapes --out <root> (tools/make_shapes.py) writes the shapes dataset"
    )
    return (
        f"data.format shapes_seg reads the class names from {ann_file}, which is missing "
        f"(no annotations/ folder under {root}){hint}"
    )
