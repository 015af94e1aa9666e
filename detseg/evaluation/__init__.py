"""detseg.evaluation: COCO mAP (pycocotools / faster-coco-eval), VOC AP, segmentation mIoU."""

from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.coco_format import dataset_to_coco_gt, predictions_to_coco_results
from detseg.evaluation.segmentation import ConfusionMatrix, segmentation_metrics
from detseg.evaluation.table import coco_table, format_table
from detseg.evaluation.voc import voc_evaluate

__all__ = [
    "ConfusionMatrix",
    "coco_evaluate",
    "coco_table",
    "dataset_to_coco_gt",
    "format_table",
    "predictions_to_coco_results",
    "segmentation_metrics",
    "voc_evaluate",
]
