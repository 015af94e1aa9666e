"""Arguments of the wrong type are one ValueError naming the argument, its value and type:
``batch_size`` / ``max_frames`` that are not integers (``2.5`` used to be taken, ``1.5`` frames
failed inside ``itertools.islice``), a ``score_thr`` that is not a number (a string, a bool)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import detseg

IMAGE = np.zeros((16, 16, 3), np.uint8)


@pytest.fixture(scope="module")
def detector(detector_checkpoint):
    return detseg.load(detector_checkpoint, "cpu")


@pytest.mark.parametrize(
    ("value", "shown"), [(2.5, "2.5 (float)"), ("2", "'2' (str)"), (True, "True (bool)")]
)
def test_a_count_that_is_not_an_integer_is_refused(detector, video, value, shown):
    with pytest.raises(
        ValueError, match=re.escape(f"batch_size must be an integer >= 1, got {shown}")
    ):
        detector.predict([IMAGE], batch_size=value)
    with pytest.raises(
        ValueError, match=re.escape(f"max_frames must be an integer >= 1, got {shown}")
    ):
        detector.stream(video, max_frames=value)


@pytest.mark.parametrize(("value", "shown"), [("0.5", "'0.5' (str)"), (True, "True (bool)")])
def test_a_score_threshold_that_is_not_a_number_is_refused(detector, value, shown):
    message = f"score_thr must be a number in [0, 1] or None, got {shown}"
    with pytest.raises(ValueError, match=re.escape(message)):
        detector.predict(IMAGE, score_thr=value)


def test_numpy_numbers_are_taken(detector):
    assert len(detector.predict([IMAGE], batch_size=np.int64(2), score_thr=np.float32(1.0))) == 1
