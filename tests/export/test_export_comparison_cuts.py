"""Which unpaired detections the export check excuses: only those at a cut, the score threshold
or the detection limit (docs/evaluation.md). The lowest-scoring detection of a list that no
limit cut (one detection, say) is a mismatch: before, any list's lowest was excused, so an
export whose images had one detection each passed with every box wrong."""

from __future__ import annotations

import torch

from detseg.export import Tolerance, export_model, verify_export
from detseg.export.comparison import compare_detections


def _detections(boxes, scores, labels):
    return (
        torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        torch.tensor(scores, dtype=torch.float32),
        torch.tensor(labels, dtype=torch.int64),
    )


def _reference(boxes, scores, labels):
    boxes_t, scores_t, labels_t = _detections(boxes, scores, labels)
    return {"boxes": boxes_t, "scores": scores_t, "labels": labels_t}


def test_a_single_wrong_detection_fails():
    exported = _detections([[0, 0, 10, 10]], [0.9], [1])
    reference = _reference([[40, 40, 60, 60]], [0.9], [1])
    comparison = compare_detections(
        exported, reference, (100, 100), Tolerance(), score_thresh=0.5, limit=100
    )
    assert comparison.unmatched == 2 and comparison.at_cut == 0 and not comparison.passed


def test_a_missing_lowest_detection_fails_below_the_limit():
    boxes, scores = [[0, 0, 10, 10], [40, 40, 60, 60]], [0.9, 0.7]
    exported = _detections(boxes[:1], scores[:1], [1])
    comparison = compare_detections(
        exported, _reference(boxes, scores, [1, 2]), (100, 100), Tolerance(), 0.5, limit=100
    )
    assert not comparison.passed


def test_the_cut_at_the_detection_limit_is_excused():
    # two runtimes keep different ones of two near-equal scores at the limit (2 detections)
    exported = _detections([[0, 0, 10, 10], [40, 40, 60, 60]], [0.9, 0.7], [1, 2])
    reference = _reference([[0, 0, 10, 10], [70, 70, 80, 80]], [0.9, 0.7000001], [1, 3])
    comparison = compare_detections(exported, reference, (100, 100), Tolerance(), 0.5, limit=2)
    assert comparison.unmatched == comparison.at_cut == 2 and comparison.passed
    below = compare_detections(exported, reference, (100, 100), Tolerance(), 0.5, limit=3)
    assert not below.passed


def test_a_detection_at_the_score_threshold_is_excused():
    # scored just above the threshold by one runtime, just below by the other
    exported = _detections([[0, 0, 10, 10], [40, 40, 60, 60]], [0.9, 0.5000001], [1, 2])
    reference = _reference([[0, 0, 10, 10]], [0.9], [1])
    comparison = compare_detections(exported, reference, (100, 100), Tolerance(), 0.5, 100)
    assert comparison.unmatched == comparison.at_cut == 1 and comparison.passed


def test_a_broken_export_with_one_detection_per_image_fails(tiny_model, tmp_path):
    model = tiny_model("yolov3")
    images = [torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(0))]
    with torch.no_grad():
        best, second = model.predict([images[0][0]])[0]["scores"][:2].tolist()
    # one detection, not at the threshold cut (more than the score tolerance above it)
    threshold = second + 0.25 * (best - second)
    assert best > threshold + Tolerance().score
    result = export_model(model, tmp_path / "y.pt", format="torchscript", score_thresh=threshold)
    assert verify_export(result, images=images).passed
    with torch.no_grad():  # the x offsets of every level's boxes: they move by up to 4 px
        for predictor in result.model.head.predictors:
            predictor.bias[0::8].add_(1.0)
        assert len(result.model.predict([images[0][0]])[0]["scores"]) == 1
    report = verify_export(result, images=images)
    assert not report.passed, "\n".join(report.lines())


def test_a_short_exported_list_is_not_excused_at_the_limit():
    # the model keeps 2 (its limit); a file with 1, or none, cut nothing at the limit, so the
    # model's lowest it lacks is a mismatch (before: excused whenever the model's list was full)
    boxes, scores, labels = [[0, 0, 10, 10], [40, 40, 60, 60]], [0.9, 0.9], [1, 2]
    reference = _reference(boxes, scores, labels)
    for count in (1, 0):
        exported = _detections(boxes[:count], scores[:count], labels[:count])
        comparison = compare_detections(exported, reference, (100, 100), Tolerance(), 0.5, 2)
        assert comparison.at_cut == 0 and not comparison.passed
