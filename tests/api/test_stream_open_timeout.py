"""A stream URL whose host accepts the connection and never answers is given up after
``stream_timeout`` seconds (OpenCV's FFmpeg default is 30, once per URL, without a word), with
an INFO line before it is opened that says how long it may wait, and an error that names the
wait and the setting that raises it: its keyword from Python, a tool's flag from the tool.

The server is a socket in this process that accepts and never writes; each test waits about
its ``stream_timeout`` of 0.3 s. No test times anything: the timeouts bound the waits."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from tool_modules import load_tool

import detseg
from detseg.api import video as video_module
from detseg.api.video import VideoSource
from detseg.api.video_outputs import predict_video
from detseg.api.video_streams import STREAM_TIMEOUT, check_stream_timeout, ffmpeg_timeouts
from detseg.predict_images import predict_checkpoint

needs_timeouts = pytest.mark.skipif(
    not ffmpeg_timeouts(), reason="this OpenCV has no FFmpeg backend with open timeouts"
)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """The port of a TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:  # the server closed: the test is over
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    with contextlib.suppress(OSError):
        server.shutdown(socket.SHUT_RDWR)  # wakes the thread's accept (close alone does not)
    server.close()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()


@needs_timeouts
@pytest.mark.parametrize("scheme", ["http", "rtsp"])
def test_a_silent_stream_is_given_up_after_the_timeout(silent_server, caplog, scheme):
    url = f"{scheme}://127.0.0.1:{silent_server}/live"
    with caplog.at_level(logging.INFO), pytest.raises(ValueError) as caught:
        VideoSource(url, stream_timeout=0.3)
    assert str(caught.value) == (
        f"cannot open stream {url}: no answer within 0.3 s (stream_timeout=0.3); check the URL "
        "and that the stream is running, or give a longer wait"
    )
    assert caught.value.naming({"stream_timeout": "--stream-timeout"}) == (
        f"cannot open stream {url}: no answer within 0.3 s (--stream-timeout 0.3); check the "
        "URL and that the stream is running, or give a longer wait"
    )
    assert f"opening stream {url}: waiting up to 0.3 s for it to answer" in caplog.messages


@needs_timeouts
def test_stream_and_predict_video_take_the_timeout(silent_server, detector_checkpoint, tmp_path):
    url = f"http://127.0.0.1:{silent_server}/cam"
    predictor = detseg.load(detector_checkpoint, device="cpu")
    with pytest.raises(ValueError, match=r"no answer within 0\.3 s \(stream_timeout=0\.3\)"):
        predictor.stream(url, stream_timeout=0.3)
    with pytest.raises(ValueError, match=r"no answer within 0\.3 s \(stream_timeout=0\.3\)"):
        predict_video(predictor, url, tmp_path / "out", stream_timeout=0.3)
    assert not (tmp_path / "out").exists()


@needs_timeouts
def test_a_tool_gets_the_timeout_named_by_its_flag(silent_server, detector_checkpoint, tmp_path):
    """``tools/infer.py`` passes its flags: its user typed ``--stream-timeout``, no keyword."""
    url = f"rtsp://127.0.0.1:{silent_server}/live"
    said: list[str] = []
    run = predict_checkpoint(
        detector_checkpoint,
        [url],
        tmp_path / "out",
        device="cpu",
        on_error=said.append,
        stream_timeout=1,
        flags={"stream_timeout": "--stream-timeout"},
    )
    assert (
        said
        == run.errors
        == [
            f"cannot open stream {url}: no answer within 1 s (--stream-timeout 1); check the URL "
            "and that the stream is running, or give a longer wait"
        ]
    )
    run = predict_checkpoint(
        detector_checkpoint, [url], tmp_path / "out", device="cpu", stream_timeout=0.3
    )
    assert run.errors == [
        f"cannot open stream {url}: no answer within 0.3 s (stream_timeout=0.3); check the URL "
        "and that the stream is running, or give a longer wait"
    ]


@needs_timeouts
def test_infer_names_its_flag(silent_server, detector_checkpoint, tmp_path, capsys):
    """``tools/infer.py`` gives ``predict_checkpoint`` its flags: the line names the flag."""
    url = f"rtsp://127.0.0.1:{silent_server}/live"
    infer = load_tool("infer.py")
    code = infer.main(
        [str(detector_checkpoint), url, "--out", str(tmp_path / "out"), "--device", "cpu"]
        + ["--stream-timeout", "0.3"]
    )
    assert code != 0
    assert "no answer within 0.3 s (--stream-timeout 0.3)" in capsys.readouterr().err


def test_the_default_wait_is_shorter_than_opencvs_30_seconds():
    assert 0 < STREAM_TIMEOUT < 30


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "stream_timeout must be a positive number of seconds, got 0"),
        (-1.5, "stream_timeout must be a positive number of seconds, got -1.5"),
        (float("nan"), "stream_timeout must be a positive number of seconds, got nan"),
        ("5", "stream_timeout must be a number of seconds, got '5' (str)"),
        (True, "stream_timeout must be a number of seconds, got True (bool)"),
    ],
)
def test_a_bad_timeout_is_refused_at_the_call(detector_checkpoint, value, message):
    with pytest.raises(ValueError) as caught:
        check_stream_timeout(value)
    assert str(caught.value) == message
    predictor = detseg.load(detector_checkpoint, device="cpu")
    with pytest.raises(ValueError) as caught:
        predictor.stream(np.zeros((8, 8, 3), np.uint8), stream_timeout=value)
    assert str(caught.value) == message


def test_the_end_of_a_stream_is_said_with_the_timeout(video, monkeypatch, caplog):
    """A stream whose frames stop (closed, or silent for ``stream_timeout``: FFmpeg's read
    timeout ends it like its end) ends the loop with a warning that says so; the stream is a
    video file behind a URL here."""
    monkeypatch.setattr(
        video_module, "open_stream", lambda url, timeout: cv2.VideoCapture(str(video))
    )
    url = "http://127.0.0.1:9/cam"
    with caplog.at_level(logging.WARNING), VideoSource(url, stream_timeout=0.3) as source:
        frames = list(source)
    assert frames and source.live and source.frame_count is None
    assert caplog.messages == [
        f"stream {url} ended after {len(frames)} frames: it closed, or gave no frame within "
        "0.3 s (the stream timeout)"
    ]
