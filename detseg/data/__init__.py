"""detseg.data: image reading, detection datasets (COCO / VOC / YOLO), augmentations, loaders.

Semantic segmentation datasets (folder / shapes / VOC / COCO label maps) come with their own
builder, augmentations and loader: ``build_segmentation_dataset``,
``build_segmentation_augmentations``, ``build_segmentation_loader`` (yields ``SegBatch``).

Everything a training script needs is importable from here::

    from detseg.data import build_augmentations, build_dataset, build_loader

Dataset names resolve through the plain dict :data:`DATASETS` (no registry decorators).

The names are imported on first use (:func:`__getattr__`): the json and COCO helpers of this
package (``detseg.data.json_files``, ``detseg.data.coco_eval_defaults``) load without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from detseg.lazy_names import names_listed, names_on_first_use

if TYPE_CHECKING:
    from detseg.data.base import Annotations, DetectionDataset
    from detseg.data.class_names import UNKNOWN_CLASS_LIMIT, read_class_names
    from detseg.data.coco import CocoDetection
    from detseg.data.coco_seg import CocoSegmentation
    from detseg.data.image_io import ImageReadError, read_image, read_image_array
    from detseg.data.label_maps import read_label_map
    from detseg.data.loader import Batch, build_loader, collate_detection
    from detseg.data.masks import (
        FolderSegmentation,
        SegmentationDataset,
        ShapesSegmentation,
        VOCSegmentation,
    )
    from detseg.data.registry import (
        DATA_DEFAULTS,
        DATASETS,
        SEG_DATA_DEFAULTS,
        SEG_DATASETS,
        build_dataset,
        build_segmentation_dataset,
    )
    from detseg.data.seg_loader import SegBatch, build_segmentation_loader, collate_segmentation
    from detseg.data.seg_transforms import build_segmentation_augmentations
    from detseg.data.shapes import SHAPE_CLASSES, generate_shapes
    from detseg.data.target_checks import remove_crowd, sanitize_boxes
    from detseg.data.transforms import build_augmentations
    from detseg.data.voc import VOC_CLASSES, VOCDetection
    from detseg.data.yolo import YoloTxtDetection

#: The module of each public name, imported when the name is first read.
_MODULES = {
    "Annotations": "base",
    "DetectionDataset": "base",
    "UNKNOWN_CLASS_LIMIT": "class_names",
    "read_class_names": "class_names",
    "CocoDetection": "coco",
    "CocoSegmentation": "coco_seg",
    "ImageReadError": "image_io",
    "read_image": "image_io",
    "read_image_array": "image_io",
    "read_label_map": "label_maps",
    "Batch": "loader",
    "build_loader": "loader",
    "collate_detection": "loader",
    "FolderSegmentation": "masks",
    "SegmentationDataset": "masks",
    "ShapesSegmentation": "masks",
    "VOCSegmentation": "masks",
    "DATA_DEFAULTS": "registry",
    "DATASETS": "registry",
    "SEG_DATA_DEFAULTS": "registry",
    "SEG_DATASETS": "registry",
    "build_dataset": "registry",
    "build_segmentation_dataset": "registry",
    "SegBatch": "seg_loader",
    "build_segmentation_loader": "seg_loader",
    "collate_segmentation": "seg_loader",
    "build_segmentation_augmentations": "seg_transforms",
    "SHAPE_CLASSES": "shapes",
    "generate_shapes": "shapes",
    "remove_crowd": "target_checks",
    "sanitize_boxes": "target_checks",
    "build_augmentations": "transforms",
    "VOC_CLASSES": "voc",
    "VOCDetection": "voc",
    "YoloTxtDetection": "yolo",
}


__getattr__ = names_on_first_use(__name__, _MODULES, globals())
__dir__ = names_listed(_MODULES, globals())


__all__ = [
    "DATASETS",
    "DATA_DEFAULTS",
    "SEG_DATASETS",
    "SEG_DATA_DEFAULTS",
    "SHAPE_CLASSES",
    "UNKNOWN_CLASS_LIMIT",
    "VOC_CLASSES",
    "Annotations",
    "Batch",
    "CocoDetection",
    "CocoSegmentation",
    "FolderSegmentation",
    "SegBatch",
    "SegmentationDataset",
    "ShapesSegmentation",
    "VOCSegmentation",
    "DetectionDataset",
    "ImageReadError",
    "VOCDetection",
    "YoloTxtDetection",
    "build_augmentations",
    "build_dataset",
    "build_loader",
    "build_segmentation_augmentations",
    "build_segmentation_dataset",
    "build_segmentation_loader",
    "collate_segmentation",
    "collate_detection",
    "generate_shapes",
    "read_class_names",
    "read_image",
    "read_image_array",
    "read_label_map",
    "remove_crowd",
    "sanitize_boxes",
]
