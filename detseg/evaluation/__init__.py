"""detseg.evaluation: COCO mAP (pycocotools / faster-coco-eval), VOC AP, segmentation mIoU.

The names are imported on first use (:func:`__getattr__`): the COCO evaluation of a predictions
file (:mod:`~detseg.evaluation.prediction_files_eval`) runs without torch, which only the
tensor inputs (:mod:`~detseg.evaluation.segmentation`, :mod:`~detseg.evaluation.voc`,
:mod:`~detseg.evaluation.coco_format`) and the checkpoint evaluation need. So are the modules
themselves: ``detseg.evaluation.checkpoint_eval.evaluate_checkpoint`` works after a bare
``import detseg``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from detseg.lazy_names import names_listed, names_on_first_use

if TYPE_CHECKING:
    from detseg.evaluation.coco import coco_evaluate
    from detseg.evaluation.coco_format import dataset_to_coco_gt, predictions_to_coco_results
    from detseg.evaluation.detection_confusion import (
        DetectionConfusion,
        detection_confusion_matrix,
        plot_confusion_matrix,
    )
    from detseg.evaluation.pr_curves import (
        PRCurves,
        evaluate_with_arrays,
        plot_pr_curve,
        plot_pr_per_class,
    )
    from detseg.evaluation.report import write_detection_report
    from detseg.evaluation.segmentation import ConfusionMatrix, segmentation_metrics
    from detseg.evaluation.table import coco_table, format_table, voc_table
    from detseg.evaluation.voc import voc_evaluate
    from detseg.evaluation.voc_coco import METRIC_CHOICES, resolve_metric, voc_evaluate_coco

#: The module of each public name, imported when the name is first read.
_MODULES = {
    "coco_evaluate": "coco",
    "dataset_to_coco_gt": "coco_format",
    "predictions_to_coco_results": "coco_format",
    "ConfusionMatrix": "segmentation",
    "segmentation_metrics": "segmentation",
    "coco_table": "table",
    "format_table": "table",
    "voc_table": "table",
    "voc_evaluate": "voc",
    "METRIC_CHOICES": "voc_coco",
    "resolve_metric": "voc_coco",
    "voc_evaluate_coco": "voc_coco",
    # Readable reports: PR curves from COCOeval's arrays, detection confusion matrix, HTML page.
    # (``detection_confusion``, the function, is imported from its module: here it would hide
    # the module of the same name)
    "DetectionConfusion": "detection_confusion",
    "detection_confusion_matrix": "detection_confusion",
    "plot_confusion_matrix": "detection_confusion",
    "PRCurves": "pr_curves",
    "evaluate_with_arrays": "pr_curves",
    "plot_pr_curve": "pr_curves",
    "plot_pr_per_class": "pr_curves",
    "write_detection_report": "report",
}


__getattr__ = names_on_first_use(__name__, _MODULES, globals())
__dir__ = names_listed(_MODULES, globals())


__all__ = [
    "METRIC_CHOICES",
    "ConfusionMatrix",
    "DetectionConfusion",
    "PRCurves",
    "coco_evaluate",
    "coco_table",
    "dataset_to_coco_gt",
    "detection_confusion_matrix",
    "evaluate_with_arrays",
    "format_table",
    "plot_confusion_matrix",
    "plot_pr_curve",
    "plot_pr_per_class",
    "predictions_to_coco_results",
    "resolve_metric",
    "segmentation_metrics",
    "voc_evaluate",
    "voc_evaluate_coco",
    "voc_table",
    "write_detection_report",
]
