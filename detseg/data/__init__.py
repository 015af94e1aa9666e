"""detseg.data: image reading, detection datasets (COCO / VOC / YOLO), augmentations, loaders.

Semantic segmentation datasets (folder / shapes / VOC / COCO label maps) come with their own
builder, augmentations and loader: ``build_segmentation_dataset``,
``build_segmentation_augmentations``, ``build_segmentation_loader`` (yields ``SegBatch``).

Everything a training script needs is importable from here::

    from detseg.data import build_augmentations, build_dataset, build_loader

Dataset names resolve through the plain dict :data:`DATASETS` (no registry decorators).
"""

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
