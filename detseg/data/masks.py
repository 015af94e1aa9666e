"""Semantic segmentation datasets: an image and a label map per sample.

Every dataset here yields ``(image Float32[3, H, W] RGB in [0, 1], mask Int64[H, W])``, where
the mask holds ``0`` for background, ``1..K`` for the classes ``classes[0..K-1]`` and ``255``
for pixels without a label (ignored by the loss and by mIoU). Four layouts are read:

* :class:`FolderSegmentation`: an images folder and a label-map folder with the same stems;
* :class:`ShapesSegmentation`: the ``masks/`` label maps of the synthetic shapes dataset;
* :class:`VOCSegmentation`: ``JPEGImages`` + ``SegmentationClass`` palette PNGs of Pascal VOC;
* :class:`CocoSegmentation`: COCO instance annotations painted into a label map on the fly.

Label maps are PNGs (any format Pillow reads) of class *indices*: palette (``P``) images give
their palette indices, not their colours (OpenCV would return the colours, so Pillow reads
them), grayscale gives its values. An RGB file is accepted only when its three channels are
equal. Label maps are read in their stored pixel order; an image too, except a JPEG whose EXIF
orientation swaps width and height and whose label map has the displayed size (the stored size
transposed: it was drawn on the photo as displayed), which is read as displayed (see
:mod:`detseg.data.image_io`). Bad data: an unreadable
image or label-map file gives ``None`` and a warning naming the file (the loader counts it in
``SegBatch.skipped_images``); a label map whose size differs from its image, or which holds a
value outside ``0..K`` and ``255``, is a ``ValueError`` naming the file and the bad values, since
it means the dataset or its class list is wrong.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from detseg.data.base import ImageDataset
from detseg.data.coco_json import load_coco_json
from detseg.data.image_io import (
    IMAGE_SUFFIXES,
    ImageReadError,
    pillow_pixel_limit_lifted,
    to_unit_float,
)
from detseg.data.seg_transforms import IGNORE_INDEX, apply_segmentation_augmentations
from detseg.data.voc import VOC_CLASSES, read_split_ids
from detseg.data.yolo import read_class_names

__all__ = [
    "FolderSegmentation",
    "SegmentationDataset",
    "ShapesSegmentation",
    "VOCSegmentation",
    "check_label_map",
    "read_label_map",
]

logger = logging.getLogger(__name__)

#: File suffixes taken as images when a folder is listed.

#: What a dataset yields: ``(image Float32[3, H, W], mask Int64[H, W])`` or ``None``.
SegSample = tuple[torch.Tensor, torch.Tensor] | None


def read_label_map(path: str | os.PathLike) -> np.ndarray:
    """Read a label-map file as class indices.

    Args:
        path: A PNG (or other Pillow-readable file) of class indices: palette, grayscale
            (8 or 16 bit), or RGB with three equal channels.

    Returns:
        ``[H, W]`` integer array of the stored indices (``uint8`` for 8-bit files).

    Label maps are read up to the pixel count images are (OpenCV's limit, ``2**30`` unless
    the environment variable ``OPENCV_IO_MAX_IMAGE_PIXELS`` sets another), not Pillow's
    smaller decompression-bomb limit, so the label map of a large aerial or slide image reads
    as its image does.

    Raises:
        ImageReadError: The file is missing, not a decodable image, or over that pixel limit.
        ValueError: The file is an RGB image with differing channels (colours, not indices) or
            has a pixel type that cannot hold indices.
    """
    path = Path(path)
    try:
        with pillow_pixel_limit_lifted(), Image.open(path) as image:
            mode = image.mode
            _check_pixel_count(image.width * image.height, path)
            array = np.array(image)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageReadError(path, f"{type(exc).__name__}: {exc}") from exc
    if mode in ("LA", "PA", "RGB", "RGBA"):
        colours = array[..., :3] if mode in ("RGB", "RGBA") else array[..., :1]
        if (colours != colours[..., :1]).any():
            raise ValueError(
                f"label map {path} is a colour image ({mode}); store class indices as a palette "
                "or grayscale PNG (for VOC-style colour maps, save them with a palette)"
            )
        array = colours[..., 0]
    if array.ndim != 2 or not (np.issubdtype(array.dtype, np.integer) or array.dtype == bool):
        raise ValueError(
            f"label map {path} has mode {mode} (dtype {array.dtype}, shape {array.shape}); "
            "expected a single-channel image of integer class indices"
        )
    return array.astype(np.uint8) if array.dtype == bool else array


def check_label_map(
    mask: np.ndarray, image_size: tuple[int, int], num_classes: int, source: str
) -> np.ndarray:
    """Check a label map against its image and the class count.

    Args:
        mask: ``[H, W]`` integer label map.
        image_size: ``(H, W)`` of the decoded image.
        num_classes: ``K``, the number of foreground classes.
        source: Name for messages (the label-map file).

    Returns:
        The mask as ``UInt8[H, W]``.

    Raises:
        ValueError: The sizes differ, or a value is outside ``0..K`` and ``255``.
    """
    if mask.shape != tuple(image_size):
        hint = ""
        if mask.shape == tuple(image_size)[::-1]:  # the classic cause: a rotated phone photo
            hint = (
                " (height and width are swapped: it was drawn on a rotated view of the image, "
                "e.g. a photo shown by its EXIF orientation; detseg reads an image as displayed "
                "only when it is a JPEG whose EXIF orientation (5..8) swaps width and height "
                "and its label map has that displayed size, the stored size transposed, which "
                "this pair is not: rotate one of the two files, e.g. "
                "PIL.ImageOps.exif_transpose on the original photo)"
            )
        raise ValueError(
            f"{source}: label map is {mask.shape[0]}x{mask.shape[1]} (HxW) but its image is "
            f"{image_size[0]}x{image_size[1]}; each label map must match its image pixel for "
            f"pixel{hint}"
        )
    if mask.dtype == np.uint8:
        values = np.flatnonzero(np.bincount(mask.ravel(), minlength=256))
    else:
        values = np.unique(mask)
    bad = values[((values < 0) | (values > num_classes)) & (values != IGNORE_INDEX)]
    if bad.size:
        raise ValueError(
            f"{source}: label values {bad[:10].tolist()} are outside 0..{num_classes} "
            f"(background and {num_classes} classes) and {IGNORE_INDEX} (ignore); "
            "is the class list complete?"
        )
    return mask.astype(np.uint8)


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


def _check_classes(classes: list[str], source: str) -> list[str]:
    classes = [str(c) for c in classes]
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"{source}: classes must be a non-empty list of unique names: {classes}")
    if len(classes) >= IGNORE_INDEX:
        raise ValueError(
            f"{source}: {len(classes)} classes do not fit a label map with "
            f"{IGNORE_INDEX} as ignore value (at most {IGNORE_INDEX - 1})"
        )
    return classes


class SegmentationDataset(ImageDataset):
    """Base class: ``dataset[i] -> (image Float32[3, H, W], mask Int64[H, W])`` or ``None``.

    Subclasses set ``classes`` (foreground names; mask value ``k`` is ``classes[k - 1]``),
    ``image_ids`` and implement :meth:`image_path` and :meth:`mask_path` (or override
    :meth:`label_map` when the labels are not stored as files).

    Args:
        augmentations: Optional pipeline from
            :func:`detseg.data.seg_transforms.build_segmentation_augmentations`.

    Decoding the image and its label map is most of the cost of an item on a CPU.
    :meth:`enable_cache` keeps each decoded and checked pair in memory after its
    first read (config ``data.cache: true``).
    """

    _cache: dict[int, tuple[np.ndarray, np.ndarray]] | None = None

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
        return _header_size(self.mask_path(index))

    def _read_pair(self, index: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(RGB [H, W, 3] as stored, checked label map UInt8[H, W])``, or ``None`` (skipped)."""
        rgb = self.read_rgb(index)
        if rgb is None:
            return None
        size = (rgb.shape[0], rgb.shape[1])
        try:
            raw = self.label_map(index, size)
        except ImageReadError as exc:
            logger.warning("skipping image %d: unreadable label map: %s", index, exc)
            return None
        source = f"{self.mask_path(index)} (image {self.image_path(index)})"
        return rgb, check_label_map(raw, size, self.num_classes, source)

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
            image, mask = apply_segmentation_augmentations(self.augmentations, image, mask.copy())
        image_tensor = torch.from_numpy(image.transpose(2, 0, 1).copy())
        return image_tensor, torch.from_numpy(mask.astype(np.int64))


def _header_size(path: Path) -> tuple[int, int] | None:
    """``(H, W)`` of an image file from its header, ``None`` when Pillow cannot open it.

    Pillow's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) is lifted for this read,
    which decodes no pixels: a label map of a large aerial or slide image still tells its size
    (the label-map read itself names a file too large to decode).
    """
    try:
        with pillow_pixel_limit_lifted(), Image.open(path) as label_map:
            return label_map.height, label_map.width
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _check_pixel_count(pixels: int, path: Path) -> None:
    """Refuse a label map of more ``pixels`` than images are decoded with (OpenCV's limit)."""
    setting = os.environ.get("OPENCV_IO_MAX_IMAGE_PIXELS", "")
    limit = int(setting) if setting.strip().isdigit() else 1 << 30
    if pixels > limit:
        raise ValueError(
            f"it has {pixels} pixels, more than images are read with ({limit}); set the "
            "environment variable OPENCV_IO_MAX_IMAGE_PIXELS to a larger number (before Python "
            "starts), or tile the image and its label map"
        )


def _other_mask_suffix_hint(images: list[Path], masks_dir: Path) -> str:
    """``"; its files are named <stem>X: set data.mask_suffix=X"`` when the label maps of the
    images are there under another ending, else ``""``."""
    stems = {image.stem for image in images}
    endings: dict[str, int] = {}
    for path in masks_dir.iterdir():
        for stem in stems:
            if path.name.startswith(stem) and path.name != stem:
                ending = path.name[len(stem) :]
                endings[ending] = endings.get(ending, 0) + 1
                break
    if not endings:
        return ""
    ending = max(endings, key=lambda key: endings[key])
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


def _pair_by_stem(
    images_dir: Path, masks_dir: Path, mask_suffix: str
) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """``(image, label map)`` pairs with the same stem, and the images without a label map
    (left out; one warning names the first few)."""
    for folder, what in ((images_dir, "images"), (masks_dir, "label maps")):
        if not folder.is_dir():
            raise FileNotFoundError(f"folder of {what} not found: {folder}")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    _refuse_shared_stems(images, masks_dir, mask_suffix)
    pairs, missing = [], []
    for image in images:
        mask = masks_dir / f"{image.stem}{mask_suffix}"
        if mask.is_file():
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


class FolderSegmentation(SegmentationDataset):
    """Images and label maps in two folders, paired by file stem.

    Args:
        images_dir: Folder of images (``.jpg``, ``.png``, ... see :data:`IMAGE_SUFFIXES`).
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
        self.images_dir, self.masks_dir = Path(images_dir), Path(masks_dir)
        self.classes = _refuse_listed_background(
            _check_classes(read_class_names(classes), str(self.masks_dir)),
            str(classes) if isinstance(classes, (str, os.PathLike)) else "data.classes",
        )
        self._pairs, self.images_without_label_map = _pair_by_stem(
            self.images_dir, self.masks_dir, mask_suffix
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
        categories = sorted(load_coco_json(ann_file)["categories"], key=lambda c: c["id"])
        if [int(c["id"]) for c in categories] != list(range(1, len(categories) + 1)):
            raise ValueError(f"{ann_file}: shapes category ids must be 1..K (the mask values)")
        names = [str(c["name"]) for c in categories]
        super().__init__(root / split / "images", root / "masks" / split, names, augmentations)
        self.root, self.split = root, split


_VOC_SEG_HINT = (
    "expected <root>/JPEGImages/<id>.jpg, <root>/SegmentationClass/<id>.png and "
    "<root>/ImageSets/Segmentation/<split>.txt (see datasets/README.md)"
)


class VOCSegmentation(SegmentationDataset):
    """Pascal VOC semantic segmentation (``SegmentationClass`` palette PNGs).

    The PNGs' palette indices are the labels: ``0`` background, ``1..20`` the VOC classes,
    ``255`` the "void" outlines around objects (ignored).

    Args:
        root: The VOC folder (e.g. ``VOCdevkit/VOC2012``).
        image_set: Split name (``"train"`` reads ``ImageSets/Segmentation/train.txt``) or the
            path of a split file with one image id per line.
        classes: Foreground names in label order; default the 20 VOC classes.
        augmentations: Optional albumentations pipeline.

    Attributes:
        classes: Foreground class names.
        image_ids: ``0..N-1`` in split order.
        names: VOC image ids (file stems) in split order.

    Raises:
        FileNotFoundError: The root, ``JPEGImages``, ``SegmentationClass`` or the split file
            is missing.
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
                raise FileNotFoundError(f"VOC folder not found: {folder}; {_VOC_SEG_HINT}")
        self.classes = _refuse_listed_background(
            _check_classes(VOC_CLASSES if classes is None else classes, str(root)), "data.classes"
        )
        candidate = Path(image_set)
        split_file = (
            candidate
            if candidate.is_file()
            else self.root / "ImageSets" / "Segmentation" / f"{image_set}.txt"
        )
        if not split_file.is_file():
            raise FileNotFoundError(f"VOC split file not found: {split_file}; {_VOC_SEG_HINT}")
        self.names = read_split_ids(split_file)
        if not self.names:
            raise ValueError(f"VOC split file {split_file} lists no image ids")
        self.image_ids = list(range(len(self.names)))

    def image_path(self, index: int) -> Path:
        return self.root / "JPEGImages" / f"{self.names[index]}.jpg"

    def mask_path(self, index: int) -> Path:
        return self.root / "SegmentationClass" / f"{self.names[index]}.png"
