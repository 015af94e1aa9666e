"""Category ids are read in label order (label ``k`` -> ``ids[k - 1]``), so only a list, a
tuple or a 1-D array or tensor is taken: a set or a generator has no order of its own
(``{5, 3}`` iterates as ``3, 5``) and is refused in the one line of any other non-list."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.argument_checks import whole_ids
from detseg.export import ExportError
from detseg.export.export_settings import checked_category_ids

NOT_A_LIST = "category_ids must be a list of whole numbers, one category id per class"


@pytest.mark.parametrize(
    "ids",
    [{5, 3}, frozenset({5, 3}), (i for i in (5, 3)), {5: "a", 3: "b"}.keys(), np.array(5)],
    ids=["set", "frozenset", "generator", "dict-keys", "0-d-array"],
)
def test_ids_without_an_order_are_refused(ids):
    with pytest.raises(ValueError) as caught:
        whole_ids(ids)
    assert str(caught.value).startswith(NOT_A_LIST)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "ids",
    [[5, 3], (5, 3), np.array([5, 3]), torch.tensor([5.0, 3.0])],
    ids=["list", "tuple", "array", "tensor"],
)
def test_ordered_ids_keep_their_order(ids):
    assert whole_ids(ids) == [5, 3]


def test_a_two_dimensional_array_is_refused_at_its_first_row():
    with pytest.raises(ValueError, match=r"^category_ids\[0\] is \[5, 3\]; category ids are"):
        whole_ids(np.array([[5, 3]]))


def test_an_export_refuses_a_set_of_ids():
    with pytest.raises(ExportError) as caught:
        checked_category_ids({5, 3}, 2, "category_ids")
    assert str(caught.value) == f"{NOT_A_LIST} (label k -> category_ids[k - 1]), got {{3, 5}}"
