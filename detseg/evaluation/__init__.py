"""detseg.evaluation: COCO mAP (pycocotools / faster-coco-eval), VOC AP, segmentation mIoU."""

from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.coco_format import dataset_to_coco_gt, predictions_to_coco_results
from detseg.evaluation.segmentation import ConfusionMatrix, segmentation_metrics
from detseg.evaluation.table import coco_table, format_table, voc_table
from detseg.evaluation.voc import voc_evaluate
from detseg.evaluation.voc_coco import METRIC_CHOICES, resolve_metric, voc_evaluate_coco

__all__ = [
    "METRIC_CHOICES",
    "ConfusionMatrix",
    "coco_evaluate",
    "coco_table",
    "dataset_to_coco_gt",
    "format_table",
    "predictions_to_coco_results",
    "resolve_metric",
    "segmentation_metrics",
    "voc_evaluate",
    "voc_evaluate_coco",
    "voc_table",
]

# Readable reports: PR curves from COCOeval's arrays, detection confusion matrix, HTML page.
# (``detection_confusion``, the function, is imported from its module: here it would hide the
# module of the same name)
from detseg.evaluation.detection_confusion import (  # noqa: E402
    DetectionConfusion,
    detection_confusion_matrix,
    plot_confusion_matrix,
)
from detseg.evaluation.pr_curves import (  # noqa: E402
    PRCurves,
    evaluate_with_arrays,
    plot_pr_curve,
    plot_pr_per_class,
)
from detseg.evaluation.report import write_detection_report  # noqa: E402

__all__ += [
    "DetectionConfusion",
    "PRCurves",
    "detection_confusion_matrix",
    "evaluate_with_arrays",
    "plot_confusion_matrix",
    "plot_pr_curve",
    "plot_pr_per_class",
    "write_detection_report",
]
