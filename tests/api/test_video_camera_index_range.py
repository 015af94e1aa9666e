"""A camera index OpenCV cannot take is one ValueError saying to give 0, 1, ...: ``-1`` is
OpenCV's "any camera", and with none connected its capture crashes the whole Python process (a
segmentation fault); an index beyond a C ``int`` (digits naming no file, given to
``tools/infer.py``) makes ``cv2.VideoCapture`` fail with its overload list. Neither reaches it."""

from __future__ import annotations

import pytest

from detseg.api import VideoSource


@pytest.mark.parametrize("index", [-1, -3])
def test_a_negative_camera_index_is_refused_with_one_line(index):
    with pytest.raises(ValueError, match=rf"camera index {index} is negative; give 0") as err:
        VideoSource(index)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("index", [2**31, "99999999999"])
def test_a_camera_index_beyond_a_c_int_is_refused_with_one_line(index):
    with pytest.raises(ValueError, match=rf"camera index {index} is too large") as err:
        VideoSource(index)
    assert "\n" not in str(err.value) and "no file of that name" in str(err.value)
