"""Category ids given as a list of 0-d tensors (``list(tensor)`` gives one) are whole numbers:
``to_coco`` and ``predictions_to_coco_results`` take them, as they did before the ids were
checked; a fractional 0-d tensor is still refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.argument_checks import whole_ids
from detseg.evaluation.coco_format import predictions_to_coco_results

PREDICTION = {
    "boxes": torch.tensor([[0.0, 0.0, 5.0, 5.0], [1.0, 1.0, 4.0, 6.0]]),
    "scores": torch.tensor([0.9, 0.5]),
    "labels": torch.tensor([2, 1]),
}


def test_a_list_of_zero_dimensional_tensors_is_taken():
    assert whole_ids(list(torch.tensor([3, 7]))) == [3, 7]
    assert whole_ids([torch.tensor(3.0), np.int64(7)]) == [3, 7]


def test_coco_records_of_tensor_item_ids():
    records = predictions_to_coco_results([1], [PREDICTION], list(torch.tensor([3, 7])))
    assert [r["category_id"] for r in records] == [7, 3]
    assert all(type(r["category_id"]) is int for r in records)


def test_a_fractional_zero_dimensional_tensor_is_still_refused():
    with pytest.raises(ValueError, match=r"cat_ids\[1\] is 1.5; category ids are whole numbers"):
        whole_ids([torch.tensor(3), torch.tensor(1.5)], "cat_ids")
