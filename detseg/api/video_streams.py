"""Opening a stream URL (``rtsp://``, ``http://`` ...) with a bounded wait: :func:`open_stream`.

OpenCV's FFmpeg backend waits 30 s for a stream to open, and again for each frame, before it
gives up: a URL whose host accepts the connection but never answers (a wrong port, a hung
camera) would hold a run that long without a word, once per URL. A stream is opened with
FFmpeg's open and read timeouts set to ``stream_timeout`` seconds
(``CAP_PROP_OPEN_TIMEOUT_MSEC``, ``CAP_PROP_READ_TIMEOUT_MSEC``; :data:`STREAM_TIMEOUT` by
default), after an INFO line that says how long it may wait. Where the installed OpenCV has no
FFmpeg backend (see ``cv2.getBuildInformation()``, "Video I/O"), the stream is opened with the
backend's own waits, and the line says that the wait is not bounded here.

Cameras and video files are opened without these settings: neither waits on a network.
"""

from __future__ import annotations

import logging
import math
import numbers

import cv2

__all__ = ["STREAM_TIMEOUT", "check_stream_timeout", "ffmpeg_timeouts", "open_stream"]

logger = logging.getLogger(__name__)

#: Seconds a stream may take to open, and to give each frame, by default (OpenCV's own: 30).
STREAM_TIMEOUT = 10.0


def check_stream_timeout(value: object, name: str = "stream_timeout") -> float:
    """``value`` as seconds, checked: a positive, finite number (not a bool).

    Raises:
        ValueError: naming ``name`` and the value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{name} must be a number of seconds, got {value!r} ({type(value).__name__})"
        )
    seconds = float(value)
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return seconds


def ffmpeg_timeouts() -> bool:
    """Whether this OpenCV opens streams with FFmpeg and takes its open and read timeouts."""
    names = ("CAP_PROP_OPEN_TIMEOUT_MSEC", "CAP_PROP_READ_TIMEOUT_MSEC")
    if not all(hasattr(cv2, name) for name in names):
        return False
    return bool(cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG))


def open_stream(url: str, stream_timeout: float) -> cv2.VideoCapture:
    """``cv2.VideoCapture`` of the stream ``url``, waiting at most ``stream_timeout`` seconds
    for it to open and for each frame where FFmpeg takes these timeouts
    (:func:`ffmpeg_timeouts`); an INFO line before says how long it may wait."""
    if not ffmpeg_timeouts():
        logger.info(
            "opening stream %s (this OpenCV has no FFmpeg backend: its own backend's wait "
            "applies, often 30 s)",
            url,
        )
        return cv2.VideoCapture(url)
    logger.info("opening stream %s: waiting up to %g s for it to answer", url, stream_timeout)
    milliseconds = max(1, round(stream_timeout * 1000))
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        milliseconds,
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        milliseconds,
    ]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
