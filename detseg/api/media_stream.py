"""The results of images and of the frames of videos, in input order, as
:meth:`Predictor.stream <detseg.api.predictor.Predictor.stream>` gives them
(:func:`stream_results`).

The inputs are images (:class:`~detseg.api.inputs.InputImage`, or an
:class:`~detseg.api.inputs.ImageFile` decoded when it is reached), video files among them
(:class:`VideoFile`: checked to exist at the call, opened as a
:class:`~detseg.api.video.VideoSource` when reached and closed after its last frame, so one
video is open at a time), or an open ``VideoSource`` (a camera, a stream, a video file). Each
frame becomes one image ``Float32[3, H, W]`` RGB whose result has the video file as its
``path`` (``None`` for a camera or a stream) and the frame's ``frame`` (index from 0) and
``time`` (seconds). A batch may hold the last frames of one video and the first of the next,
or images: only the batch being predicted is held.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from detseg.api.array_images import from_array
from detseg.api.batch_prediction import predict_batches
from detseg.api.inputs import ImageFile, InputImage
from detseg.api.video import VideoSource, video_file_path

if TYPE_CHECKING:
    from detseg.api.predictor import Predictor, Result

__all__ = ["StreamInput", "VideoFile", "stream_results", "video_file"]


@dataclass(frozen=True)
class VideoFile:
    """A video file among the inputs of ``stream``, opened when it is reached.

    Attributes:
        path: the file, checked to exist (:func:`video_file`).
    """

    path: Path


def video_file(source: str | os.PathLike) -> VideoFile:
    """``source`` as a :class:`VideoFile`, checked to exist as a single video is.

    Raises:
        FileNotFoundError: no such file (or a folder), with the message of
            :class:`~detseg.api.video.VideoSource`.
    """
    return VideoFile(video_file_path(source))


#: An input of :func:`stream_results`.
StreamInput = InputImage | ImageFile | VideoFile | VideoSource

#: Where a result's image came from: ``None`` for an image, ``(frame, time)`` for a frame.
_Mark = tuple[int, float] | None


def stream_results(
    predictor: Predictor,
    inputs: Iterable[StreamInput],
    settings: tuple[float | None, frozenset[int] | None, int, bool],
    max_frames: int | None,
    close: bool = True,
) -> Iterator[Result]:
    """The results of ``inputs``: one per image, one per frame of each video, in order.

    Args:
        predictor: the model.
        inputs: images and videos, taken one at a time as the batches are filled.
        settings: ``score_thr``, the kept labels, ``batch_size``, ``mask_probabilities``,
            checked by :meth:`~detseg.api.predictor.Predictor.stream`.
        max_frames: stop after this many results in all (images and frames of every video
            together); the input after the last one is not read (a next video not opened).
        close: close an open ``VideoSource`` of ``inputs`` when its frames end or the stream
            stops (a :class:`VideoFile`, opened here, is always closed).

    Raises:
        ValueError: when it is reached: a video that cannot be opened (``VideoSource``'s
            error naming it) or an image that cannot be decoded, once the results of the inputs
            before it (in its batch too) were given.
    """
    score_thr, labels, batch_size, probabilities = settings
    marks: deque[_Mark] = deque()  # of the images read, not yet given as results
    failures: list[Exception] = []  # the error of the input that ended the images
    images = _images(inputs, marks, close)
    try:
        taken = islice(_until_error(images, failures), max_frames)
        found = predict_batches(predictor, taken, score_thr, batch_size, probabilities, labels)
        for result in found:
            mark = marks.popleft()
            if mark is not None:
                result.frame, result.time = mark
            yield result
        if failures:  # raised once the batch it cut short has given its results
            raise failures[0]
    finally:
        images.close()  # the video being read, if any, is closed


def _until_error(images: Iterator[InputImage], failures: list[Exception]) -> Iterator[InputImage]:
    """``images`` up to the first error an input raises, which is appended to ``failures``
    instead: the images before it, in its batch too, are predicted before it is raised."""
    try:
        yield from images
    except Exception as error:  # an image that cannot be decoded, a video that cannot be opened
        failures.append(error)


def _images(
    inputs: Iterable[StreamInput], marks: deque[_Mark], close: bool
) -> Generator[InputImage, None, None]:
    """The images of ``inputs``, each file decoded and each video opened when reached, with
    the mark of each appended to ``marks`` as it is given."""
    for item in inputs:
        if isinstance(item, ImageFile):
            item = item.read()
        if isinstance(item, InputImage):
            marks.append(None)
            yield item
            continue
        video = VideoSource(item.path) if isinstance(item, VideoFile) else item
        try:
            path = None if video.live else Path(video.name)
            for frame in video:
                marks.append((frame.index, frame.time))
                yield InputImage(from_array(frame.image, False, f"frame {frame.index}: "), path)
        finally:
            if close or isinstance(item, VideoFile):
                video.close()
