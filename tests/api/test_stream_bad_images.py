"""Bad images given to ``Predictor.stream`` are one error naming the item, as ``predict``
raises it: a missing file among named files before the first result; a file that cannot be
decoded, and the pixels of an array or of a generator's item, when the item's batch comes
(the results before it having been given); a camera or a stream URL among images, a folder
without images, an item of another kind before the first result."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

import detseg
from detseg.api import Predictor
from detseg.data.image_io import ImageNotFoundError, ImageReadError

GOOD = np.full((32, 32, 3), 90, np.uint8)


@pytest.fixture(scope="module")
def detector(detector_checkpoint) -> Predictor:
    return detseg.load(detector_checkpoint, device="cpu")


@pytest.fixture
def photos(tmp_path) -> Path:
    """A folder of four PNGs, ``p0.png`` .. ``p3.png``."""
    for i in range(4):
        assert cv2.imwrite(str(tmp_path / f"p{i}.png"), np.full((32, 40, 3), 40 * i, np.uint8))
    return tmp_path


def test_a_missing_file_is_named_before_the_first_result(detector, photos):
    files = [photos / "p0.png", photos / "p1.png", photos / "gone.png"]
    message = r"^item 2 of the 3 inputs: cannot read image .*gone\.png"
    with pytest.raises(ImageNotFoundError, match=message):
        detector.predict(files)
    at_call = r".*; stream checks the files it is given before its first result and gives no"
    with pytest.raises(ImageNotFoundError, match=message + at_call):
        detector.stream(files)  # at the call, nothing iterated yet
    with pytest.raises(ImageNotFoundError, match=r"cannot read image .*gone\.png"):
        detector.stream(photos / "gone.png")


def test_a_corrupt_file_in_a_folder_stops_the_stream_when_its_batch_comes(detector, photos):
    (photos / "p2.png").write_bytes(b"not a png")
    with pytest.raises(ImageReadError, match=r"^file 2 of the 4 matching .*: cannot read image"):
        detector.predict(str(photos / "*.png"))  # predict gives no result at all
    given = []
    stream = detector.stream(photos, batch_size=2)
    with pytest.raises(ImageReadError) as caught:
        for result in stream:
            given.append(result.path.name)
    assert given == ["p0.png", "p1.png"]  # the batch before it
    message = str(caught.value)
    assert message.startswith(f"file 2 of the 4 images in folder {photos}: cannot read image")
    assert "stream stops at an image that cannot be read" in message
    assert "tools/infer.py" in message and caught.value.path == photos / "p2.png"
    given.clear()
    with pytest.raises(ImageReadError, match=r"^file 2 of the 4 images"):
        for result in detector.stream(photos, batch_size=4):  # p2 cuts its batch short
            given.append(result.path.name)
    assert given == ["p0.png", "p1.png"]  # the images of its batch before it


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (np.zeros((8, 8, 5), np.uint8), "numpy image of shape (8, 8, 5) is not [H, W, 3]"),
        (np.zeros((8, 8, 3), np.int32), "image of shape (8, 8, 3) has dtype int32"),
        (np.full((8, 8, 3), 7.0, np.float32), "float image of shape (8, 8, 3) has values in 7..7"),
    ],
    ids=["shape", "dtype", "values"],
)
def test_a_bad_array_is_named_when_its_batch_comes(detector, bad, expected):
    in_list = f"item 2 of the input list: {expected}"
    with pytest.raises(ValueError, match=re.escape(in_list)):
        detector.predict([GOOD, GOOD, bad])
    stream = detector.stream([GOOD, GOOD, bad, GOOD], batch_size=2)
    assert len([next(stream), next(stream)]) == 2
    with pytest.raises(ValueError, match=re.escape(in_list)):
        next(stream)
    generated = detector.stream(image for image in [GOOD, bad])
    assert next(generated).image.shape == (32, 32, 3)
    with pytest.raises(ValueError, match=re.escape(f"item 1 of the input iterator: {expected}")):
        next(generated)


def test_a_camera_or_a_url_among_images_is_refused_before_the_first_result(detector, photos):
    for item in ("rtsp://camera.local/live", 0):
        with pytest.raises(ValueError, match=r"^item 1 of the input list: .* among other inputs"):
            detector.stream([photos / "p0.png", item])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ([GOOD, 1.5], "item 1 of the input list: cannot predict on a builtins.float; accepted:"),
        ([[GOOD]], "item 0 of the input list: a list inside the input list; accepted:"),
        ({"a": GOOD}, "cannot predict on a builtins.dict; accepted:"),
    ],
    ids=["float item", "nested list", "dict"],
)
def test_an_input_of_another_kind_is_refused_before_the_first_result(detector, source, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        detector.stream(source)


def test_a_folder_or_pattern_without_images_is_one_error(detector, tmp_path):
    (tmp_path / "notes.txt").write_text("no image")
    (tmp_path / "sub").mkdir()
    assert cv2.imwrite(str(tmp_path / "sub" / "a.png"), GOOD)
    with pytest.raises(ValueError, match=re.escape(f"no image in folder {tmp_path} (image files")):
        detector.stream(tmp_path)
    with pytest.raises(ValueError, match=r"no image or video file matches the pattern .*\*\.jpg"):
        detector.stream(str(tmp_path / "*.jpg"))
