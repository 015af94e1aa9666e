"""Dataset names and the config-driven dataset builder.

``data_cfg`` (the ``data`` section of an experiment config) picks a format and its paths.
Relative paths are resolved against ``root``; the defaults fit the shapes dataset
(``python tools/make_shapes.py --out datasets/shapes``) and the usual VOC / YOLO layouts.

=========  ==============================================================================
format     keys (default)
=========  ==============================================================================
all        ``format`` ("coco"), ``root`` (required)
coco       ``train_images`` ("train/images"), ``train_ann``
           ("annotations/instances_train.json"), ``val_images`` ("val/images"),
           ``val_ann`` ("annotations/instances_val.json"), ``load_masks`` (False),
           ``classes`` (None: the json's categories; or a subset of their names, in label
           order: a list, a file)
voc        ``train_split`` ("trainval"), ``val_split`` ("test"), ``classes`` (None: the
           names found in the split's xml files, sorted; "voc": the 20 VOC classes; or a
           list, a file), ``keep_difficult`` (True; the train split only: the val split
           always keeps difficult objects, which VOC evaluation ignores)
yolo       ``train_images`` ("images/train"), ``val_images`` ("images/val"),
           ``train_labels`` / ``val_labels`` (None: ``images`` -> ``labels`` in the path),
           ``classes`` ("classes.txt"; a list, or a file)
=========  ==============================================================================

``classes`` as a file is a ``classes.txt`` (one name per line) or a data yaml with ``names``
(a list or ``{index: name}``), looked up under ``root`` first, then in the current directory
(:func:`detseg.data.class_names.read_class_names`). When more than half of a split's objects
belong to no class of the list, building the dataset fails (a ``ValueError`` listing what was
found; :data:`detseg.data.class_names.UNKNOWN_CLASS_LIMIT`).

Semantic segmentation formats (:data:`SEG_DATASETS`, :func:`build_segmentation_dataset`; also
reached through :func:`build_dataset`):

==========  =============================================================================
format      keys (default)
==========  =============================================================================
all         ``cache`` (False): keep the decoded images and label maps in memory after their
            first read (~256 KB per 256 px image; ``SegmentationDataset.enable_cache``)
shapes_seg  ``train_split`` ("train"), ``val_split`` ("val"; "test" for the held-out split),
            under ``root`` (the folder of ``generate_shapes``)
voc_seg     ``train_split`` ("train"), ``val_split`` ("val"), ``classes`` (null: the names of
            ``classes.txt`` under root when there, else the 20 VOC classes; a list, a file
            under root or a yaml with ``names``)
folder_seg  ``train_images`` ("images/train"), ``val_images`` ("images/val"), ``train_masks``
            ("masks/train"), ``val_masks`` ("masks/val"), ``classes`` ("classes.txt"; a file
            under root, a yaml with ``names``, or a list), ``mask_suffix`` (".png")
coco_seg    the ``coco`` keys without ``load_masks``
==========  =============================================================================

An unknown key is a ``ValueError`` naming the key and the closest valid one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from detseg.config.suggest import did_you_mean
from detseg.data.base import DetectionDataset
from detseg.data.class_names import read_class_names, resolve_class_file
from detseg.data.coco import CocoDetection
from detseg.data.coco_seg import CocoSegmentation
from detseg.data.data_section_errors import check_section, name_the_key, point_at_data_yaml
from detseg.data.masks import (
    FolderSegmentation,
    SegmentationDataset,
    ShapesSegmentation,
    VOCSegmentation,
)
from detseg.data.voc import VOC_CLASSES, VOCDetection
from detseg.data.yolo import YoloTxtDetection
from detseg.shell_words import shell_word

__all__ = [
    "DATASETS",
    "DATA_DEFAULTS",
    "SEG_DATASETS",
    "SEG_DATA_DEFAULTS",
    "build_dataset",
    "build_segmentation_dataset",
    "with_known_classes",
]

#: Dataset format name -> dataset class.
DATASETS: dict[str, type[DetectionDataset]] = {
    "coco": CocoDetection,
    "voc": VOCDetection,
    "yolo": YoloTxtDetection,
}

#: Segmentation format name -> dataset class (items ``(image, mask Int64[H, W])``).
SEG_DATASETS: dict[str, type[SegmentationDataset]] = {
    "shapes_seg": ShapesSegmentation,
    "voc_seg": VOCSegmentation,
    "folder_seg": FolderSegmentation,
    "coco_seg": CocoSegmentation,
}

#: Keys every segmentation format takes: ``cache`` keeps decoded images and label maps in
#: memory after their first read (see ``SegmentationDataset.enable_cache``).
_SEG_COMMON_DEFAULTS: dict[str, Any] = {"cache": False}

_SEG_FORMAT_DEFAULTS: dict[str, dict[str, Any]] = {
    "shapes_seg": {"train_split": "train", "val_split": "val"},
    "voc_seg": {"train_split": "train", "val_split": "val", "classes": None},
    "folder_seg": {
        "train_images": "images/train",
        "val_images": "images/val",
        "train_masks": "masks/train",
        "val_masks": "masks/val",
        "classes": "classes.txt",
        "mask_suffix": ".png",
    },
    "coco_seg": {
        "train_images": "train/images",
        "train_ann": "annotations/instances_train.json",
        "val_images": "val/images",
        "val_ann": "annotations/instances_val.json",
    },
}

#: Segmentation format name -> its config keys and defaults (also merged into DATA_DEFAULTS).
SEG_DATA_DEFAULTS: dict[str, dict[str, Any]] = {
    fmt: {**_SEG_COMMON_DEFAULTS, **keys} for fmt, keys in _SEG_FORMAT_DEFAULTS.items()
}

#: Format name -> its config keys and their defaults (``format`` and ``root`` apply to all).
DATA_DEFAULTS: dict[str, dict[str, Any]] = {
    "coco": {
        "train_images": "train/images",
        "train_ann": "annotations/instances_train.json",
        "val_images": "val/images",
        "val_ann": "annotations/instances_val.json",
        "load_masks": False,
        "classes": None,
    },
    "voc": {
        "train_split": "trainval",
        "val_split": "test",
        "classes": None,
        "keep_difficult": True,
    },
    "yolo": {
        "train_images": "images/train",
        "val_images": "images/val",
        "train_labels": None,
        "val_labels": None,
        "classes": "classes.txt",
    },
    **SEG_DATA_DEFAULTS,
}


SPLITS = ("train", "val")

#: The command that writes the shapes dataset into ``{root}``, for a missing shapes root.
_SHAPES = (
    "(detseg-make-shapes --out {root}, or python tools/make_shapes.py --out {root} in a "
    "checkout, writes the shapes dataset)"
)

#: Format -> what its ``data.root`` is, for the error of a root that is missing or no folder
#: (COCO's: :func:`_root_layout`, from the section's paths).
_ROOT_LAYOUTS: dict[str, str] = {
    "voc": "the VOC year folder, e.g. datasets/VOCdevkit/VOC2007, with Annotations/, "
    "JPEGImages/ and ImageSets/Main/",
    "yolo": "the dataset folder, with images/<split>/, labels/<split>/ and classes.txt",
    "shapes_seg": "the folder of the shapes dataset",
    "voc_seg": "the VOC year folder, e.g. datasets/VOCdevkit/VOC2012, with JPEGImages/, "
    "SegmentationClass/ and ImageSets/Segmentation/",
    "folder_seg": "the dataset folder, with images/<split>/, masks/<split>/ and classes.txt",
}


def _root_layout(fmt: str, root: Path, options: dict[str, Any]) -> str:
    """What ``data.root`` of format ``fmt`` holds, for the error of a missing root: a COCO
    root the section's own image folders and json files that lie inside it (``train2017/``
    for COCO 2017's data file, ``train/images/`` for the shapes layout), and the command that
    writes the shapes dataset there where the root is named like it."""
    if fmt in ("coco", "coco_seg"):
        paths = [options[f"{split}_{kind}"] for kind in ("images", "ann") for split in SPLITS]
        inside = [
            str(path).rstrip("/") + ("/" if i < 2 else "")
            for i, path in enumerate(paths)
            if isinstance(path, (str, os.PathLike)) and not Path(path).is_absolute()
        ]
        layout = "the dataset folder" + (f", with {', '.join(inside)}" if inside else "")
    else:
        layout = _ROOT_LAYOUTS[fmt]
    shapes = fmt == "shapes_seg" or ("shapes" in root.name and fmt in ("coco", "coco_seg"))
    if not shapes:
        return layout
    named = shell_word(root) if str(root) != "." else "datasets/shapes"
    return f"{layout} {_SHAPES.format(root=named)}"


def _root_and_options(
    data_cfg: dict[str, Any], fmt: str, defaults: dict[str, Any]
) -> tuple[Path, dict[str, Any]]:
    """Check the keys and root of ``data_cfg`` for format ``fmt``; return ``(root, options)``.

    Args:
        data_cfg: The ``data`` config section (its ``format`` already checked).
        fmt: The dataset format.
        defaults: The format's keys with their default values.

    Returns:
        The dataset root and the format keys (``defaults`` updated by ``data_cfg``; without
        ``format`` and ``root``).

    Raises:
        ValueError: A key the format does not take (naming the closest valid key), or no root.
        FileNotFoundError: ``root`` is not a folder.
    """
    valid = ["format", "root", *defaults]
    for key in data_cfg:
        if key not in valid:
            hint = did_you_mean(key, valid) or f"; valid keys: {', '.join(valid)}"
            raise ValueError(f"data.{key} is not a valid key for format {fmt!r}{hint}")
    options = {**defaults, **{k: v for k, v in data_cfg.items() if k not in ("format", "root")}}
    if data_cfg.get("root") in (None, ""):
        raise ValueError(
            f"data.root is required: set it ({_WHERE_ROOT_IS_SET}) to "
            f"{_root_layout(fmt, Path(), options)}"
        )
    root = Path(data_cfg["root"])
    if not root.is_dir():
        # a relative root is read from the current folder: a run's config.yaml keeps the root
        # as training was given it, so eval or --resume from another folder misses it
        where = (
            ""
            if root.is_absolute()
            else f" (a relative root is read from the working folder, {Path.cwd()})"
        )
        raise FileNotFoundError(
            f"data.root {str(root)!r} is not a folder{where}: set data.root "
            f"({_WHERE_ROOT_IS_SET}) to {_root_layout(fmt, root, options)}"
        )
    return root, options


#: Where ``data.root`` is set, for the tools and for Python callers alike.
_WHERE_ROOT_IS_SET = (
    "in the config or data file, or --set data.root=PATH with the tools, "
    "overrides=['data.root=PATH'] in load_config"
)


def _resolve_config(data_cfg: dict[str, Any]) -> tuple[str, Path, dict[str, Any]]:
    """Validate ``data_cfg``; return ``(format, root, options with defaults filled in)``."""
    check_section(data_cfg)
    fmt = data_cfg.get("format", "coco")
    if fmt not in DATASETS:
        hint = did_you_mean(fmt, DATASETS)
        raise ValueError(f"data.format {fmt!r} is unknown (valid: {', '.join(DATASETS)}){hint}")
    return fmt, *_root_and_options(data_cfg, fmt, DATA_DEFAULTS[fmt])


def with_known_classes(data_cfg: dict[str, Any], classes: list[str]) -> dict[str, Any]:
    """``data_cfg`` with ``classes`` fixed where the format would read them from the split.

    A VOC section without ``classes`` takes the class names found in the split's xml files, so
    a val split that lacks one class would get other labels than the train split. The val split
    (and a checkpoint's evaluation) therefore uses the names the model was trained on. Other
    sections are returned unchanged: their classes are given (YOLO, ``data.classes``) or come
    with the annotations (COCO categories).

    Args:
        data_cfg: A flat ``data`` section (see the module docstring).
        classes: The class names of the train split (or of a checkpoint), in label order.
    """
    if data_cfg.get("format") == "voc" and data_cfg.get("classes") is None:
        return {**data_cfg, "classes": list(classes)}
    return data_cfg


def build_dataset(
    data_cfg: dict[str, Any], split: str, augmentations: Any | None = None
) -> DetectionDataset | SegmentationDataset:
    """Build the ``split`` dataset described by a ``data`` config section.

    Args:
        data_cfg: ``{"format": ..., "root": ..., **format keys}`` (see the module docstring).
        split: ``"train"`` or ``"val"``.
        augmentations: Optional albumentations pipeline
            (:func:`detseg.data.transforms.build_augmentations`); usually only for ``"train"``.

    Returns:
        The dataset (a segmentation dataset for the formats of :data:`SEG_DATASETS`).

    Raises:
        ValueError: Unknown format, unknown key, missing root, a split other than
            ``"train"`` / ``"val"``, a bad ``classes`` value, or a dataset the reader rejects
            (corrupt annotations, mostly objects of unknown classes).
        FileNotFoundError: A configured file or folder does not exist.
        TypeError: ``data_cfg`` is no dict (a format name alone, ``None``).
    """
    check_section(data_cfg)
    if data_cfg.get("format") in SEG_DATASETS:
        return build_segmentation_dataset(data_cfg, split, augmentations)
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    fmt, root, opt = _resolve_config(data_cfg)
    try:
        return _detection_dataset(fmt, root, opt, split, augmentations)
    except FileNotFoundError as err:
        raise name_the_key(err, root, opt, split) from None


def _detection_dataset(
    fmt: str, root: Path, opt: dict[str, Any], split: str, augmentations: Any | None
) -> DetectionDataset:
    """The dataset object of detection format ``fmt`` (config already checked)."""
    try:
        classes = _class_names(opt["classes"], root, fmt)
    except FileNotFoundError as err:
        raise (point_at_data_yaml(err, root, opt["classes"]) if fmt == "yolo" else err) from None
    if fmt == "coco":
        return CocoDetection(
            root / opt[f"{split}_images"],
            root / opt[f"{split}_ann"],
            augmentations=augmentations,
            load_masks=bool(opt["load_masks"]),
            classes=classes,
        )
    if fmt == "voc":
        split_name = str(opt[f"{split}_split"])  # a name, or a split file relative to root
        as_file = root / split_name
        return VOCDetection(
            root,
            as_file if as_file.is_file() else split_name,
            classes=classes,
            augmentations=augmentations,
            keep_difficult=bool(opt["keep_difficult"]) or split != "train",
        )
    labels = opt[f"{split}_labels"]
    return YoloTxtDetection(
        root / opt[f"{split}_images"],
        root / labels if labels is not None else None,
        classes=classes if classes is not None else read_class_names("classes.txt", root),
        augmentations=augmentations,
    )


def _class_names(value: Any, root: Path, fmt: str) -> list[str] | None:
    """The names of ``data.classes`` (``None`` when not given; ``"voc"`` for format voc)."""
    if value is None:
        return None
    if fmt == "voc" and value == "voc":
        return list(VOC_CLASSES)
    return read_class_names(value, root)


def _resolve_seg_config(data_cfg: dict[str, Any]) -> tuple[str, Path, dict[str, Any]]:
    """Validate a segmentation ``data_cfg``; return ``(format, root, options with defaults)``."""
    check_section(data_cfg)
    fmt = data_cfg.get("format")
    if fmt not in SEG_DATASETS:
        hint = did_you_mean(str(fmt), SEG_DATASETS)
        raise ValueError(
            f"data.format {fmt!r} is not a segmentation format "
            f"(valid: {', '.join(SEG_DATASETS)}){hint}"
        )
    return fmt, *_root_and_options(data_cfg, fmt, SEG_DATA_DEFAULTS[fmt])


def build_segmentation_dataset(
    data_cfg: dict[str, Any], split: str, augmentations: Any | None = None
) -> SegmentationDataset:
    """Build the ``split`` segmentation dataset described by a ``data`` config section.

    Args:
        data_cfg: ``{"format": "shapes_seg" | "voc_seg" | "folder_seg" | "coco_seg",
            "root": ..., **format keys}`` (see the module docstring).
        split: ``"train"`` or ``"val"``.
        augmentations: Optional pipeline from
            :func:`detseg.data.seg_transforms.build_segmentation_augmentations`.

    Returns:
        The dataset; items are ``(image Float32[3, H, W], mask Int64[H, W])`` or ``None``.

    Raises:
        ValueError: Unknown format, unknown key, missing root, or a split other than
            ``"train"`` / ``"val"``.
        FileNotFoundError: A configured file or folder does not exist.
        TypeError: ``data_cfg`` is no dict (a format name alone, ``None``).
    """
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    fmt, root, opt = _resolve_seg_config(data_cfg)
    try:
        dataset = _segmentation_dataset(fmt, root, opt, split, augmentations)
    except FileNotFoundError as err:
        raise name_the_key(err, root, opt, split) from None
    if opt["cache"]:
        dataset.enable_cache()
    return dataset


def _segmentation_dataset(
    fmt: str, root: Path, opt: dict[str, Any], split: str, augmentations: Any | None
) -> SegmentationDataset:
    """The dataset object of ``fmt`` (config already checked)."""
    if fmt == "shapes_seg":
        return ShapesSegmentation(root, opt[f"{split}_split"], augmentations=augmentations)
    if fmt == "coco_seg":
        return CocoSegmentation(
            root / opt[f"{split}_images"], root / opt[f"{split}_ann"], augmentations
        )
    if fmt == "voc_seg":
        split_name = str(opt[f"{split}_split"])  # a name, or a split file relative to root
        as_file = root / split_name
        image_set = as_file if as_file.is_file() else split_name
        classes = None if opt["classes"] is None else read_class_names(opt["classes"], root)
        return VOCSegmentation(root, image_set, classes, augmentations)
    return FolderSegmentation(
        root / opt[f"{split}_images"],
        root / opt[f"{split}_masks"],
        # a class file is handed over as its path, so that messages name it
        resolve_class_file(opt["classes"], root)
        if isinstance(opt["classes"], (str, os.PathLike))
        else read_class_names(opt["classes"], root),
        augmentations=augmentations,
        mask_suffix=str(opt["mask_suffix"]),
    )
