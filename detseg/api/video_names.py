"""How a video source is named, as on a command line: a video file by its suffix, a camera
index, a stream URL; and the file-name stem of a source's outputs.

These are plain string and path checks, without OpenCV: :mod:`detseg.api.inputs` and
``tools/infer.py`` use them to send a video, a camera or a stream to ``stream`` rather than to
``predict``, and :class:`~detseg.api.video.VideoSource` to decide how to open one.

A folder given to ``tools/infer.py`` or ``Predictor.stream`` gives its image files only; a glob
pattern (``clips/*``) gives its images and videos. :func:`videos_in_folder`,
:func:`named_videos` and :func:`folder_pattern` name the videos such a folder leaves out, and
the pattern that gives them, in a warning (a folder of images and videos) or in the error (a
folder of videos only).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = [
    "STREAM_SCHEMES",
    "VIDEO_SUFFIXES",
    "VideoName",
    "camera_index",
    "check_camera_index",
    "folder_pattern",
    "is_camera",
    "is_url",
    "is_video_source",
    "named_videos",
    "source_stem",
    "videos_in_folder",
]

#: File suffixes read as videos (lower case).
VIDEO_SUFFIXES = {
    ".mp4",
    ".m4v",
    ".avi",
    ".mov",
    ".mkv",
    ".webm",
    ".mpg",
    ".mpeg",
    ".wmv",
    ".flv",
    ".ts",
    ".3gp",
}

#: URL schemes read as streams.
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")

VideoName = str | int | os.PathLike


def is_url(source: VideoName) -> bool:
    """``source`` is a stream URL (one of :data:`STREAM_SCHEMES`)."""
    return isinstance(source, str) and source.lower().startswith(STREAM_SCHEMES)


def camera_index(source: VideoName) -> int | None:
    """The camera index ``source`` names (an ``int``, or digits naming no existing file), or
    ``None``."""
    if isinstance(source, bool):
        return None
    if isinstance(source, int):
        return source
    if isinstance(source, str) and source.isdigit() and not Path(source).exists():
        return int(source)
    return None


def is_camera(source: VideoName) -> bool:
    """``source`` is a camera index (see :func:`camera_index`)."""
    return camera_index(source) is not None


def is_video_source(source: VideoName) -> bool:
    """``source`` names a video file (by suffix), a camera index or a stream URL."""
    if isinstance(source, int):
        return not isinstance(source, bool)
    return is_camera(source) or is_url(source) or Path(source).suffix.lower() in VIDEO_SUFFIXES


def source_stem(source: VideoName) -> str:
    """A file-name stem for the outputs of ``source``: the file's stem, ``camera0``, or the
    URL's last path part (or host) with unusual characters replaced by ``_``."""
    index = camera_index(source)
    if index is not None:
        return f"camera{index}"
    if isinstance(source, int):  # a bool
        return f"camera{int(source)}"
    if is_url(source):
        rest = str(source).split("://", 1)[1].split("?", 1)[0].rstrip("/")
        tail = rest.rsplit("/", 1)[-1]
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(tail).stem or tail) or "stream"
    return Path(source).stem


#: The largest camera index ``cv2.VideoCapture`` takes (a C ``int``; the index of a camera
#: plus an API's ``CAP_*`` constant, e.g. ``200`` for V4L2's camera 0, is one too).
_MAX_CAMERA_INDEX = 2**31 - 1


def check_camera_index(index: int) -> None:
    """Refuse a camera index ``cv2.VideoCapture`` cannot take: a negative one (OpenCV's "any
    camera" ``-1`` crashes the process when none is connected) or one beyond a C ``int``.

    Raises:
        ValueError: naming the index and saying what to give.
    """
    if index < 0:
        raise ValueError(
            f"camera index {index} is negative; give 0 for the first camera, 1 for the second ..."
        )
    if index > _MAX_CAMERA_INDEX:
        raise ValueError(
            f"camera index {index} is too large (at most {_MAX_CAMERA_INDEX}), and there is no "
            "file of that name; give 0 for the first camera, 1 for the second ..., or the path "
            "of a video file"
        )


# how many video names a message lists before "..."
_NAMES_SHOWN = 3


def videos_in_folder(folder: Path) -> list[Path]:
    """The video files (a suffix of :data:`VIDEO_SUFFIXES`) of ``folder``, sorted, without its
    subfolders and hidden files (macOS's ``._clip.mp4``, as ``folder/*`` leaves them out):
    those a folder input leaves out; ``[]`` for a folder that cannot be listed."""
    try:
        return sorted(
            path
            for path in folder.iterdir()
            if path.suffix.lower() in VIDEO_SUFFIXES
            and not path.name.startswith(".")
            and path.is_file()
        )
    except OSError:
        return []


def named_videos(videos: list[Path]) -> str:
    """``"2 video files (a.mp4, b.avi)"``: the count and the first names of ``videos``."""
    names = ", ".join(path.name for path in videos[:_NAMES_SHOWN])
    more = ", ..." if len(videos) > _NAMES_SHOWN else ""
    noun = "video file" if len(videos) == 1 else "video files"
    return f"{len(videos)} {noun} ({names}{more})"


def folder_pattern(folder: str | os.PathLike) -> str:
    """The glob pattern of every file of ``folder`` (``clips/*``), which gives its images and
    videos to ``tools/infer.py`` and ``Predictor.stream``."""
    return str(Path(folder) / "*")
