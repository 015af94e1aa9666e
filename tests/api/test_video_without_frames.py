"""A video file that holds no frame (a recording stopped before its first one) says so, not
that FFmpeg cannot decode it."""

from __future__ import annotations

import cv2
import pytest

from detseg.api.video import VideoSource


def _empty_recording(path, codec: str):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), 10.0, (64, 48))
    assert writer.isOpened()
    writer.release()  # no frame written
    return path


def test_an_mp4_without_a_track_says_it_holds_no_frame(tmp_path):
    path = _empty_recording(tmp_path / "empty.mp4", "mp4v")
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match=rf"{path}: it holds no video track .* no frame"):
        VideoSource(path)


def test_an_avi_of_zero_frames_says_it_holds_no_frame(tmp_path):
    path = _empty_recording(tmp_path / "empty.avi", "MJPG")
    with pytest.raises(ValueError, match=rf"{path}: it holds no frame \(its header counts 0\)"):
        VideoSource(path)
