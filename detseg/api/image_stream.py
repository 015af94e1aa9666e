"""What :meth:`Predictor.stream <detseg.api.predictor.Predictor.stream>` runs on: a video, or
images and video files (a folder, a glob pattern, a path, a list, an iterator or a generator of
them) read lazily, a batch at a time (:func:`stream_source`).

:func:`is_video_stream` tells a video source (its frames) from the rest, as ``tools/infer.py``
and :mod:`detseg.api.inputs` tell them: a camera index or a stream URL is a video; an existing
folder gives its image files (sorted, no subfolders, videos skipped with a warning naming
them, as ``tools/infer.py`` scans a folder); a glob pattern gives its image and video files,
sorted (as ``tools/infer.py`` expands one: other files skipped); any other path is a video by
its suffix (:data:`~detseg.api.video_names.VIDEO_SUFFIXES`), else an image.

:func:`stream_inputs` turns the source into images and video files one at a time, and
:func:`~detseg.api.media_stream.stream_results` into results, in input order: each image's,
then each video's frames, one video open at a time. What is checked when:

* at the call, before the first result: the kind of the source and of each item of a list or
  tuple (a camera index or a stream URL among other inputs is refused: it runs until it
  ends; so is an open ``VideoSource``: its file's path goes in the list), the files named by
  a path, a folder, a glob pattern or the paths of a list (an image exists, is readable and
  not empty, as ``predict`` checks it; a video exists);
* when its item is reached (its batch is taken): the pixels of an array, a tensor or a PIL
  image (shape, dtype, values), the decoding of each file (a corrupt image raises
  :class:`~detseg.data.image_io.ImageReadError` naming it, as ``predict`` does; a video that
  cannot be opened, :class:`~detseg.api.video.VideoSource`'s error naming it: the stream stops
  there), and everything about each item of an iterator or a generator, which is read one
  item at a time and never read ahead of the batch being filled.

Nothing is decoded or converted before its batch: a ``[B, H, W, 3]`` array or a
``[B, 3, H, W]`` tensor is converted one image at a time, a video one frame at a time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from detseg.api.array_images import ACCEPTED, CHANNELS, from_array, from_tensor
from detseg.api.inputs import InputImage, PendingImage, one_input
from detseg.api.media_stream import StreamInput, VideoFile, stream_results, video_file
from detseg.api.pil_images import is_pil_image
from detseg.api.video import VideoSource
from detseg.api.video_names import (
    VIDEO_SUFFIXES,
    folder_pattern,
    is_camera,
    is_url,
    named_videos,
    videos_in_folder,
)
from detseg.api.video_streams import STREAM_TIMEOUT
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.image_inputs import (
    blank_path_message,
    folder_images,
    is_blank,
    is_glob_pattern,
    pattern_files,
)

if TYPE_CHECKING:
    from detseg.api.predictor import Predictor, Result

__all__ = ["is_video_stream", "stream_inputs", "stream_source"]

logger = logging.getLogger(__name__)

#: What :func:`stream_inputs` gives: an image, a file decoded when reached, a video file.
_Pending = PendingImage | VideoFile


def stream_source(
    predictor: Predictor,
    source: Any,
    settings: tuple[float | None, frozenset[int] | None, int, bool],
    max_frames: int | None,
    bgr: bool,
    stream_timeout: float = STREAM_TIMEOUT,
) -> Iterator[Result]:
    """The results of ``source``, a video's frames, or images and videos, one at a time
    (``settings``: ``score_thr``, the kept labels, ``batch_size``, ``mask_probabilities``,
    checked by :meth:`~detseg.api.predictor.Predictor.stream`; ``stream_timeout``: the wait
    of a stream URL, :class:`~detseg.api.video.VideoSource`).

    Raises:
        ValueError: ``bgr`` for a video, and what :func:`stream_inputs` or
            :class:`~detseg.api.video.VideoSource` raise before the first result.
    """
    if not is_video_stream(source):
        return stream_results(predictor, stream_inputs(source, bgr=bgr), settings, max_frames)
    if bgr:
        raise ValueError(
            "bgr=True is for numpy arrays and tensors given to predict or stream; the frames "
            "of a video are decoded to RGB: leave bgr out"
        )
    if isinstance(source, VideoSource):
        source.check_open()
    video = source if isinstance(source, VideoSource) else VideoSource(source, stream_timeout)
    return stream_results(predictor, [video], settings, max_frames, close=video is not source)


def is_video_stream(source: Any) -> bool:
    """``source`` is a video for :meth:`~detseg.api.predictor.Predictor.stream`: an open
    :class:`~detseg.api.video.VideoSource`, a camera index (an ``int``, or digits naming no
    file), a stream URL, or a path with a video suffix that is no folder and no glob pattern.
    Everything else is images (and the video files of a list or a glob pattern)."""
    if isinstance(source, (VideoSource, int)):  # a bool too: VideoSource refuses it
        return True
    if not isinstance(source, (str, os.PathLike)) or is_blank(source):
        return False
    if is_url(source) or is_camera(source):
        return True
    name = str(os.fspath(source))
    path = Path(name).expanduser()
    if path.is_dir() or is_glob_pattern(name):
        return False
    return path.suffix.lower() in VIDEO_SUFFIXES


def stream_inputs(source: Any, bgr: bool = False) -> Iterator[StreamInput]:
    """The images and video files of ``source`` (not a single video: :func:`is_video_stream`),
    in order, each array, tensor or PIL image converted when it is reached; an image file is an
    :class:`~detseg.api.inputs.ImageFile` and a video file a
    :class:`~detseg.api.media_stream.VideoFile`, which
    :func:`~detseg.api.media_stream.stream_results` decodes and opens when it reaches them.

    Args:
        source: a folder (its images), a glob pattern (its images and videos), an image path,
            a numpy array, a PIL image, a tensor (one image or a batch), or a list, tuple,
            iterator or generator of these or of video files (a list may hold folders and
            patterns too).
        bgr: arrays and tensors hold BGR channels (files and videos are decoded RGB).

    Raises:
        ValueError: raised here, before the first image: a source or list item of another
            kind, a camera index, stream URL or open ``VideoSource`` in a list, a folder
            without image files, a pattern matching no image or video file;
            :class:`~detseg.data.image_io.ImageReadError` for a named image file that is
            missing, unreadable or empty; ``FileNotFoundError`` for a missing video file.
            Raised by the iterator when the item is reached: the errors of its pixels (as
            ``predict``), an image file that cannot be decoded, and any of the above for an
            item of an iterator.
    """
    return iter(_pending(source, bgr))


def _pending(source: Any, bgr: bool) -> Iterable[_Pending]:
    """The images and videos of ``source``, checked as far as the module docstring says before
    any is read."""
    if isinstance(source, Iterator):  # a generator, map(...), Path.glob(...): read lazily
        return _iterator_items(source, bgr)
    if isinstance(source, (list, tuple)):
        count = len(source)
        parts = [
            _item(item, bgr, f"item {i} of the input list: ", f"item {i} of the {count} inputs")
            for i, item in enumerate(source)
        ]
        return chain.from_iterable(parts)
    return _item(source, bgr, "", "")


def _iterator_items(source: Iterator[Any], bgr: bool) -> Iterator[_Pending]:
    for i, item in enumerate(source):  # checked when reached, after the results before it
        where, position = f"item {i} of the input iterator: ", f"item {i} of the inputs"
        yield from _item(item, bgr, where, position, caller="stream-reached")


def _item(
    x: Any, bgr: bool, where: str, position: str, caller: str = "stream"
) -> Iterable[_Pending]:
    """The images and videos of one input: files checked (and patterns, folders expanded)
    now, arrays, tensors and PIL images converted as they are reached; ``caller`` says when
    the files are checked, for a read error among many inputs (``"stream"``: at the call,
    ``"stream-reached"``: an iterator's item, when it is reached)."""
    if isinstance(x, (list, tuple)):
        raise ValueError(f"{where}a list inside the input list; {ACCEPTED}")
    if is_blank(x):  # "": not the current folder, which Path("") is
        kinds = "an image or video file, a folder or a glob pattern"
        raise ValueError(f"{where}{blank_path_message(x, kinds)}")
    if isinstance(x, VideoSource):
        raise ValueError(
            f"{where}an open VideoSource among other inputs; give its file's path in the list "
            "(opened when reached, one video at a time), or stream it on its own: "
            "predictor.stream(video)"
        )
    if isinstance(x, (torch.Tensor, np.ndarray)) or is_pil_image(x):
        return _converted(x, bgr, where)
    named = isinstance(x, (str, os.PathLike, int)) and not isinstance(x, bool)
    if named and is_video_stream(x):
        if isinstance(x, int) or is_url(x) or is_camera(x):
            raise ValueError(
                f"{where}{x!r} is a camera index or a stream URL among other inputs (it runs until "
                f"it ends, the inputs after it would wait); stream it on its own: "
                f"predictor.stream({x!r})"
            )
        return [video_file(x)]  # FileNotFoundError (VideoSource's) now; opened when reached
    if isinstance(x, (str, os.PathLike)) and Path(x).expanduser().is_dir():
        return _folder_images(Path(x).expanduser(), where, caller)
    if isinstance(x, (str, os.PathLike)) and is_glob_pattern(str(os.fspath(x))):
        return _pattern_files(str(os.fspath(x)), where, caller)
    return one_input(x, bgr, where, position, caller)[0]


def _converted(x: Any, bgr: bool, where: str) -> Iterator[PendingImage]:
    """The images of an array, a tensor or a PIL image, converted when reached (a batch one
    image at a time)."""
    if isinstance(x, torch.Tensor) and x.ndim == 4 and x.shape[1] in CHANNELS:
        for i, image in enumerate(x):
            yield InputImage(from_tensor(image, bgr, f"{where}image {i} of the batch tensor: "))
    elif isinstance(x, np.ndarray) and x.ndim == 4 and x.shape[3] in CHANNELS:
        for i, array in enumerate(x):
            yield InputImage(from_array(array, bgr, f"{where}image {i} of the batch array: "))
    else:
        yield from one_input(x, bgr, where, "", caller="stream")[0]


def _folder_images(folder: Path, where: str, caller: str = "stream") -> list[PendingImage]:
    """The image files of ``folder`` (suffix of :data:`~detseg.data.image_io.IMAGE_SUFFIXES`),
    sorted, without its subfolders, as ``tools/infer.py`` scans a folder; each checked as
    ``predict`` checks a pattern's files (it exists, is readable, is not empty).

    A folder that also holds video files gets one warning naming them and the pattern that
    gives them (``predictor.stream("clips/*")``).

    Raises:
        ValueError: the folder holds no image file (naming its videos and that pattern, if
            it holds videos).
        ImageReadError: one of them cannot be opened or is empty (naming it and its place).
    """
    files = folder_images(folder)
    videos = videos_in_folder(folder)
    pattern = folder_pattern(folder)
    if not files and videos:
        raise ValueError(
            f"{where}no image in folder {folder}, but it holds {named_videos(videos)}: a folder "
            f"gives its images only; predictor.stream({pattern!r}) gives its images and the "
            "frames of its videos"
        )
    if videos:
        logger.warning(
            "folder %s holds %s, not read: a folder gives its images only; "
            "predictor.stream(%r) gives its images and the frames of its videos",
            folder,
            named_videos(videos),
            pattern,
        )
    if not files:
        raise ValueError(
            f"{where}no image in folder {folder} (image files end in "
            f"{' '.join(sorted(IMAGE_SUFFIXES))}; subfolders are not searched: give the pattern "
            f"'{folder / '**' / '*'}' for them)"
        )
    images: list[PendingImage] = []
    for i, path in enumerate(files):
        position = f"{where}file {i} of the {len(files)} images in folder {folder}"
        images.extend(one_input(path, False, "", position, caller)[0])
    return images


def _pattern_files(pattern: str, where: str, caller: str = "stream") -> list[_Pending]:
    """The image and video files among the files of the glob ``pattern``
    (:func:`~detseg.image_inputs.pattern_files`, as ``tools/infer.py`` expands one: a leading
    ``~``, ``**`` for any depth of subfolders, ``shots [1]/*.jpg`` in the folder ``shots [1]``;
    other files, annotations, skipped): each image checked as ``predict`` checks a pattern's
    images, each video as :func:`~detseg.api.media_stream.video_file` checks one.

    Raises:
        ValueError: no image or video file matches (naming the pattern and what it matched).
        ImageReadError: a matching image cannot be opened or is empty (naming it and its
            place among the matches).
    """
    files = pattern_files(pattern)
    media = [path for path in files if path.suffix.lower() in (*IMAGE_SUFFIXES, *VIDEO_SUFFIXES)]
    if not media:
        found = f"it matches {len(files)} other file(s)" if files else "it matches nothing"
        raise ValueError(
            f"{where}no image or video file matches the pattern {pattern}; {found} (image "
            f"files end in {' '.join(sorted(IMAGE_SUFFIXES))}, videos in "
            f"{' '.join(sorted(VIDEO_SUFFIXES))}): check the folder and the pattern"
        )
    items: list[_Pending] = []
    for i, path in enumerate(media):
        if path.suffix.lower() in VIDEO_SUFFIXES:
            items.append(video_file(path))
        else:
            position = f"{where}file {i} of the {len(media)} matching {pattern}"
            items.extend(one_input(path, False, "", position, caller)[0])
    return items
