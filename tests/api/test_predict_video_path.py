"""``Predictor.predict`` given a video file's path (alone, in a list, or matched by a glob
pattern) says that it is a video and that ``stream`` takes it, instead of calling it an image
OpenCV cannot decode."""

from __future__ import annotations

import re

import pytest

import detseg


@pytest.fixture(scope="module")
def predictor(detector_checkpoint):
    return detseg.load(detector_checkpoint, device="cpu")


def test_a_video_path_points_to_stream(predictor, video):
    with pytest.raises(ValueError, match=re.escape(f"{video} is a video, not an image file")):
        predictor.predict(video)
    with pytest.raises(ValueError, match=re.escape(f"predictor.stream('{video}')")):
        predictor.predict(str(video))


def test_a_video_in_a_list_is_named_by_its_position(predictor, video, image_file):
    with pytest.raises(ValueError, match=r"^item 1 of the input list: .* is a video"):
        predictor.predict([image_file, video])
    with pytest.raises(
        ValueError, match=re.escape("predictor.stream of the same inputs gives the images'")
    ):
        predictor.predict([image_file, video])


def test_a_pattern_of_videos_points_to_stream(predictor, video):
    pattern = str(video.parent / "*.mp4")
    with pytest.raises(ValueError, match=r"^no image file matches the pattern ") as caught:
        predictor.predict(pattern)
    assert str(caught.value).endswith(
        f"predictor.stream({pattern!r}) gives the frames of its videos"
    )
