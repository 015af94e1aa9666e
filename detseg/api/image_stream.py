"""What :meth:`Predictor.stream <detseg.api.predictor.Predictor.stream>` runs on: a video, or
images (a folder, a glob pattern, a path, a list, an iterator or a generator of images) read
lazily, a batch at a time (:func:`stream_source`).

:func:`is_video_stream` tells a video source (its frames) from images, as ``tools/infer.py``
and :mod:`detseg.api.inputs` tell them: a camera index or a stream URL is a video; an existing
folder gives its image files (sorted, no subfolders, videos skipped, as ``tools/infer.py``
scans a folder); a glob pattern gives its image files (as ``predict`` expands one: videos
skipped); any other path is a video by its suffix
(:data:`~detseg.api.video_names.VIDEO_SUFFIXES`), else an image.

:func:`stream_images` turns the images into :class:`~detseg.api.inputs.InputImage` items one
at a time. What is checked when:

* at the call, before the first result: the kind of the source and of each item of a list or
  tuple (a video, URL or camera index among images is refused), the files named by a path, a
  folder, a glob pattern or the paths of a list (each exists, is readable and not empty), as
  ``predict`` checks them;
* when its item is reached (its batch is taken): the pixels of an array, a tensor or a PIL
  image (shape, dtype, values), the decoding of each file (a corrupt file raises
  :class:`~detseg.data.image_io.ImageReadError` naming it, as ``predict`` does: the stream
  stops there), and everything about each item of an iterator or a generator, which is read
  one item at a time and never read ahead of the batch being filled.

Nothing is decoded or converted before its batch: a ``[B, H, W, 3]`` array or a
``[B, 3, H, W]`` tensor is converted one image at a time.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from detseg.api.array_images import ACCEPTED, CHANNELS, from_array, from_tensor
from detseg.api.batch_prediction import predict_batches, stream_results
from detseg.api.inputs import ImageFile, InputImage, PendingImage, one_input
from detseg.api.pil_images import is_pil_image
from detseg.api.video import VideoSource
from detseg.api.video_names import VIDEO_SUFFIXES, is_camera, is_url
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.image_inputs import folder_images

if TYPE_CHECKING:
    from detseg.api.predictor import Predictor, Result

__all__ = ["is_video_stream", "stream_images", "stream_source"]


def stream_source(
    predictor: Predictor,
    source: Any,
    settings: tuple[float | None, frozenset[int] | None, int, bool],
    max_frames: int | None,
    bgr: bool,
) -> Iterator[Result]:
    """The results of ``source``, a video's frames or images, one at a time (``settings``:
    ``score_thr``, the kept labels, ``batch_size``, ``mask_probabilities``, checked by
    :meth:`~detseg.api.predictor.Predictor.stream`).

    Raises:
        ValueError: ``bgr`` for a video, and what :func:`stream_images` or
            :class:`~detseg.api.video.VideoSource` raise before the first result.
    """
    if not is_video_stream(source):
        score_thr, labels, batch_size, probabilities = settings
        images = islice(stream_images(source, bgr=bgr), max_frames)
        return predict_batches(predictor, images, score_thr, batch_size, probabilities, labels)
    if bgr:
        raise ValueError(
            "bgr=True is for numpy arrays and tensors given to predict or stream; the frames "
            "of a video are decoded to RGB: leave bgr out"
        )
    if isinstance(source, VideoSource):
        source.check_open()
    video = source if isinstance(source, VideoSource) else VideoSource(source)
    return stream_results(predictor, video, settings, max_frames, close=video is not source)


def is_video_stream(source: Any) -> bool:
    """``source`` is a video for :meth:`~detseg.api.predictor.Predictor.stream`: an open
    :class:`~detseg.api.video.VideoSource`, a camera index (an ``int``, or digits naming no
    file), a stream URL, or a path with a video suffix that is no folder and no glob pattern.
    Everything else is images."""
    if isinstance(source, (VideoSource, int)):  # a bool too: VideoSource refuses it
        return True
    if not isinstance(source, (str, os.PathLike)):
        return False
    if is_url(source) or is_camera(source):
        return True
    name = str(os.fspath(source))
    path = Path(name).expanduser()
    if path.is_dir() or (glob.has_magic(name) and not path.exists()):
        return False
    return path.suffix.lower() in VIDEO_SUFFIXES


def stream_images(source: Any, bgr: bool = False) -> Iterator[InputImage]:
    """The images of ``source`` (not a video: :func:`is_video_stream`), each decoded or
    converted when it is reached.

    Args:
        source: a folder, a glob pattern, an image path, a numpy array, a PIL image, a tensor
            (one image or a batch), or a list, tuple, iterator or generator of these (a list
            may hold folders and patterns too).
        bgr: arrays and tensors hold BGR channels.

    Raises:
        ValueError: raised here, before the first image: a source or list item of another
            kind, a video, URL or camera index in a list, a folder without image files, a
            pattern matching none; :class:`~detseg.data.image_io.ImageReadError` for a named
            file that is missing, unreadable or empty. Raised by the iterator when the item is
            reached: the errors of its pixels (as ``predict``), a file that cannot be decoded,
            and any of the above for an item of an iterator.
    """
    return _read(_pending(source, bgr))


def _read(items: Iterable[PendingImage]) -> Iterator[InputImage]:
    """``items`` as images, each file decoded as it is reached."""
    for item in items:
        yield item.read() if isinstance(item, ImageFile) else item


def _pending(source: Any, bgr: bool) -> Iterable[PendingImage]:
    """The images of ``source``, checked as far as the module docstring says before any is
    read."""
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


def _iterator_items(source: Iterator[Any], bgr: bool) -> Iterator[PendingImage]:
    for i, item in enumerate(source):
        yield from _item(item, bgr, f"item {i} of the input iterator: ", f"item {i} of the inputs")


def _item(x: Any, bgr: bool, where: str, position: str) -> Iterable[PendingImage]:
    """The images of one input: files checked (and patterns, folders expanded) now, arrays,
    tensors and PIL images converted as they are reached."""
    if isinstance(x, (list, tuple)):
        raise ValueError(f"{where}a list inside the input list; {ACCEPTED}")
    if isinstance(x, (torch.Tensor, np.ndarray)) or is_pil_image(x):
        return _converted(x, bgr, where)
    named = isinstance(x, (str, os.PathLike, int)) and not isinstance(x, bool)
    if where and named and is_video_stream(x):
        raise ValueError(
            f"{where}{x} is a video, a camera or a stream URL among images; stream one of "
            f"those on its own: predictor.stream({x!r})"
        )
    if isinstance(x, (str, os.PathLike)) and Path(x).expanduser().is_dir():
        return _folder_images(Path(x).expanduser(), where)
    return one_input(x, bgr, where, position, caller="stream")[0]


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


def _folder_images(folder: Path, where: str) -> list[PendingImage]:
    """The image files of ``folder`` (suffix of :data:`~detseg.data.image_io.IMAGE_SUFFIXES`),
    sorted, without its subfolders, as ``tools/infer.py`` scans a folder; each checked as
    ``predict`` checks a pattern's files (it exists, is readable, is not empty).

    Raises:
        ValueError: the folder holds no image file.
        ImageReadError: one of them cannot be opened or is empty (naming it and its place).
    """
    files = folder_images(folder)
    if not files:
        raise ValueError(
            f"{where}no image in folder {folder} (image files end in "
            f"{' '.join(sorted(IMAGE_SUFFIXES))}; subfolders are not searched: give the pattern "
            f"'{folder / '**' / '*'}' for them)"
        )
    images: list[PendingImage] = []
    for i, path in enumerate(files):
        position = f"{where}file {i} of the {len(files)} images in folder {folder}"
        images.extend(one_input(path, False, "", position, caller="stream")[0])
    return images
