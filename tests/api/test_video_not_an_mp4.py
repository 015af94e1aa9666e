"""A file named ``.mp4`` that holds text (an error page a download saved under the video's
name) is said not to be an MP4, not to be a recording cut short: its first four letters read
as an MP4 box type, but no MP4/MOV file starts with such a box. Only an empty file and a web
page or data file are refused before FFmpeg opens them; text that FFmpeg plays (an ``ffconcat``
playlist, a Y4M video) is left to it."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from detseg.api import video as video_module
from detseg.api.video import VideoSource
from detseg.api.video_file_problems import video_file_problem

ERROR_PAGES = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code></Error>\n',
    "Access denied: you are not allowed to download this file.\n",
]


@pytest.mark.parametrize("text", ERROR_PAGES)
def test_text_named_mp4_is_not_an_mp4(tmp_path, text):
    page = tmp_path / "clip.mp4"
    page.write_text(text)
    assert video_file_problem(page).startswith("it is not an MP4/MOV file")
    with pytest.raises(ValueError, match=re.escape(f"{page}: it is not an MP4/MOV file")):
        VideoSource(page)


def test_an_mp4_cut_short_is_still_said_to_be_cut_short(tmp_path, video):
    data = video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: data.index(b"moov") - 4])
    assert "'moov' atom" in video_file_problem(cut)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("clip.mp4", ERROR_PAGES[0]),
        ("clip.avi", ""),
        ("clip.mov", "\n  <!DOCTYPE html><html><body>403 Forbidden</body></html>\n"),
        ("clip.webm", '{"error": "not found"}\n'),
        ("clip.mkv", '[{"message": "expired"}]'),
        ("clip.mp4", "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n"),
    ],
)
def test_a_file_that_cannot_be_a_video_is_refused_before_ffmpeg_opens_it(
    tmp_path, monkeypatch, name, text
):
    """FFmpeg prints ``moov atom not found`` on stderr when the process used it before detseg
    could quiet it (a notebook's own ``cv2.VideoWriter``): an empty file and a web page or data
    file (HTML, XML, JSON, an HTTP response) never reach it."""
    opened: list[str] = []
    monkeypatch.setattr(video_module, "open_video_file", lambda path: opened.append(path))
    page = tmp_path / name
    page.write_text(text)
    with pytest.raises(ValueError, match=re.escape(f"cannot open video {page}: ")):
        VideoSource(page)
    assert opened == []


def test_a_binary_video_of_another_container_named_mp4_still_opens(tmp_path):
    """FFmpeg reads the container from the content: an AVI named ``.mp4`` is not refused."""
    avi = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(avi), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (32, 32))
    for shade in (0, 100, 200):
        writer.write(np.full((32, 32, 3), shade, np.uint8))
    writer.release()
    named = tmp_path / "clip.mp4"
    named.write_bytes(avi.read_bytes())
    with VideoSource(named) as source:
        assert len(list(source)) == 3


def _mjpeg_avi(path, frames: int = 3) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (32, 32))
    for shade in range(frames):
        writer.write(np.full((32, 32, 3), 100 * shade, np.uint8))
    writer.release()


def test_an_ffconcat_playlist_named_mp4_plays(tmp_path):
    """A playlist is text that FFmpeg plays: it is not refused as text."""
    _mjpeg_avi(tmp_path / "part.avi")
    playlist = tmp_path / "playlist.mp4"
    playlist.write_text("ffconcat version 1.0\nfile 'part.avi'\nfile 'part.avi'\n")
    with VideoSource(playlist) as source:
        assert len(list(source)) == 6


def test_a_y4m_video_named_mp4_plays(tmp_path):
    """A Y4M file is a text header and raw frames, which may be printable bytes (a flat grey
    frame is all ``d``): FFmpeg plays it."""
    frame = b"FRAME\n" + bytes([100]) * (32 * 32 * 3 // 2)  # 4:2:0, 32 x 32
    video = tmp_path / "flat.mp4"
    video.write_bytes(b"YUV4MPEG2 W32 H32 F5:1 Ip A1:1 C420jpeg\n" + frame * 3)
    with VideoSource(video) as source:
        assert len(list(source)) == 3
