"""Two candidate boxes of one label with a bit-identical score that overlap above the NMS
threshold (RetinaNet, exported with ``--dynamic``): torchvision keeps one, onnxruntime the
other, and a lower box then survives in one runtime only. No list holds the score twice, so
the check used to fail a correct export ("does NOT match"); the two are now excused as a tie
(equal scores across the lists, or a tie among the model's candidates), and what the other
box's suppression let through with them. A real difference still fails."""

from __future__ import annotations

import torch

from detseg.export import Tolerance
from detseg.export.comparison import compare_detections

A1, A2 = [0.0, 0, 10, 10], [3.0, 0, 13, 10]  # IoU 0.54 > 0.5: each suppresses the other
BELOW = [6.0, 0, 16, 10]  # overlaps A2 (0.54), not A1 (0.25)
FAR = [50.0, 50, 60, 60]


def _list(boxes, scores, labels):
    return (
        torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        torch.tensor(scores, dtype=torch.float32),
        torch.tensor(labels, dtype=torch.int64),
    )


def _dict(boxes, scores, labels):
    b, s, lab = _list(boxes, scores, labels)
    return {"boxes": b, "scores": s, "labels": lab}


def _compare(exported, reference, candidates=None):
    return compare_detections(
        _list(*exported),
        _dict(*reference),
        (100, 100),
        Tolerance(),
        score_thresh=0.05,
        limit=100,
        nms_thresh=0.5,
        candidates=None if candidates is None else _dict(*candidates),
    )


# PyTorch keeps A2 (suppressing BELOW); onnxruntime keeps A1, so BELOW survives there
REFERENCE = ([A2, FAR], [0.4, 0.9], [1, 1])
EXPORTED = ([A1, BELOW, FAR], [0.4, 0.2, 0.9], [1, 1, 1])
CANDIDATES = ([A1, A2, BELOW, FAR], [0.4, 0.4, 0.2, 0.9], [1, 1, 1, 1])


def test_equal_scores_one_from_each_list_tie_among_candidates():
    comparison = _compare(EXPORTED, REFERENCE, CANDIDATES)
    assert comparison.unmatched == comparison.tied == 3, comparison
    assert comparison.passed


def test_without_candidates_an_equal_score_alone_is_no_tie():
    # a file that moved A2's box by 3 px keeps its score: without candidates, no excuse
    assert not _compare(([A1, FAR], [0.4, 0.9], [1, 1]), REFERENCE).passed


def test_a_tie_among_candidates_excuses_a_rounded_score():
    # the file's score of A1 differs in the last digits: still a tie among the candidates
    exported = ([A1, BELOW, FAR], [0.4 + 1e-6, 0.2, 0.9], [1, 1, 1])
    assert _compare(exported, REFERENCE, CANDIDATES).passed


def test_an_overlapping_box_of_another_score_still_fails():
    # A1 scores 0.3 in the file, not 0.4: no tie, a real difference
    exported = ([A1, BELOW, FAR], [0.3, 0.2, 0.9], [1, 1, 1])
    candidates = ([A1, A2, BELOW, FAR], [0.3, 0.4, 0.2, 0.9], [1, 1, 1, 1])
    assert not _compare(exported, REFERENCE, candidates).passed


def test_a_box_no_candidate_has_still_fails():
    exported = ([[1.0, 0, 11, 10], BELOW, FAR], [0.4, 0.2, 0.9], [1, 1, 1])
    assert not _compare(exported, REFERENCE, CANDIDATES).passed


def test_an_equal_score_of_another_label_still_fails():
    exported = ([A1, BELOW, FAR], [0.4, 0.2, 0.9], [2, 1, 1])
    assert not _compare(exported, REFERENCE, CANDIDATES).passed
