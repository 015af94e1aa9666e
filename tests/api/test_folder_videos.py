"""A folder holding video files: it gives its images only (to ``tools/infer.py`` and
``Predictor.stream``), so its videos are named, with the pattern ``folder/*`` that gives them,
in a warning (images and videos) or in the error (videos only); ``predict`` on a folder names
the pattern of the images it holds."""

from __future__ import annotations

import glob
import logging
import re

import cv2
import numpy as np
import pytest

from detseg.api.image_stream import stream_inputs
from detseg.api.inputs import as_images
from detseg.prediction_inputs import missing_input_message, split_inputs


@pytest.fixture
def clips(tmp_path):
    """A folder of two (unopened) video files and a note."""
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("a.mp4", "b.avi"):
        (folder / name).write_bytes(b"not decoded here")
    (folder / "notes.txt").write_text("no media")
    return folder


@pytest.fixture
def mixed(clips):
    """``clips`` with one PNG image beside its videos."""
    assert cv2.imwrite(str(clips / "photo.png"), np.zeros((4, 4, 3), np.uint8))
    return clips


def test_infer_names_the_videos_of_a_folder_without_images(clips):
    message = missing_input_message(str(clips))
    assert message.startswith(f"no image in folder {clips}, but it holds 2 video files")
    assert "(a.mp4, b.avi)" in message and f"'{clips}/*'" in message
    assert sorted(glob.glob(f"{clips}/*")) != []  # the pattern named finds them


def test_infer_warns_of_the_videos_a_folder_of_images_skips(mixed, caplog):
    with caplog.at_level(logging.WARNING, logger="detseg.prediction_inputs"):
        images, videos, missing = split_inputs([str(mixed)])
    assert [path.name for path in images] == ["photo.png"] and not videos and not missing
    [record] = caplog.records
    assert f"folder {mixed} holds 2 video files (a.mp4, b.avi), not read" in record.getMessage()
    assert f"'{mixed}/*'" in record.getMessage()
    # the pattern gives the images and the videos
    images, videos, _ = split_inputs([f"{mixed}/*"])
    assert len(images) == 1 and len(videos) == 2


def test_stream_names_the_videos_of_a_folder_without_images(clips):
    expected = (
        f"no image in folder {clips}, but it holds 2 video files (a.mp4, b.avi): a folder gives "
        f"its images only; predictor.stream('{clips}/*')"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        list(stream_inputs(clips))


def test_stream_warns_of_the_videos_a_folder_of_images_skips(mixed, caplog):
    with caplog.at_level(logging.WARNING, logger="detseg.api.image_stream"):
        items = list(stream_inputs(mixed))
    assert len(items) == 1
    [record] = caplog.records
    assert "holds 2 video files (a.mp4, b.avi), not read" in record.getMessage()
    assert f"predictor.stream('{mixed}/*')" in record.getMessage()


def test_predict_on_a_folder_names_the_suffix_of_its_images(mixed):
    # the example given must find the folder's images: *.png here, not *.jpg
    with pytest.raises(ValueError, match=re.escape(".glob('*.png')")):
        as_images(mixed)


def test_predict_on_a_folder_of_videos_names_the_pattern_of_its_videos(clips):
    expected = (
        f"{clips} is a folder, not an image file; it holds 2 video files (a.mp4, b.avi): "
        f"predictor.stream('{clips}/*') gives the results of their frames"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        as_images(clips)


def test_the_warning_leaves_out_an_earlier_run_s_drawn_videos(mixed, caplog):
    """``a_1.mp4`` with its ``.jsonl``: what a run with ``--out`` this folder drew."""
    (mixed / "a_1.mp4").write_bytes(b"drawn")
    (mixed / "a_1.jsonl").write_text("{}\n")
    with caplog.at_level(logging.WARNING, logger="detseg.prediction_inputs"):
        split_inputs([str(mixed)])
    [record] = caplog.records
    assert "holds 2 video files (a.mp4, b.avi), not read" in record.getMessage()
    (mixed / "a.mp4").unlink()
    (mixed / "b.avi").unlink()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="detseg.prediction_inputs"):
        split_inputs([str(mixed)])
    assert caplog.records == []  # only drawn videos: nothing the user would want read
