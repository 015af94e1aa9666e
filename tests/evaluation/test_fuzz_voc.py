"""voc_evaluate and voc_evaluate_coco against a VOC devkit ``voc_eval`` written out in plain
Python, on generated cases.

The reference follows the devkit line by line (per class: detections by descending score,
each takes the gt of highest IoU in its image; a TP if that IoU is above the threshold and the
gt is free, a duplicate FP if taken, ignored if difficult, an FP below the threshold or in an
image without gt of the class; 11-point and all-point AP from the cumulative curves) with the
two differences the module documents: IoU without the devkit's ``+1`` and a stable sort of
tied scores. Half of the cases put boxes on an integer grid, so that IoUs of exactly the
threshold, degenerate (empty) boxes and equal IoUs with two gts occur.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from detseg.evaluation.voc import voc_evaluate
from detseg.evaluation.voc_coco import voc_evaluate_coco


def _iou(box: list[float], gt_boxes: list[list[float]]) -> list[float]:
    out = []
    for g in gt_boxes:
        iw = max(min(box[2], g[2]) - max(box[0], g[0]), 0.0)
        ih = max(min(box[3], g[3]) - max(box[1], g[1]), 0.0)
        inter = iw * ih
        union = (box[2] - box[0]) * (box[3] - box[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
        out.append(inter / union if union > 0 else 0.0)
    return out


def _devkit_ap(gts: list, dets: list, label: int, threshold: float, use_07: bool) -> float:
    """The devkit's voc_eval for one class (nan without a non-difficult gt)."""
    records, npos = [], 0
    for g in gts:
        keep = [i for i, lab in enumerate(g["labels"]) if lab == label]
        difficult = [bool(g["difficult"][i]) for i in keep]
        npos += sum(not d for d in difficult)
        records.append(
            {
                "bbox": [list(map(float, g["boxes"][i])) for i in keep],
                "difficult": difficult,
                "det": [False] * len(keep),
            }
        )
    items = [
        (image, float(score), list(map(float, box)))
        for image, d in enumerate(dets)
        for box, score, lab in zip(d["boxes"], d["scores"], d["labels"], strict=True)
        if lab == label
    ]
    items.sort(key=lambda item: -item[1])  # stable
    tp, fp = [], []
    for image, _, box in items:
        record, ovmax, jmax = records[image], -math.inf, -1
        if record["bbox"]:
            overlaps = _iou(box, record["bbox"])
            ovmax = max(overlaps)
            jmax = overlaps.index(ovmax)
        if ovmax > threshold:
            if record["difficult"][jmax]:
                tp.append(0), fp.append(0)
            elif not record["det"][jmax]:
                tp.append(1), fp.append(0)
                record["det"][jmax] = True
            else:
                tp.append(0), fp.append(1)
        else:
            tp.append(0), fp.append(1)
    if npos == 0:
        return math.nan
    tp_cum, fp_cum = np.cumsum(tp, dtype=float), np.cumsum(fp, dtype=float)
    rec = tp_cum / npos
    prec = tp_cum / np.maximum(tp_cum + fp_cum, np.finfo(np.float64).eps)
    if use_07:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):  # voc_eval.py's thresholds
            above = rec >= t
            ap += (float(np.max(prec[above])) if above.any() else 0.0) / 11.0
        return ap
    mrec, mpre = [0.0, *rec, 1.0], [0.0, *prec, 0.0]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    return sum(
        (mrec[i + 1] - mrec[i]) * mpre[i + 1]
        for i in range(len(mrec) - 1)
        if mrec[i + 1] != mrec[i]
    )


def _box(rng: np.random.Generator, grid: bool) -> list[float]:
    if grid:
        x, y = rng.integers(0, 20, 2)
        w, h = rng.integers(0 if rng.random() < 0.05 else 1, 12, 2)
        return [float(x), float(y), float(x + w), float(y + h)]
    x, y = rng.uniform(0, 80, 2)
    w, h = rng.uniform(1, 30, 2)
    return [float(x), float(y), float(x + w), float(y + h)]


def _case(seed: int) -> tuple[list[dict], list[dict]]:
    """1-5 images of 0-11 gts over up to 4 labels (20% difficult); 0-2 jittered detections
    per gt (15% with another label, possibly one without gt), 0-5 random ones; half of the
    cases with scores rounded to one decimal (ties)."""
    rng = np.random.default_rng(seed)
    grid, ties = rng.random() < 0.5, rng.random() < 0.5
    num_labels = int(rng.integers(1, 5))
    gts, dets = [], []
    for _ in range(int(rng.integers(1, 6))):
        boxes = [_box(rng, grid) for _ in range(int(rng.integers(0, 12)))]
        labels = [int(rng.integers(1, num_labels + 1)) for _ in boxes]
        gts.append(
            {
                "boxes": boxes,
                "labels": labels,
                "difficult": [bool(rng.random() < 0.2) for _ in boxes],
            }
        )
        det_boxes, det_labels = [], []
        for box, label in zip(boxes, labels, strict=True):
            for _ in range(int(rng.integers(0, 3))):
                jitter = rng.integers(-2, 3, 4) if grid else rng.normal(0, 2, 4)
                b = [float(v) for v in np.array(box) + jitter]
                det_boxes.append([b[0], b[1], max(b[2], b[0]), max(b[3], b[1])])
                wrong = rng.random() < 0.15
                det_labels.append(int(rng.integers(1, num_labels + 2)) if wrong else label)
        for _ in range(int(rng.integers(0, 6))):
            det_boxes.append(_box(rng, grid))
            det_labels.append(int(rng.integers(1, num_labels + 2)))
        scores = [
            round(float(rng.uniform()), 1) if ties else float(rng.uniform()) for _ in det_boxes
        ]
        dets.append(
            {
                "boxes": np.asarray(det_boxes, float).reshape(-1, 4),
                "scores": np.asarray(scores),
                "labels": np.asarray(det_labels, int),
            }
        )
    return gts, dets


def _to_coco(gts: list[dict], dets: list[dict], labels: list[int]) -> tuple[dict, list[dict]]:
    """The same case as a COCO gt (difficult objects flagged ``difficult`` or ``iscrowd``,
    alternately) and COCO results."""
    images = [{"id": i + 1, "width": 200, "height": 200} for i in range(len(gts))]
    anns = []
    for i, g in enumerate(gts):
        for b, label, difficult in zip(g["boxes"], g["labels"], g["difficult"], strict=True):
            ann = {
                "id": len(anns) + 1,
                "image_id": i + 1,
                "category_id": label,
                "area": 1.0,
                "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                "iscrowd": 0,
            }
            if difficult:
                ann["difficult" if len(anns) % 2 else "iscrowd"] = 1
            anns.append(ann)
    categories = [{"id": c, "name": f"c{c}"} for c in range(1, max(labels, default=1) + 1)]
    results = [
        {
            "image_id": i + 1,
            "category_id": int(label),
            "score": float(score),
            "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])],
        }
        for i, d in enumerate(dets)
        for b, score, label in zip(d["boxes"], d["scores"], d["labels"], strict=True)
    ]
    return {"images": images, "annotations": anns, "categories": categories}, results


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12


@pytest.mark.parametrize("block", range(4))
def test_voc_ap_matches_the_devkit_rules(block: int) -> None:
    for seed in range(20 * block, 20 * block + 20):
        gts, dets = _case(seed)
        threshold = 0.5 if seed % 4 else (0.3, 0.7)[seed // 4 % 2]
        labels = sorted(
            {lab for g in gts for lab in g["labels"]}
            | {int(lab) for d in dets for lab in d["labels"]}
        )
        for use_07 in (False, True):
            expected = {lab: _devkit_ap(gts, dets, lab, threshold, use_07) for lab in labels}
            result = voc_evaluate(gts, dets, threshold, use_07)
            assert sorted(result["AP"]) == labels, seed
            for label in labels:
                assert _same(result["AP"][label], expected[label]), (seed, use_07, label)
            defined = [v for v in expected.values() if not math.isnan(v)]
            assert _same(result["mAP"], float(np.mean(defined)) if defined else math.nan), seed
            if threshold != 0.5:
                continue
            gt, results = _to_coco(gts, dets, labels)
            coco = voc_evaluate_coco(gt, results, "voc07" if use_07 else "voc12")
            for cat in gt["categories"]:
                ap = expected.get(cat["id"], math.nan)
                assert _same(coco["per_class"][cat["name"]], -1.0 if math.isnan(ap) else ap)
            in_gt = [expected[c["id"]] for c in gt["categories"] if c["id"] in expected]
            valid = [v for v in in_gt if not math.isnan(v)]
            assert _same(coco["mAP"], float(np.mean(valid)) if valid else -1.0), seed
