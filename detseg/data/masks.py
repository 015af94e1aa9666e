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
:mod:`detseg.data.label_map_pairing`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from detseg.data.base import ImageDataset
from detseg.data.class_names import listed_class_names, read_class_names, root_class_file
from detseg.data.coco_json import check_unique_names, load_coco_json, stripped_category_names
from detseg.data.image_io import ImageReadError, to_unit_float
from detseg.data.label_map_pairing import label_maps_without_image, pair_by_stem
from detseg.data.label_maps import check_label_map, header_size, read_label_map
from detseg.data.seg_transforms import (
    IGNORE_INDEX,
    apply_segmentation_augmentations,
    check_segmentation_pipeline,
)
from detseg.data.voc import VOC_CLASSES, read_split_ids
from detseg.data.voc_seg_split import VOC_SEG_LAYOUT, check_split_files, split_file_message

__all__ = [
    "FolderSegmentation",
    "SegmentationDataset",
    "ShapesSegmentation",
    "VOCSegmentation",
]

logger = logging.getLogger(__name__)

#: What a dataset yields: ``(image Float32[3, H, W], mask Int64[H, W])`` or ``None``.
SegSample = tuple[torch.Tensor, torch.Tensor] | None


#: Ends the error of a label map that stops training or evaluation (wrong size, values, colours).
LIST_ALL_HINT = (
    "detseg-check-data (tools/check_data.py) on the config or data file lists every such label map"
)

_BACKGROUND_NAMES = ("background", "_background_", "__background__", "bg")


def _refuse_listed_background(classes: list[str], source: str) -> list[str]:
    """Refuse a class list whose first name is background: label 0 is background and is not
    listed, so listing it would shift every name by one."""
    if classes and classes[0].strip().lower() in _BACKGROUND_NAMES:
        raise ValueError(
            f"{source}: the first class is {classes[0]!r}, but label 0 is always background "
            "and is not listed (value k is classes[k - 1]); remove it from the class list"
        )
    return classes


def _check_classes(classes: Sequence[Any], source: str) -> list[str]:
    """The foreground names of a segmentation dataset, each as every reader takes a class name
    (:func:`~detseg.data.class_names.listed_class_names`: stripped, so ``" cat "`` is the class
    ``cat`` of a detection dataset too).

    Raises:
        ValueError: no names, an empty or repeated one (``source`` names where they come from),
            or more than a label map holds beside its ignore value.
    """
    return _check_class_count(listed_class_names(classes, source), source)


def _check_class_count(classes: list[str], source: str) -> list[str]:
    """``classes`` (names already checked), refused when a label map cannot hold them all
    beside its ignore value (at most 254)."""
    if len(classes) >= IGNORE_INDEX:
        raise ValueError(
            f"{source}: {len(classes)} classes do not fit a label map with "
            f"{IGNORE_INDEX} as ignore value (at most {IGNORE_INDEX - 1})"
        )
    return classes


def json_category_classes(ann_file: Path, written: list[dict]) -> tuple[list[int], list[str]]:
    """``(category ids, class names)`` of a COCO json's ``categories`` (``written``, as the
    file has them), sorted by id: the classes of ``coco_seg`` and ``shapes_seg``.

    Names are stripped as every class name is; two categories of one name are refused as
    :class:`~detseg.data.coco.CocoDetection` refuses them, by their ids
    (:func:`~detseg.data.coco_json.check_unique_names`; these formats take no
    ``data.classes`` to leave them out).

    Raises:
        ValueError: shared names, an empty one, or more than 254 categories (naming
            ``ann_file``).
    """
    categories = sorted(stripped_category_names(written), key=lambda c: c["id"])
    check_unique_names(ann_file, categories, written, choosable=False)
    names = _check_classes([c["name"] for c in categories], str(ann_file))
    return [int(c["id"]) for c in categories], names


class SegmentationDataset(ImageDataset):
    """Base class: ``dataset[i] -> (image Float32[3, H, W], mask Int64[H, W])`` or ``None``.

    Subclasses set ``classes`` (foreground names; mask value ``k`` is ``classes[k - 1]``),
    ``image_ids`` and implement :meth:`image_path` and :meth:`mask_path` (or override
    :meth:`label_map` when the labels are not stored as files).

    Args:
        augmentations: Optional pipeline from
            :func:`detseg.data.seg_transforms.build_segmentation_augmentations`, or an
            ``albumentations.Compose`` of one's own without ``Normalize`` or ``ToTensorV2``
            (refused with a ``ValueError``: the model normalises, the dataset makes the tensor).

    Decoding the image and its label map is most of the cost of an item on a CPU.
    :meth:`enable_cache` keeps each decoded and checked pair in memory after its
    first read (config ``data.cache: true``).
    """

    _cache: dict[int, tuple[np.ndarray, np.ndarray]] | None = None

    def __init__(self, augmentations: Any | None = None) -> None:
        if augmentations is not None:  # Normalize or ToTensorV2 in it would break the contract
            check_segmentation_pipeline(augmentations)
        super().__init__(augmentations)

    def enable_cache(self) -> None:
        """Keep every decoded image (as stored, ``uint8`` for most files) and checked label map.

        Costs ``H * W * 4`` bytes per 8-bit image (~256 KB at 256 px; 2000 shapes images take
        ~0.5 GB) in each process that reads the dataset: the main process with
        ``num_workers: 0``, else each loader worker, which keeps it only while it lives.
        Augmentations still run on every read.
        """
        if self._cache is None:
            self._cache = {}

    def mask_path(self, index: int) -> Path:
        """Path of the label map of image ``index`` (named in error messages)."""
        raise NotImplementedError

    def label_map(self, index: int, image_size: tuple[int, int]) -> np.ndarray:
        """Raw ``[H, W]`` integer label map of image ``index`` (not yet checked)."""
        return read_label_map(self.mask_path(index))

    def labelled_size(self, index: int) -> tuple[int, int] | None:
        """:meth:`stated_size` where the dataset states one, else the ``(H, W)`` of the label
        map file's header, whatever its pixel count (``None`` when it cannot be read: the
        label map read says why)."""
        stated = self.stated_size(index)
        if stated is not None:
            return stated
        return header_size(self.mask_path(index))

    def _read_pair(self, index: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(RGB [H, W, 3] as stored, checked label map UInt8[H, W])``, or ``None`` (skipped)."""
        rgb = self.read_rgb(index)
        if rgb is None:
            return None
        size = (rgb.shape[0], rgb.shape[1])
        source = f"{self.mask_path(index)} (image {self.image_path(index)})"
        try:
            return rgb, check_label_map(self.label_map(index, size), size, self.num_classes, source)
        except ImageReadError as exc:
            logger.warning("skipping image %d: unreadable label map: %s", index, exc)
            return None
        except ValueError as exc:  # the first bad label map stops the run: say how to find all
            raise ValueError(f"{exc} ({LIST_ALL_HINT})") from exc

    def __getitem__(self, index: int) -> SegSample:
        pair = self._cache.get(index) if self._cache is not None else None
        if pair is None:
            pair = self._read_pair(index)
            if pair is None:
                return None
            if self._cache is not None:
                self._cache[index] = pair
        rgb, mask = pair
        image = to_unit_float(rgb, self.image_path(index))
        if self.augmentations is not None:
            image, mask = apply_segmentation_augmentations(
                self.augmentations, image, mask.copy(), source=self.image_path(index)
            )
        image_tensor = torch.from_numpy(image.transpose(2, 0, 1).copy())
        return image_tensor, torch.from_numpy(mask.astype(np.int64))


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
        self.classes = _refuse_listed_background(_check_class_count(names, source), source)
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
        self.classes = _refuse_listed_background(names, str(ann_file))
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
        names: VOC image ids (file stems) in split order.
        split_file: The split file the ids come from.
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
            names = _check_class_count(read_class_names(class_file), source)
        else:
            names = _check_classes(VOC_CLASSES if classes is None else classes, source)
        self.classes = _refuse_listed_background(names, source)
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
        self.missing_images, self.missing_label_maps = check_split_files(
            self.root, self.names, split_file
        )

    def image_path(self, index: int) -> Path:
        return self.root / "JPEGImages" / f"{self.names[index]}.jpg"

    def mask_path(self, index: int) -> Path:
        return self.root / "SegmentationClass" / f"{self.names[index]}.png"
