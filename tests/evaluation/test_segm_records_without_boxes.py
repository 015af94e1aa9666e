"""Mask AP of a predictions file whose records have a ``segmentation`` and no ``bbox``: the
``--gt/--pred`` evaluation gives pycocotools' numbers for those very files, where each
detection's area (small / medium / large) is that of its mask, not that of its mask's box."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools_reference import pycocotools_eval

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
SIZE = 200


def _rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


def _square(x: int, y: int, side: int) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[y : y + side, x : x + side] = 1
    return mask


def _ell() -> np.ndarray:
    """An L of two 4 px wide bars: 304 px (small), its box 40 x 40 = 1600 px (medium)."""
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[10:50, 150:154] = 1
    mask[46:50, 150:190] = 1
    return mask


def _case() -> tuple[dict, list[dict]]:
    """A small and a medium object, each found exactly (score 0.5), and an L-shaped false
    positive scored above both: with mask areas it costs APs, with box areas APm."""
    small, medium = _square(10, 10, 20), _square(100, 100, 50)
    annotations = [
        {
            "id": k + 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": bbox,
            "area": float(mask.sum()),
            "iscrowd": 0,
            "segmentation": _rle(mask),
        }
        for k, (mask, bbox) in enumerate([(small, [10, 10, 20, 20]), (medium, [100, 100, 50, 50])])
    ]
    gt = {
        "images": [{"id": 1, "file_name": "a.png", "width": SIZE, "height": SIZE}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "thing"}],
    }
    records = [
        {"image_id": 1, "category_id": 1, "score": score, "segmentation": _rle(mask)}
        for mask, score in ((_ell(), 0.9), (small, 0.5), (medium, 0.5))
    ]
    return gt, records


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_mask_numbers_are_those_of_pycocotools_on_the_same_files(tmp_path, backend):
    gt, records = _case()
    gt_path, pred_path = tmp_path / "gt.json", tmp_path / "pred.json"
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps(records))

    metrics = evaluate_prediction_files(
        gt_path, pred_path, out=tmp_path / "out", iou_type="segm", backend=backend
    ).metrics

    reference = pycocotools_eval(gt, records, "segm").stats
    assert [metrics[f"segm_{k}"] for k in KEYS] == pytest.approx(list(reference), abs=1e-12)
    # by hand: the false positive is small (304 px), so only the small object's AP drops
    assert metrics["segm_APs"] == pytest.approx(0.5)
    assert metrics["segm_APm"] == pytest.approx(1.0)
    # the box numbers score the mask's box, 40 x 40: a medium false positive
    boxed = [
        {**r, "bbox": [float(v) for v in mask_utils.toBbox(r["segmentation"])]} for r in records
    ]
    box_reference = pycocotools_eval(gt, boxed, "bbox").stats
    assert [metrics[k] for k in KEYS] == pytest.approx(list(box_reference), abs=1e-12)
    assert metrics["APs"] == pytest.approx(1.0) and metrics["APm"] == pytest.approx(0.5)
