"""Scoring a model on the val split: COCO AP of a detector, mIoU of a segmenter.

- :mod:`~detseg.engine.validation.detection`: ``evaluate_detection`` (COCO mAP over a loader,
  VOC mAP beside it for a VOC metric, mask AP beside it for a model with masks), the COCO
  ground truth of a dataset, batched predictions (``tools/eval.py`` too).
- :mod:`~detseg.engine.validation.segmentation`: ``evaluate_segmentation`` (mIoU and pixel
  accuracies), its table and ``metrics.json``.
- :mod:`~detseg.engine.validation.sharded`: ``validate``, the metric and the validation loss
  during training, sharded over the processes of a distributed run.
"""

from detseg.engine.validation.detection import (
    COCO_KEYS,
    SEGM_KEYS,
    SEGM_PER_CLASS_KEY,
    VOC_MAP_KEY,
    VOC_PER_CLASS_KEY,
    CocoGroundTruth,
    DatasetHead,
    annotation_source,
    coco_ground_truth,
    detection_metrics,
    evaluate_detection,
    ground_truth_of_images,
    has_masks,
    predict_batch,
    predict_batches,
)
from detseg.engine.validation.segmentation import (
    SEG_KEYS,
    class_names_with_background,
    evaluate_segmentation,
    segmentation_table,
    write_segmentation_metrics,
)
from detseg.engine.validation.sharded import validate

__all__ = [
    "COCO_KEYS",
    "SEGM_KEYS",
    "SEGM_PER_CLASS_KEY",
    "SEG_KEYS",
    "VOC_MAP_KEY",
    "VOC_PER_CLASS_KEY",
    "CocoGroundTruth",
    "DatasetHead",
    "annotation_source",
    "class_names_with_background",
    "coco_ground_truth",
    "detection_metrics",
    "evaluate_detection",
    "ground_truth_of_images",
    "evaluate_segmentation",
    "has_masks",
    "predict_batch",
    "predict_batches",
    "segmentation_table",
    "validate",
    "write_segmentation_metrics",
]
