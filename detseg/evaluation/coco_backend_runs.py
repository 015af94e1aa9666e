"""One COCO evaluation run by pycocotools or by faster-coco-eval, as ``(stats, evaluator)``.

:func:`run_pycocotools` and :func:`run_faster` build each library's ground-truth and results
objects, evaluate, accumulate and summarize, with the libraries' prints sent to this module's
logger (DEBUG). They are the only code that touches the libraries' evaluators; what goes in
(checked, copied, compressed) and what comes out (named numbers) is
:mod:`detseg.evaluation.coco`'s.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from detseg.evaluation.coco_per_class import mean_valid

if TYPE_CHECKING:
    from detseg.evaluation.coco import IouType

logger = logging.getLogger(__name__)


def run_pycocotools(
    gt: dict, dets: list[dict], iou_type: IouType, max_dets: list[int]
) -> tuple[np.ndarray, Any]:
    """``(stats, evaluator)`` of pycocotools' ``COCOeval`` (evaluate, accumulate, summarize)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with _captured_stdout("pycocotools"):
        coco_gt = COCO()
        coco_gt.dataset = gt  # type: ignore[assignment]  # stubs: a TypedDict, here a plain dict
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(dets) if dets else _empty_results(COCO, gt)
        evaluator = COCOeval(coco_gt, coco_dt, iouType=iou_type)
        evaluator.params.maxDets = list(max_dets)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    if max_dets[-1] != 100:
        evaluator.stats = _ap_at_last_max_dets(evaluator.stats, evaluator.eval["precision"])
    return evaluator.stats, evaluator


def _ap_at_last_max_dets(stats: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """A copy of pycocotools' ``stats`` whose ``AP`` (``stats[0]``) is read at the last
    ``maxDets``, as its summarize reads ``AP50`` ... ``APl``, instead of at ``maxDets=100``
    (-1 when 100 is not among them).

    Args:
        stats: ``Float[12]`` of pycocotools' ``summarize``.
        precision: ``Float[T, R, K, A, M]`` of its ``accumulate`` (area ``"all"`` at ``A = 0``).
    """
    fixed = np.array(stats, dtype=np.float64)
    fixed[0] = mean_valid(precision[:, :, :, 0, -1])
    return fixed


def run_faster(
    gt: dict, dets: list[dict], iou_type: IouType, max_dets: list[int]
) -> tuple[np.ndarray, Any]:
    """``(stats, evaluator)`` of faster-coco-eval's ``COCOeval_faster``, as pycocotools'."""
    from faster_coco_eval import COCO, COCOeval_faster

    with _captured_stdout("faster_coco_eval"):
        coco_gt = COCO(gt, print_function=logger.debug)
        coco_dt = coco_gt.loadRes(dets)
        evaluator = COCOeval_faster(coco_gt, coco_dt, iouType=iou_type, print_function=logger.debug)
        evaluator.params.maxDets = list(max_dets)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats, evaluator


def _empty_results(coco_cls: type, gt: dict) -> Any:
    """A results object with no detections (pycocotools' loadRes cannot build one)."""
    res = coco_cls()
    res.dataset = {"images": list(gt["images"]), "categories": gt["categories"], "annotations": []}
    res.createIndex()
    return res


@contextlib.contextmanager
def _captured_stdout(library: str) -> Iterator[None]:
    """Swallows a library's prints and forwards them to this module's logger (DEBUG)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    text = buffer.getvalue().strip()
    if text:
        logger.debug("%s output:\n%s", library, text)
