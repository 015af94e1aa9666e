"""The loader's check of a dataset's targets and a detector's check of its batch refuse the same
boxes and labels: both ask :mod:`detseg.target_values`, and only their messages differ. The
readers' box sanitising keeps no box they refuse, and ``ops``' ``invalid_box_mask`` (which may
not import them) flags the same boxes."""

from __future__ import annotations

import pytest
import torch

from detseg.data.sample_checks import TargetError, check_sample
from detseg.detection.validation import check_targets
from detseg.target_values import (
    boxes_are_n_by_4,
    degenerate_boxes,
    labels_match_boxes,
    labels_outside_1_to_k,
    nonfinite_boxes,
)

K = 3
NAN, INF = float("nan"), float("inf")


def _target(boxes, labels) -> dict:
    return {"boxes": torch.tensor(boxes, dtype=torch.float32), "labels": torch.tensor(labels)}


#: name -> a target on the CPU that breaks the contract (``K = 3``)
BROKEN = {
    "NaN box": _target([[1, 1, 4, 4], [0, 0, NAN, 3]], [1, 1]),
    "infinite box": _target([[1, 1, 4, 4], [0, 0, INF, 3]], [1, 1]),
    "empty box": _target([[5, 5, 5, 9]], [1]),
    "xywh box": _target([[12, 10, 8, 20]], [1]),
    "label 0": _target([[1, 1, 4, 4]], [0]),
    "negative label": _target([[1, 1, 4, 4]], [-1]),
    "label K + 1": _target([[1, 1, 4, 4], [2, 2, 6, 6]], [1, K + 1]),
    "float labels": {"boxes": torch.tensor([[1.0, 1, 4, 4]]), "labels": torch.tensor([1.0])},
    "integer boxes": {"boxes": torch.tensor([[1, 1, 4, 4]]), "labels": torch.tensor([1])},
    "one box as [4]": {"boxes": torch.tensor([1.0, 1, 4, 4]), "labels": torch.tensor([1])},
    "a label short": _target([[1, 1, 4, 4], [2, 2, 6, 6]], [1]),
}

GOOD = {
    "two boxes": _target([[1, 1, 4, 4], [0.5, 2, 6, 6.5]], [1, K]),
    "no box": {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_both_checks_refuse_a_broken_target(name):
    target = BROKEN[name]
    with pytest.raises(TargetError, match=r"^dataset item 7: target\['(boxes|labels)'\]"):
        check_sample((torch.rand(3, 8, 8), target), 7, object(), K)
    with pytest.raises((ValueError, TypeError), match=r"^image 0: "):
        check_targets([target], 1, num_classes=K)


@pytest.mark.parametrize("name", list(GOOD))
def test_both_checks_pass_a_target_of_the_contract(name):
    """Both checks pass it, and none of :mod:`detseg.target_values` flags a box or label."""
    boxes, labels = GOOD[name]["boxes"], GOOD[name]["labels"]
    assert boxes_are_n_by_4(boxes) and labels_match_boxes(labels, len(boxes))
    assert not nonfinite_boxes(boxes).any() and not degenerate_boxes(boxes).any()
    assert not labels_outside_1_to_k(labels, K).any()
    assert check_sample((torch.rand(3, 8, 8), GOOD[name]), 0, object(), K) is None
    assert check_targets([GOOD[name]], 1, num_classes=K) is None


def test_the_box_rows_flagged():
    boxes = torch.tensor(
        [[1, 1, 4, 4], [0, 0, NAN, 3], [5, 5, 5, 9], [12, 10, 8, 20], [0, 0, 2, -INF]]
    )
    assert nonfinite_boxes(boxes).tolist() == [False, True, False, False, True]
    # a NaN compares false: that row is nonfinite_boxes' only
    assert degenerate_boxes(boxes).tolist() == [False, False, True, True, True]


def test_the_labels_flagged():
    labels = torch.tensor([0, 1, 3, 4, -1])
    assert labels_outside_1_to_k(labels, 3).tolist() == [True, False, False, True, True]
    assert labels_outside_1_to_k(labels, None).tolist() == [True, False, False, False, True]


def test_the_layouts():
    assert boxes_are_n_by_4(torch.zeros(0, 4)) and not boxes_are_n_by_4(torch.zeros(4))
    assert not boxes_are_n_by_4(torch.zeros(2, 5))
    assert labels_match_boxes(torch.zeros(2), 2) and not labels_match_boxes(torch.zeros(1, 2), 2)


# --- the other places that decide whether a box is broken ---------------------------------

#: ``xyxy`` rows on the edges of the definition: NaN, infinities, zero and negative sides,
#: an ``xywh`` row, a box a hair wide, boxes partly and wholly outside a 10 x 10 image.
EDGE_ROWS = [
    [1, 1, 4, 4],
    [0, 0, NAN, 3],
    [NAN, NAN, NAN, NAN],
    [0, 0, INF, 3],
    [-INF, 0, 2, 3],
    [5, 5, 5, 9],
    [5, 5, 9, 5],
    [6, 1, 2, 4],
    [12, 10, 8, 20],
    [1, 1, 1 + 1e-6, 4],
    [-3, 2, 4, 12],
    [12, 2, 15, 6],
    [-5, -5, -1, 4],
    [0, 0, 10, 10],
]


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_invalid_box_mask_without_a_size_is_the_shared_definition(dtype):
    """``ops/`` may not import :mod:`detseg.target_values`: the two definitions are kept equal."""
    from detseg.ops import invalid_box_mask

    boxes = torch.tensor(EDGE_ROWS, dtype=dtype)
    shared = nonfinite_boxes(boxes) | degenerate_boxes(boxes)
    assert torch.equal(invalid_box_mask(boxes), shared)
    batch = torch.stack([boxes, boxes.flip(0)])  # [B, N, 4]: the same rows, image by image
    assert torch.equal(invalid_box_mask(batch), torch.stack([shared, shared.flip(0)]))


@pytest.mark.parametrize("min_size", [1.0, 1e-3, 0.0])
def test_the_readers_box_sanitising_keeps_no_box_the_checks_refuse(min_size):
    """``sanitize_boxes`` drops every row the shared predicates flag, and what it keeps (clipped to
    the image, ``float32``) passes them, for any ``min_size``: a box clipped to zero width is
    dropped, not handed to the loader's check as a broken target."""
    from detseg.data.target_checks import sanitize_boxes
    from detseg.ops import invalid_box_mask

    rows = torch.tensor(EDGE_ROWS, dtype=torch.float64)
    clipped, keep = sanitize_boxes(rows.numpy(), (10, 10), min_size=min_size)
    assert not (keep & (nonfinite_boxes(rows) | degenerate_boxes(rows)).numpy()).any()
    kept = torch.from_numpy(clipped[keep])
    assert kept.dtype == torch.float32 and len(kept) >= 3
    assert not (nonfinite_boxes(kept) | degenerate_boxes(kept)).any(), kept.tolist()
    assert not invalid_box_mask(kept, (10, 10)).any()  # and lie inside the image
