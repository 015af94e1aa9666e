"""How far the faster-coco-eval backend is from pycocotools, pinned: its accumulated precision
is pycocotools' everywhere but at the entries where pycocotools has ``1 - 2**-52`` and it has
``1.0`` (pycocotools divides ``tp / (tp + fp + eps)``, which is ``1 - 2**-52`` after a first
detection that is a true positive and ``tp / (tp + fp)`` exactly from the second on), so the
12 numbers differ by at most a few units in the 16th decimal; the ``"pycocotools"`` backend is
pycocotools' ``stats`` bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools_reference import pycocotools_eval

from detseg.benchmark.coco_backends import TOLERANCE
from detseg.evaluation.coco import run_coco_evaluation

ONE_BELOW = 1.0 - 2.0**-52  # pycocotools' precision after one true positive: 1 / (1 + eps)
KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def make_case(seed: int) -> tuple[dict, list[dict]]:
    """20 images of 3 categories, boxes of all sizes; jittered hits and random false positives
    with random scores (so the first detection of many a category is a hit, the next a miss)."""
    rng = np.random.default_rng(seed)
    images = [{"id": i, "width": 400, "height": 400} for i in range(1, 21)]
    anns: list[dict] = []
    dets: list[dict] = []
    for image in images:
        for _ in range(int(rng.integers(1, 6))):
            side = float(np.exp(rng.uniform(np.log(8), np.log(200))))
            x, y = rng.uniform(0, 400 - side, 2)
            cat = int(rng.integers(1, 4))
            box = [float(x), float(y), side, side * float(rng.uniform(0.6, 1.0))]
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": image["id"],
                    "category_id": cat,
                    "bbox": box,
                    "area": box[2] * box[3],
                    "iscrowd": 0,
                }
            )
            jitter = [v + float(rng.normal(0, 0.08 * side)) for v in box]
            dets.append(
                {
                    "image_id": image["id"],
                    "category_id": cat,
                    "bbox": jitter,
                    "score": float(rng.uniform()),
                }
            )
            fp = [float(v) for v in (*rng.uniform(0, 300, 2), *rng.uniform(5, 100, 2))]
            dets.append(
                {
                    "image_id": image["id"],
                    "category_id": cat,
                    "bbox": fp,
                    "score": float(rng.uniform()),
                }
            )
    categories = [{"id": c, "name": f"class{c}"} for c in (1, 2, 3)]
    return {"images": images, "annotations": anns, "categories": categories}, dets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_faster_differs_from_pycocotools_only_where_the_first_detection_is_a_hit(seed):
    gt, dets = make_case(seed)
    iou_type = "bbox"
    reference = pycocotools_eval(gt, dets, iou_type)
    slow, _, _ = run_coco_evaluation(gt, dets, iou_type, "pycocotools")
    fast, evaluator, _ = run_coco_evaluation(gt, dets, iou_type, "faster")

    assert [slow[k] for k in KEYS] == [float(v) for v in reference.stats]
    precision, expected = np.asarray(evaluator.eval["precision"]), reference.eval["precision"]
    differ = precision != expected
    assert differ.any()  # the case exercises the difference
    assert (precision[differ] == 1.0).all() and (expected[differ] == ONE_BELOW).all()
    np.testing.assert_array_equal(evaluator.eval["recall"], reference.eval["recall"])
    gaps = [abs(fast[k] - float(v)) for k, v in zip(KEYS, reference.stats, strict=True)]
    assert max(gaps) < 1e-15 and 1e-15 <= TOLERANCE
    # the numbers a report prints (up to 6 decimals) are pycocotools' digits
    assert [f"{fast[k]:.6f}" for k in KEYS] == [f"{v:.6f}" for v in reference.stats]
