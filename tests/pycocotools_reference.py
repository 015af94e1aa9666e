"""pycocotools' ``COCOeval`` run the documented way, the reference the evaluation tests compare
detseg's COCO numbers with (``from pycocotools_reference import pycocotools_eval``)."""

from __future__ import annotations

import contextlib
import copy
import io

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def pycocotools_eval(
    gt: dict,
    dets: list[dict],
    iou_type: str = "bbox",
    cat_ids: list[int] | None = None,
    max_dets: list[int] | None = None,
) -> COCOeval:
    """``COCOeval`` evaluated, accumulated and summarised (its printout swallowed) on deep
    copies of ``gt`` and ``dets``; ``cat_ids`` and ``max_dets`` set its ``params`` when given."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        evaluator = COCOeval(coco_gt, coco_gt.loadRes(copy.deepcopy(dets)), iouType=iou_type)
        if cat_ids is not None:
            evaluator.params.catIds = cat_ids
        if max_dets is not None:
            evaluator.params.maxDets = max_dets
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator
