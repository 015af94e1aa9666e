"""The COCO backends are timed fairly: one untimed warm-up each on a few images (imports and
first-use costs), then timed calls in turn, the order turning every round, the median kept."""

from __future__ import annotations

import pytest

from detseg.benchmark import coco_backends
from detseg.benchmark.synthetic_coco import synthetic_coco


def test_warm_up_then_turns_then_median(monkeypatch):
    gt, dets = synthetic_coco(12, 3, 2, "bbox", 0)
    calls: list[tuple[str, int]] = []
    real = coco_backends.coco_evaluate

    def recorded(gt, detections, iou_type, backend):
        calls.append((backend, len(gt["images"])))
        return real(gt, detections, iou_type=iou_type, backend=backend)

    monkeypatch.setattr(coco_backends, "coco_evaluate", recorded)
    ticks = iter(range(100))
    monkeypatch.setattr(coco_backends.time, "perf_counter", lambda: float(next(ticks)) ** 2)
    result = coco_backends.compare_coco_backends(gt, dets, repeats=3, progress=False)
    assert calls == [
        ("faster", 5),  # the warm-ups, on the first 5 images
        ("pycocotools", 5),
        ("faster", 12),
        ("pycocotools", 12),
        ("pycocotools", 12),
        ("faster", 12),
        ("faster", 12),
        ("pycocotools", 12),
    ]
    # perf_counter gives 0, 1, 4, 9, ...: the timed calls took 1, 5, 9, 13, 17, 21 s in turn,
    # faster-coco-eval's 1, 13, 17 and pycocotools' 5, 9, 21
    assert result.seconds == {"faster": 13.0, "pycocotools": 9.0}
    assert result.agree


def test_repeats_below_one_are_refused():
    gt, dets = synthetic_coco(2, 1, 1, "bbox", 0)
    with pytest.raises(ValueError, match="repeats must be at least 1, got 0"):
        coco_backends.compare_coco_backends(gt, dets, repeats=0)
