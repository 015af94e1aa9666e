"""A video file that cannot be opened is one ValueError naming it and saying why (an empty file,
an MP4 without its ``moov`` index, one cut short, not an MP4 at all); OpenCV's log level is
silenced while a source opens and restored after. (That nothing of OpenCV's or FFmpeg's own
reaches the terminal is checked on ``tools/infer.py``, in a process of its own:
tests/tools/test_infer_errors.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import pytest

from detseg.api import VideoSource
from detseg.api.video import quiet_opencv
from detseg.api.video_file_problems import video_file_problem


def mp4_parts(video: Path) -> tuple[bytes, int]:
    """The bytes of ``video`` and where its ``moov`` box starts (OpenCV writes it last)."""
    data = video.read_bytes()
    start = data.index(b"moov") - 4
    return data, start


def test_an_empty_video_file_says_it_is_empty(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(
        ValueError, match=re.escape(f"cannot open video {empty}: the file is empty")
    ):
        VideoSource(empty)


def test_an_mp4_without_moov_says_the_recording_was_cut_short(tmp_path, video):
    data, moov = mp4_parts(video)
    broken = tmp_path / "no_index.mp4"
    broken.write_bytes(data[:moov])  # ftyp, free, mdat: a recording stopped before its index
    with pytest.raises(ValueError, match=re.escape(f"cannot open video {broken}: its 'moov'")):
        VideoSource(broken)


def test_an_mp4_cut_inside_a_box_says_so(tmp_path, video):
    data, moov = mp4_parts(video)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: moov + 20])
    with pytest.raises(ValueError, match=re.escape("the file ends inside its 'moov' box")):
        VideoSource(cut)


def test_other_bytes_named_mp4_are_not_an_mp4_and_other_formats_get_a_general_reason(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x02 this is no video" * 8)
    with pytest.raises(ValueError, match=re.escape(f"{fake}: it is not an MP4/MOV file")):
        VideoSource(fake)
    text = tmp_path / "notes.avi"
    text.write_text("not a video\n")
    with pytest.raises(ValueError, match=re.escape(f"{text}: FFmpeg cannot decode it")):
        VideoSource(text)
    assert video_file_problem(text).startswith("FFmpeg cannot decode it")


def test_a_missing_file_or_a_folder_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape("missing.mp4 (no such file)")):
        VideoSource(tmp_path / "missing.mp4")
    (tmp_path / "folder.mp4").mkdir()
    with pytest.raises(FileNotFoundError, match=re.escape("folder.mp4 (a folder)")):
        VideoSource(tmp_path / "folder.mp4")


def test_quiet_opencv_silences_and_restores_the_log_level():
    before = cv2.utils.logging.getLogLevel()
    with quiet_opencv():
        assert cv2.utils.logging.getLogLevel() == cv2.utils.logging.LOG_LEVEL_SILENT
    assert cv2.utils.logging.getLogLevel() == before
