"""Video frames in and out with OpenCV: files, cameras and stream URLs; annotated video files.

OpenCV's own log lines (``[ WARN:0@...] ... can't open camera by index``) are silenced while a
source is opened and read, and FFmpeg's (``moov atom not found``) in the whole process:
``OPENCV_FFMPEG_LOGLEVEL`` is set to ``-8`` (quiet) before the first source or writer is
opened, unless it is set already (OpenCV reads it once, when it first uses FFmpeg; set it
yourself, e.g. to ``16`` for FFmpeg's errors, to see them). A source that cannot be read
raises one error that names it and says why instead.

A source is named as on a command line:

* a video file (``.mp4``, ``.avi``, ``.mov``, ``.mkv``, ``.webm``, ... see
  :data:`~detseg.api.video_names.VIDEO_SUFFIXES`);
* a camera index: an ``int`` or a string of digits such as ``"0"``;
* a stream URL (``rtsp://``, ``http://``, ... see :data:`~detseg.api.video_names.STREAM_SCHEMES`),
  opened with a bounded wait (``stream_timeout``: :mod:`detseg.api.video_streams`).

:class:`VideoSource` opens it and yields :class:`Frame` items (``uint8 [H, W, 3]`` RGB);
:class:`VideoWriter` writes RGB frames into an ``.mp4`` file. How a source is named
(``VIDEO_SUFFIXES``, ``is_video_source``, ``source_stem`` ...) is
:mod:`detseg.api.video_names`; why a file cannot be opened, :mod:`detseg.api.video_file_problems`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from detseg.api.video_file_problems import unopenable_video_file, video_file_problem
from detseg.api.video_names import VideoName, camera_index, check_camera_index, is_url
from detseg.api.video_streams import (
    STREAM_TIMEOUT,
    check_stream_timeout,
    ffmpeg_timeouts,
    open_stream,
    open_video_file,
)
from detseg.named_settings import SettingError
from detseg.visualize.output_files import refuse_read_only
from detseg.visualize.saving import opencv_log_silenced

__all__ = [
    "Frame",
    "VideoSource",
    "VideoWriter",
    "quiet_opencv",
    "video_file_path",
]

logger = logging.getLogger(__name__)

#: Frame rate of an output video when the source does not tell its own (some cameras).
DEFAULT_FPS = 25.0


@dataclass
class Frame:
    """One decoded frame.

    Attributes:
        index: position in the video, from 0.
        time: seconds from the start: ``index / fps`` for a file, the time since the source
            was opened for a camera or a stream.
        image: ``uint8 [H, W, 3]`` RGB.
    """

    index: int
    time: float
    image: np.ndarray


def video_file_path(source: str | os.PathLike) -> Path:
    """The video file ``source`` names (a leading ``~`` is the home folder), checked to exist
    as :class:`VideoSource` checks it before opening it.

    Raises:
        FileNotFoundError: no such file, or a folder: ``video not found: <path> (no such
            file); check the path``.
    """
    path = Path(source).expanduser()  # "~/clip.mp4": under the home folder
    if not path.is_file():
        found = "a folder" if path.is_dir() else "no such file"
        raise FileNotFoundError(f"video not found: {path} ({found}); check the path")
    return path


class VideoSource:
    """Frames of a video file, a camera or a stream, read with ``cv2.VideoCapture``.

    The first frame is decoded on opening, so a source that cannot give one fails here, with
    its name. Use it as a context manager or call :meth:`close`.

    Args:
        source: a video file, a camera index (``0`` or ``"0"``) or a stream URL.
        stream_timeout: seconds a stream URL may take to open and to give each frame (an INFO
            line says so before it is opened; :mod:`detseg.api.video_streams`); a stream
            silent for longer ends (without FFmpeg: the backend's own waits, the INFO line
            says). Cameras and files do not wait on a network.

    Raises:
        FileNotFoundError: a video file that does not exist.
        ValueError: a file OpenCV cannot decode, a camera that cannot be opened (or a negative
            or too large index), a stream that cannot be reached, or one that gives no frame;
            a source that is not a path, a camera index or a URL (an image array, a list); a
            ``stream_timeout`` that is not a positive number.
        SettingError: a stream that gave no answer within ``stream_timeout`` (a
            ``ValueError`` whose ``naming(flags)`` names the setting as a tool's flag:
            :mod:`detseg.named_settings`).
    """

    def __init__(self, source: VideoName, stream_timeout: float = STREAM_TIMEOUT) -> None:
        self.source = source
        #: seconds a stream URL may take to open and to give each frame
        self.stream_timeout = stream_timeout = check_stream_timeout(stream_timeout)
        index = camera_index(source)
        self.live = index is not None or is_url(source)
        if index is not None:
            check_camera_index(index)
            self.name, what = str(index), f"camera {index}"
            fix = "check that it is connected and not used by another program"
        elif isinstance(source, int):  # a bool
            raise ValueError(f"not a video source: {source!r}; give a file, a camera or a URL")
        elif not isinstance(source, (str, os.PathLike)):  # an image, a list of frames ...
            raise ValueError(
                f"not a video source: a {type(source).__name__}; give a video file, a camera "
                "index or a stream URL (predictor.predict takes images, arrays and tensors)"
            )
        elif is_url(source):
            self.name, what = str(source), f"stream {source}"
            fix = "check the URL and that the stream is running"
        else:
            path = video_file_path(source)
            self.name, what = str(path), f"video {path}"
            problem = unopenable_video_file(path)
            if problem is not None:
                raise ValueError(f"cannot open {what}: {problem}")
            fix = ""  # found when the file fails: see video_file_problem
        stream = self.live and index is None
        #: whether ``stream_timeout`` bounds a stream URL's waits (FFmpeg's timeouts taken)
        self.bounded = stream and ffmpeg_timeouts()
        with quiet_opencv():
            started = time.monotonic()
            if stream:
                capture = open_stream(self.name, stream_timeout)
            elif index is not None:
                capture = cv2.VideoCapture(index)
            else:
                capture = open_video_file(self.name)
            self._capture = capture
            opened = capture.isOpened()
            self._start = time.monotonic()
            ok, first = capture.read() if opened else (False, None)
        if not opened or not ok or first is None:
            empty = opened and capture.get(cv2.CAP_PROP_FRAME_COUNT) == 0
            capture.release()
            verb = "open" if not opened else "read a frame of"
            if self.bounded and time.monotonic() - started >= stream_timeout:
                seconds = int(stream_timeout) if stream_timeout.is_integer() else stream_timeout
                raise SettingError(  # named as the caller gave it: keyword, or a tool's flag
                    f"cannot {verb} {what}: no answer within {stream_timeout:g} s "
                    f"({{stream_timeout}}); {fix}, or give a longer wait",
                    stream_timeout=seconds,
                )
            if empty and not fix:
                fix = "it holds no frame (its header counts 0): a recording that wrote none; "
                fix += "give a video with at least one frame"
            fix = fix or video_file_problem(Path(self.name))
            raise ValueError(f"cannot {verb} {what}: {fix}")
        self._first: np.ndarray | None = first
        self._given = 0  # frames given so far, over every iteration
        #: whether :meth:`close` was called (the source gives no more frames)
        self.closed = False
        self.height, self.width = int(first.shape[0]), int(first.shape[1])
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        #: frames per second the source declares, or :data:`DEFAULT_FPS` if it declares none
        self.fps = fps if math.isfinite(fps) and 0 < fps < 1000 else DEFAULT_FPS
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        #: frames in a video file as its header says (``None``: a camera or a stream)
        self.frame_count: int | None = count if count > 0 and not self.live else None

    def __iter__(self) -> Iterator[Frame]:
        """The frames, from the first not yet given, until the source ends (or is closed).

        Iterating again (a second ``for`` loop, a second ``predictor.stream`` of this source)
        goes on where the last one stopped, the frames keeping their index and time in the
        video. A video file that ends before the frame count of its header (a truncated or
        damaged file) logs one warning naming it; its frames so far are still given. Closing the
        source ends a loop over it.

        Raises:
            ValueError: the source was closed before the loop began (see :meth:`check_open`).
        """
        self.check_open()
        while True:
            index = self._given
            if self._first is not None:
                bgr, self._first = self._first, None
            else:
                with quiet_opencv():
                    ok, bgr = self._capture.read()
                if not ok or bgr is None:
                    if not self.closed:  # the source ended, rather than the loop was stopped
                        self._warn_if_short(index)
                        self._note_stream_end(index)
                    return
            seconds = time.monotonic() - self._start if self.live else index / self.fps
            self._given = index + 1  # counted before the yield: a loop may stop at any frame
            yield Frame(index, seconds, _to_rgb(bgr))

    def _warn_if_short(self, frames_read: int) -> None:
        """Warn when the file ended after fewer frames than its header announced."""
        if self.frame_count is not None and frames_read < self.frame_count:
            logger.warning(
                "%s: only %d of the %d frames its header announces could be read; the file "
                "may be truncated or damaged (the frames read are used)",
                self.name,
                frames_read,
                self.frame_count,
            )

    def _note_stream_end(self, frames_read: int) -> None:
        """Say why a stream URL's frames ended: it closed, or gave none for
        ``stream_timeout`` seconds (FFmpeg's read timeout ends it like its end; where the wait
        is not bounded, :attr:`bounded`, the backend's own wait)."""
        if not is_url(self.source):
            return
        waited = f"within {self.stream_timeout:g} s (the stream timeout)"
        if not self.bounded:
            waited = "for as long as the backend waits (not bounded by the stream timeout here)"
        logger.warning(
            "stream %s ended after %d frames: it closed, or gave no frame %s",
            self.name,
            frames_read,
            waited,
        )

    def check_open(self) -> None:
        """Refuse a closed source (a ``with VideoSource(...)`` block left, :meth:`close` called).

        Raises:
            ValueError: the source is closed; the message names it and says to open it again.
        """
        if self.closed:
            raise ValueError(
                f"VideoSource({self.name!r}) is closed (its `with` block ended or close() was "
                "called) and gives no more frames; open it again, or give its name: "
                f"predictor.stream({self.source!r})"
            )

    def close(self) -> None:
        """Release the capture; a loop over the frames then ends."""
        self.closed = True
        self._first = None
        self._capture.release()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "live" if self.live else f"{self.frame_count} frames"
        return f"VideoSource({self.name!r}, {self.width}x{self.height}, {self.fps:g} fps, {kind})"


#: FFmpeg's ``AV_LOG_QUIET``: the ``OPENCV_FFMPEG_LOGLEVEL`` that silences FFmpeg.
_FFMPEG_QUIET = "-8"


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """OpenCV's log level set to silent inside, restored after; FFmpeg quiet from the first
    use on (see the module docstring): detseg reports what failed in its own words."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", _FFMPEG_QUIET)
    with opencv_log_silenced():
        yield


def _to_rgb(frame: np.ndarray) -> np.ndarray:
    """``uint8 [H, W, 3]`` RGB of a decoded frame (BGR, BGRA or gray)."""
    if frame.ndim == 2:
        return np.ascontiguousarray(np.repeat(frame[:, :, None], 3, axis=2))
    return np.ascontiguousarray(frame[:, :, 2::-1])


class VideoWriter:
    """Writes ``uint8 [H, W, 3]`` RGB frames into an ``.mp4`` file (``mp4v`` codec).

    The file is opened at the first frame (its size fixes the video's); every frame must have
    that size. The codec stores even sides only (it would drop the last row or column of an
    odd one): a frame of odd width or height gets one black column on its right or row at
    its bottom, so the video is :attr:`video_size` and every pixel keeps its coordinates.
    Use it as a context manager or call :meth:`close` (the file is complete only then).

    Args:
        path: the output file (its folder is created).
        fps: frames per second of the output.
    """

    def __init__(self, path: str | os.PathLike, fps: float) -> None:
        self.path = Path(path).expanduser()
        self.fps = fps
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None
        #: ``(width, height)`` of the video file: the frames' size rounded up to even sides
        self.video_size: tuple[int, int] | None = None

    def write(self, image: np.ndarray) -> None:
        """Append one ``uint8 [H, W, 3]`` RGB frame.

        Raises:
            ValueError: a frame that is not ``uint8 [H, W, 3]`` or of another size than the
                first.
            OSError: the file cannot be written.
        """
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or not image.size:
            raise ValueError(
                f"{self.path}: frame {self.frames} must be a uint8 [H, W, 3] RGB image, got "
                f"{image.dtype} {tuple(image.shape)}"
            )
        height, width = image.shape[:2]
        if self._writer is None:
            self._writer = self._open(width, height)
        elif self._size != (width, height):
            video_w, video_h = self._size or (0, 0)
            raise ValueError(
                f"{self.path}: frame {self.frames} is {width}x{height}, the video is "
                f"{video_w}x{video_h}"
            )
        writer, (video_w, video_h) = self._writer, self.video_size or (width, height)
        # pad an odd side with black on the right/bottom: pixels keep their coordinates
        bgr = np.pad(image[:, :, ::-1], ((0, video_h - height), (0, video_w - width), (0, 0)))
        writer.write(np.ascontiguousarray(bgr))
        self.frames += 1

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """``(width, height)`` every frame must have (the first one's), or ``None`` before it."""
        return self._size

    def _open(self, width: int, height: int) -> cv2.VideoWriter:
        """Open the file for frames of ``width x height`` (the video's sides rounded up to even
        numbers: see the class docstring)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        refuse_read_only(self.path)  # FFmpeg would truncate it where the user may (root)
        video_size = (width + width % 2, height + height % 2)
        if video_size != (width, height):
            logger.info(
                "%s: frames are %dx%d, the mp4v codec takes even sides only: written as "
                "%dx%d with a black border on the right/bottom",
                self.path,
                width,
                height,
                *video_size,
            )
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        with quiet_opencv():
            writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, video_size)
        if not writer.isOpened():  # errno and file name: the tools name the output
            raise OSError(
                errno.EIO,
                f"OpenCV cannot open {self.path.name} for writing (an unwritable folder, a "
                "full disk or no mp4v codec)",
                str(self.path),
            )
        self._size, self.video_size = (width, height), video_size
        return writer

    def close(self) -> None:
        """Finish the file."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
