"""A wrong argument is named in one short line: an array or a tensor (whose ``repr`` spans lines)
by its type and shape, anything else by its type and its ``repr`` on one line, cut short."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from detseg.brief_values import brief
from detseg.export.export_source import check_source
from detseg.visualize import draw_detections
from detseg.visualize.drawing_inputs import name_list


def test_arrays_and_tensors_are_their_type_and_shape():
    assert brief(np.zeros((8, 8, 3))) == "ndarray of shape (8, 8, 3)"
    assert brief(torch.zeros(3, 8, 8)) == "Tensor of shape (3, 8, 8)"


def test_a_nested_tensor_without_a_shape_is_its_type():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nested = torch.nested.nested_tensor([torch.zeros(3, 8, 8), torch.zeros(3, 6, 6)])
    assert brief(nested) == "Tensor"


def test_other_values_are_one_line_cut_at_the_width():
    assert brief(None) == "NoneType None"
    assert brief("abc") == "str 'abc'"
    long = brief(list(range(100)), 20)
    assert long == "list [0, 1, 2, 3, 4, 5..." and len(long) == len("list ") + 20
    assert "\n" not in brief({"text": "two\nlines"})


@pytest.mark.parametrize(
    "fails",
    [
        lambda: check_source(np.zeros((8, 8, 3))),
        lambda: name_list({f"class {k}": k for k in range(40)}, "draw"),
        lambda: draw_detections(
            np.zeros((8, 8, 3), np.uint8), np.zeros((40, 4)), np.array(["car"] * 40), None, ["car"]
        ),
    ],
    ids=["export_source", "class_names", "labels"],
)
def test_an_array_given_wrongly_is_named_in_one_line(fails):
    with pytest.raises((TypeError, ValueError)) as caught:
        fails()
    message = str(caught.value)
    assert "\n" not in message and ("of shape (" in message or "dict {" in message), message
