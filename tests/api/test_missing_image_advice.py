"""A missing image given to ``predict`` or ``stream`` says what to do, as a missing video and
the command line's missing input do: ``check the path``, or the file of its stem with another
suffix that is there."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

import detseg
from detseg.api import Predictor
from detseg.data.image_io import ImageNotFoundError


@pytest.fixture(scope="module")
def detector(detector_checkpoint) -> Predictor:
    return detseg.load(detector_checkpoint, device="cpu")


def test_a_missing_image_says_check_the_path(detector, tmp_path):
    missing = tmp_path / "nope.png"
    expected = f"cannot read image {missing}: FileNotFoundError: No such file or directory; "
    expected += "check the path"
    with pytest.raises(ImageNotFoundError, match=f"^{re.escape(expected)}$"):
        detector.predict(missing)
    with pytest.raises(ImageNotFoundError, match=f"^{re.escape(expected)}$"):
        detector.stream(str(missing))
    with pytest.raises(ImageNotFoundError, match=re.escape(f"{expected}; predict returns")):
        detector.predict([missing])


def test_a_missing_image_names_its_stem_with_another_suffix(detector, tmp_path):
    assert cv2.imwrite(str(tmp_path / "a.jpg"), np.full((16, 16, 3), 90, np.uint8))
    with pytest.raises(
        ImageNotFoundError, match=r"No such file or directory; a\.jpg is there: fix the name$"
    ):
        detector.predict(tmp_path / "a.png")
