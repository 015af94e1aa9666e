"""A video file that ends before the frame count of its header: its frames are read, and one
warning names the file."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.api import VideoSource


def write_avi(path: Path, frames: int = 10) -> Path:
    """A ``frames``-frame MJPG .avi of random 64 x 48 images (its header counts them)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (64, 48))
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> tuple[Path, Path]:
    """``(complete, truncated)``: a 10-frame .avi, and its first half of bytes."""
    folder = tmp_path_factory.mktemp("videos")
    complete = write_avi(folder / "complete.avi")
    truncated = folder / "truncated.avi"
    data = complete.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    return complete, truncated


def video_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_truncated_video_warns_once_and_gives_the_frames_it_has(videos, caplog):
    _, truncated = videos
    with caplog.at_level(logging.WARNING, logger="detseg.api.video"), VideoSource(truncated) as src:
        assert src.frame_count == 10
        frames = list(src)
    assert 0 < len(frames) < 10
    [message] = video_warnings(caplog)
    assert message.startswith(f"{truncated}: only {len(frames)} of the 10 frames")
    assert "truncated or damaged" in message and "\n" not in message


def test_a_complete_video_or_an_early_stop_does_not_warn(videos, caplog):
    complete, _ = videos
    with caplog.at_level(logging.WARNING, logger="detseg.api.video"):
        with VideoSource(complete) as source:
            assert len(list(source)) == 10
        with VideoSource(complete) as source:  # the reader stops: no short read to report
            for frame in source:
                if frame.index == 2:
                    break
    assert video_warnings(caplog) == []


def test_a_video_cut_in_its_header_is_one_error_and_nothing_on_stderr(videos, capfd):
    """OpenCV's own AVI reader, which its default order tries after FFmpeg, prints its
    complaints (``Unexpected element. Expected: LIST. Got: <bytes>``) straight on stderr: a
    file is opened with FFmpeg alone, and the error says why in one message."""
    complete, _ = videos
    cut = complete.with_name("cut_in_header.avi")
    cut.write_bytes(complete.read_bytes()[:300])
    capfd.readouterr()
    with pytest.raises(ValueError, match=r"^cannot open video .*cut_in_header\.avi: ") as caught:
        VideoSource(cut)
    assert "\n" not in str(caught.value)
    assert "Unexpected element" not in capfd.readouterr().err
