"""An OpenCV without FFmpeg (a build with GStreamer only), one whose FFmpeg takes no timeouts,
or one too old to have ``cv2.videoio_registry``: a stream URL is opened with OpenCV's default
backend, an INFO line says that the wait is not bounded, and no message claims a wait of
``stream_timeout`` seconds that the backend did not keep.

``cv2`` is replaced, in :mod:`detseg.api.video_streams` only, by a stand-in holding OpenCV's
constants and a capture that records how it was opened."""

from __future__ import annotations

import logging
import time
import types

import cv2
import numpy as np
import pytest

from detseg.api import video_streams
from detseg.api.video import VideoSource
from detseg.api.video_streams import ffmpeg_timeouts, has_ffmpeg, open_stream, open_video_file

URL = "rtsp://127.0.0.1:9/live"


class _Capture:
    """A ``cv2.VideoCapture`` stand-in: ``opened`` captures give :data:`FRAMES` frames, others
    fail after ``delay`` seconds (a backend waiting on a silent host)."""

    FRAMES = 3

    def __init__(self, *args: object, opened: bool = False, delay: float = 0.0) -> None:
        self.args = args
        self.opened = opened
        self.left = self.FRAMES
        time.sleep(delay)

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return self.opened

    def read(self) -> tuple[bool, np.ndarray | None]:
        if not self.opened or not self.left:
            return False, None
        self.left -= 1
        return True, np.zeros((8, 8, 3), np.uint8)

    def get(self, prop: int) -> float:
        return 0.0

    def release(self) -> None:
        pass


def _opencv(registry: bool = True, ffmpeg: bool = False, timeouts: bool = True, **capture):
    """A ``cv2`` stand-in: OpenCV's ``CAP_*`` constants (without the timeout properties unless
    ``timeouts``), a ``videoio_registry`` whose FFmpeg is ``ffmpeg`` (none unless
    ``registry``), and :class:`_Capture` made with ``capture``; ``made`` lists the captures."""
    names = {name: getattr(cv2, name) for name in dir(cv2) if name.startswith("CAP_")}
    if not timeouts:
        del names["CAP_PROP_OPEN_TIMEOUT_MSEC"], names["CAP_PROP_READ_TIMEOUT_MSEC"]
    made: list[_Capture] = []

    def video_capture(*args: object) -> _Capture:
        made.append(_Capture(*args, **capture))
        return made[-1]

    fake = types.SimpleNamespace(**names, VideoCapture=video_capture, made=made)
    if registry:
        fake.videoio_registry = types.SimpleNamespace(
            hasBackend=lambda api: ffmpeg and api == cv2.CAP_FFMPEG
        )
    return fake


@pytest.mark.parametrize(
    ("opencv", "reason"),
    [
        (dict(ffmpeg=False), "this OpenCV has no FFmpeg backend"),
        (dict(registry=False), "this OpenCV cannot say whether it has an FFmpeg backend"),
        (
            dict(ffmpeg=True, timeouts=False),
            "this OpenCV's FFmpeg backend takes no open or read timeout",
        ),
    ],
    ids=["gstreamer-only", "no-videoio-registry", "ffmpeg-without-timeouts"],
)
def test_a_stream_opens_with_the_default_backend_saying_the_wait_is_unbounded(
    monkeypatch, caplog, opencv, reason
):
    fake = _opencv(opened=True, **opencv)
    monkeypatch.setattr(video_streams, "cv2", fake)
    assert not ffmpeg_timeouts()
    with caplog.at_level(logging.INFO):
        open_stream(URL, 0.3)
    assert [capture.args for capture in fake.made] == [(URL,)]  # no CAP_FFMPEG, no params
    assert caplog.messages == [
        f"opening stream {URL}: {reason}, so the wait for it to answer is not bounded (the "
        "backend's own wait applies, often 30 s)"
    ]


def test_an_opencv_without_videoio_registry_has_no_ffmpeg(monkeypatch):
    fake = _opencv(registry=False)
    monkeypatch.setattr(video_streams, "cv2", fake)
    assert not has_ffmpeg() and not ffmpeg_timeouts()
    open_video_file("clip.mp4")
    assert fake.made[-1].args == ("clip.mp4",)


def test_a_slow_unbounded_failure_claims_no_timeout(monkeypatch):
    """The backend waited past ``stream_timeout`` on its own: the error does not say that the
    stream gave no answer within it, nor to give a longer one (it would not be kept)."""
    monkeypatch.setattr(video_streams, "cv2", _opencv(delay=0.4))
    with pytest.raises(ValueError) as caught:
        VideoSource(URL, stream_timeout=0.3)
    assert str(caught.value) == (
        f"cannot open stream {URL}: check the URL and that the stream is running"
    )


def test_the_end_of_an_unbounded_stream_claims_no_timeout(monkeypatch, caplog):
    monkeypatch.setattr(video_streams, "cv2", _opencv(opened=True))
    with caplog.at_level(logging.WARNING), VideoSource(URL, stream_timeout=0.3) as source:
        frames = list(source)
    assert len(frames) == _Capture.FRAMES and not source.bounded
    assert caplog.messages == [
        f"stream {URL} ended after 3 frames: it closed, or gave no frame for as long as the "
        "backend waits (not bounded by the stream timeout here)"
    ]


def test_with_ffmpeg_a_stream_gets_its_timeouts_and_a_file_ffmpeg(monkeypatch, caplog):
    fake = _opencv(ffmpeg=True, opened=True)
    monkeypatch.setattr(video_streams, "cv2", fake)
    with caplog.at_level(logging.INFO):
        open_stream(URL, 0.25)
    open_video_file("clip.mp4")
    assert [capture.args for capture in fake.made] == [
        (
            URL,
            cv2.CAP_FFMPEG,
            [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 250, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 250],
        ),
        ("clip.mp4", cv2.CAP_FFMPEG),
    ]
    assert caplog.messages == [f"opening stream {URL}: waiting up to 0.25 s for it to answer"]
