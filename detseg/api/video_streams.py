"""Which OpenCV backend opens a source, and how long a stream URL may keep it waiting.

OpenCV's FFmpeg backend waits 30 s for a stream (``rtsp://``, ``http://`` ...) to open, and
again for each frame, before it gives up: a URL whose host accepts the connection but never
answers (a wrong port, a hung camera) would hold a run that long without a word, once per URL.
:func:`open_stream` opens a stream with FFmpeg's open and read timeouts set to
``stream_timeout`` seconds (``CAP_PROP_OPEN_TIMEOUT_MSEC``, ``CAP_PROP_READ_TIMEOUT_MSEC``;
:data:`STREAM_TIMEOUT` by default), after an INFO line that says how long it may wait. Where
the installed OpenCV has no FFmpeg backend (see ``cv2.getBuildInformation()``, "Video I/O"; a
build with GStreamer only), or one that takes no timeouts, the stream is opened with OpenCV's
default backend and its own waits, and the INFO line says that the wait is not bounded
(:func:`ffmpeg_timeouts` tells which case holds).

:func:`open_video_file` opens a video file with FFmpeg where OpenCV has it, else with its
default backend: after FFmpeg fails, OpenCV's default order would try its own AVI reader,
which prints its complaints about a damaged file (``Unexpected element. Expected: LIST``)
straight on stderr, beside the one error that says why. Cameras are opened by the caller with
OpenCV's default backend: they do not wait on a network.
"""

from __future__ import annotations

import logging
import math
import numbers

import cv2

__all__ = [
    "STREAM_TIMEOUT",
    "check_stream_timeout",
    "ffmpeg_timeouts",
    "has_ffmpeg",
    "open_stream",
    "open_video_file",
]

logger = logging.getLogger(__name__)

#: Seconds a stream may take to open, and to give each frame, by default (OpenCV's own: 30).
STREAM_TIMEOUT = 10.0

#: The capture properties of FFmpeg's open and read timeouts (absent from older OpenCV).
_TIMEOUT_PROPERTIES = ("CAP_PROP_OPEN_TIMEOUT_MSEC", "CAP_PROP_READ_TIMEOUT_MSEC")


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


def has_ffmpeg() -> bool:
    """Whether this OpenCV has a working FFmpeg backend (``False`` for an OpenCV too old to
    say: one without ``cv2.videoio_registry``)."""
    registry = getattr(cv2, "videoio_registry", None)
    has_backend = getattr(registry, "hasBackend", None)
    if has_backend is None or not hasattr(cv2, "CAP_FFMPEG"):
        return False
    return bool(has_backend(cv2.CAP_FFMPEG))


def ffmpeg_timeouts() -> bool:
    """Whether this OpenCV opens streams with FFmpeg and takes its open and read timeouts."""
    return _unbounded_reason() is None


def _unbounded_reason() -> str | None:
    """Why this OpenCV cannot bound a stream's waits, or ``None`` where it can."""
    if getattr(getattr(cv2, "videoio_registry", None), "hasBackend", None) is None:
        return "this OpenCV cannot say whether it has an FFmpeg backend"
    if not has_ffmpeg():
        return "this OpenCV has no FFmpeg backend"
    if not all(hasattr(cv2, name) for name in _TIMEOUT_PROPERTIES):
        return "this OpenCV's FFmpeg backend takes no open or read timeout"
    return None


def open_stream(url: str, stream_timeout: float) -> cv2.VideoCapture:
    """``cv2.VideoCapture`` of the stream ``url``, waiting at most ``stream_timeout`` seconds
    for it to open and for each frame where FFmpeg takes these timeouts
    (:func:`ffmpeg_timeouts`), else opened with OpenCV's default backend and its own waits; an
    INFO line before says which."""
    reason = _unbounded_reason()
    if reason is not None:
        logger.info(
            "opening stream %s: %s, so the wait for it to answer is not bounded (the backend's "
            "own wait applies, often 30 s)",
            url,
            reason,
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


def open_video_file(path: str) -> cv2.VideoCapture:
    """``cv2.VideoCapture`` of the video file ``path``: with FFmpeg where this OpenCV has it
    (:func:`has_ffmpeg`), else with OpenCV's default backend (see the module docstring)."""
    if has_ffmpeg():
        return cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    return cv2.VideoCapture(path)
