"""The messages about an array's pixels (dtype, values, size) name the shape it was given as,
not the ``[H, W, 3]`` it is made: a gray ``(48, 64)`` array is ``(48, 64)``, as a tensor's
messages name its own shape."""

from __future__ import annotations

import re

import numpy as np
import pytest

from detseg.api.array_images import from_array


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.zeros((48, 64), np.int32), "image of shape (48, 64) has dtype int32"),
        (np.full((48, 64), 7.0, np.float32), "float image of shape (48, 64) has values in 7..7"),
        (np.full((48, 64, 1), np.nan, np.float32), "float image of shape (48, 64, 1) has "),
        (np.full((8, 8, 4), 2.0, np.float32), "float image of shape (8, 8, 4) has values in 2..2"),
        (np.zeros((0, 5), np.uint8), "numpy image of shape (0, 5) is empty (5x0 pixels)"),
    ],
    ids=["gray-dtype", "gray-values", "gray-1-channel-nan", "rgba-values", "gray-empty"],
)
def test_a_message_names_the_shape_given(array, expected):
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}"):
        from_array(array, False, "")
