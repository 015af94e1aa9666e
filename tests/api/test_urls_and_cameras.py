"""A URL or a camera index given to ``predict`` (as Ultralytics' ``predict`` takes them) is one
error saying what ``predict`` reads and where those go, not a missing file of a mangled name
(``https:/host/...``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from detseg.api.inputs import as_images


@pytest.mark.parametrize(
    "url", ["https://example.com/images/bus.jpg", "https://example.com/a.jpg?size=2", "rtsp://h/s"]
)
def test_a_url_says_predict_downloads_nothing(url):
    message = f"{url} is a URL; predict reads image files and downloads nothing: download the"
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        as_images(url)
    with pytest.raises(ValueError, match=re.escape(f"predictor.stream({url!r})")):
        as_images(url)


@pytest.mark.parametrize(
    ("camera", "message"),
    [
        (0, "cannot predict on a builtins.int (0: a camera index goes to predictor.stream(0)"),
        ("1", "'1' names no file; a camera index goes to predictor.stream('1')"),
    ],
)
def test_a_camera_index_says_to_stream_it(camera, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        as_images(camera)
    with pytest.raises(ValueError, match=re.escape(f"item 1 of the input list: {message}")):
        as_images([np.zeros((4, 4, 3), np.uint8), camera])
