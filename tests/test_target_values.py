"""The loader's check of a dataset's targets and a detector's check of its batch refuse the same
boxes and labels: both ask :mod:`detseg.target_values`, and only their messages differ."""

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
    check_sample((torch.rand(3, 8, 8), GOOD[name]), 0, object(), K)
    check_targets([GOOD[name]], 1, num_classes=K)


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
