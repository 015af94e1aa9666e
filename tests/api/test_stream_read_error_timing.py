"""A read error among the inputs of ``Predictor.stream`` says what the stream did: a file found
missing or empty at the call gives no result (the stream checks its files before the first
one); a file that cannot be decoded when its batch comes, or an iterator's item checked when
reached, stops the stream after the results before it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import detseg
from detseg.api import Predictor
from detseg.data.image_io import ImageNotFoundError, ImageReadError

AT_CALL = "stream checks the files it is given before its first result and gives no result"
REACHED = "stream stops at an image that cannot be read (after the results before it)"


@pytest.fixture(scope="module")
def detector(detector_checkpoint) -> Predictor:
    return detseg.load(detector_checkpoint, device="cpu")


@pytest.fixture
def photos(tmp_path) -> Path:
    for i in range(3):
        assert cv2.imwrite(str(tmp_path / f"p{i}.png"), np.full((32, 40, 3), 40 * i, np.uint8))
    return tmp_path


@pytest.mark.parametrize("problem", ["missing", "empty"])
def test_a_file_found_bad_at_the_call_gives_no_result(detector, photos, problem):
    bad = photos / "bad.png"
    if problem == "empty":
        bad.write_bytes(b"")
    with pytest.raises(ImageReadError) as caught:
        detector.stream([photos / "p0.png", bad])
    message = str(caught.value)
    assert message.startswith("item 1 of the 2 inputs: cannot read image")
    assert AT_CALL in message and REACHED not in message
    bad.unlink(missing_ok=True)
    (photos / "p1.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="^file 1 of the 3 images in folder") as caught:
        detector.stream(photos)
    assert AT_CALL in str(caught.value)


def test_a_file_that_cannot_be_decoded_stops_the_stream_after_the_results_before_it(
    detector, photos
):
    (photos / "p1.png").write_bytes(b"not a png")
    given = []
    with pytest.raises(ImageReadError) as caught:
        for result in detector.stream([photos / "p0.png", photos / "p1.png"]):
            given.append(result.path)
    assert given == [photos / "p0.png"]
    assert REACHED in str(caught.value) and AT_CALL not in str(caught.value)


def test_a_missing_file_of_an_iterator_stops_the_stream_when_reached(detector, photos):
    given = []
    paths = iter([photos / "p0.png", photos / "gone.png"])
    with pytest.raises(ImageNotFoundError) as caught:
        for result in detector.stream(paths):
            given.append(result.path)
    assert given == [photos / "p0.png"]
    assert REACHED in str(caught.value) and AT_CALL not in str(caught.value)
