"""The greedy matching of the detection confusion matrix, against a plain numpy version of it.

The reference below is the rule of :mod:`detseg.evaluation.detection_confusion` written as one
numpy pass over all gts per detection; the module walks the few overlapping gts of each
detection instead. Both must give the same (row, column) pairs, in the same order, on random
images with ties, crowd regions, duplicate boxes and any threshold.
"""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from detseg.evaluation.detection_confusion import _outcomes_per_image


def _reference(gts: list, dets: list, iou_threshold: float, background: int) -> np.ndarray:
    gt_boxes = np.asarray([g[0] for g in gts], dtype=np.float64).reshape(-1, 4)
    gt_classes = np.asarray([g[1] for g in gts], dtype=np.int64)
    crowd = np.asarray([g[2] for g in gts], dtype=bool)
    dets = sorted(dets, key=lambda d: -d[2])
    det_boxes = np.asarray([d[0] for d in dets], dtype=np.float64).reshape(-1, 4)
    iou = np.zeros((len(dets), len(gts)))
    if len(dets) and len(gts):
        iou = np.asarray(mask_utils.iou(det_boxes, gt_boxes, crowd.astype(np.uint8).tolist()))
    matched = np.zeros(len(gts), dtype=bool)
    pairs = []
    for d, (_, det_class, _) in enumerate(dets):
        overlaps = iou[d] >= iou_threshold
        free = overlaps & ~matched & ~crowd
        same_class = free & (gt_classes == det_class)
        candidates = np.flatnonzero(same_class if same_class.any() else free)
        if candidates.size:
            g = candidates[np.argmax(iou[d, candidates])]
            matched[g] = True
            pairs.append((gt_classes[g], det_class))
        elif not (overlaps & crowd).any():
            pairs.append((background, det_class))
    pairs.extend((gt_classes[g], background) for g in np.flatnonzero(~matched & ~crowd))
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def _random_image(rng: np.random.Generator, num_classes: int) -> tuple[list, list]:
    """Gts ``(xywh, class, iscrowd)`` and detections ``(xywh, class, score)`` of one image:
    boxes on a coarse grid (equal IoUs and copies of gt boxes), some scores tied."""
    gts = []
    for _ in range(rng.integers(0, 9)):
        box = [float(v) for v in rng.integers(0, 6, 2) * 10] + [
            float(v) for v in rng.integers(1, 5, 2) * 10
        ]
        gts.append((box, int(rng.integers(num_classes)), bool(rng.random() < 0.15)))
    dets = []
    for _ in range(rng.integers(0, 25)):
        if gts and rng.random() < 0.6:
            box = list(gts[rng.integers(len(gts))][0])
            box = [v + float(rng.integers(-3, 4)) * 2 for v in box[:2]] + box[2:]
        else:
            box = [float(v) for v in rng.integers(0, 6, 2) * 10] + [
                float(v) for v in rng.integers(1, 5, 2) * 10
            ]
        score = float(rng.integers(0, 5)) / 4  # ties
        dets.append((box, int(rng.integers(num_classes)), score))
    return gts, dets


@pytest.mark.parametrize("iou_threshold", [0.0, 0.3, 0.5, 0.75, 1.0])
def test_matching_pairs_equal_the_reference(iou_threshold):
    rng = np.random.default_rng(round(iou_threshold * 100))
    for _ in range(300):
        num_classes = int(rng.integers(1, 4))
        gts, dets = _random_image(rng, num_classes)
        got = _outcomes_per_image(gts, dets, iou_threshold, num_classes)
        expected = _reference(gts, dets, iou_threshold, num_classes)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected)
