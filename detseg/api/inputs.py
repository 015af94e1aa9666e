"""What :meth:`Predictor.predict <detseg.api.predictor.Predictor.predict>` accepts, turned into
detseg images.

One image is any of:

* a path (``str`` or :class:`os.PathLike`) of an image file, read with
  :func:`detseg.data.image_io.read_image` as ``tools/infer.py`` reads it: a JPEG as its EXIF
  orientation displays it (as photo viewers and ``cv2.imread(path)`` show it);
* a numpy array ``[H, W, 3]``: RGB (BGR with ``bgr=True``, as OpenCV gives frames), ``uint8``
  in ``0..255``, ``uint16`` in ``0..65535`` (scaled by 1/65535 as a 16-bit file is) or float in
  ``[0, 1]``; grayscale ``[H, W]`` or ``[H, W, 1]`` (``cv2.IMREAD_GRAYSCALE``) is repeated into
  three channels and RGBA ``[H, W, 4]`` (BGRA with ``bgr=True``: a PNG with alpha) drops its
  alpha channel, without compositing, as :func:`~detseg.data.image_io.read_image` reads such
  files;
* a PIL image (any mode; converted to RGB; 16-bit grayscale scaled by 1/65535 as a 16-bit
  file is, float grayscale (mode ``F``) taken as ``[0, 1]``: see
  :func:`~detseg.api.pil_images.from_pil`), as its pixels are (``Image.open`` does not apply
  EXIF orientation: ``ImageOps.exif_transpose`` does); a file it cannot decode
  (truncated, corrupt), or one closed before the pixels were read (after its ``with
  Image.open(...)`` block), is an :class:`~detseg.data.image_io.ImageReadError` naming the file;
* a tensor ``[3, H, W]``: RGB (BGR with ``bgr=True``), float in ``[0, 1]``, ``uint8`` or
  ``uint16``; grayscale ``[1, H, W]`` and RGBA ``[4, H, W]`` (as ``torchvision.io.decode_image``
  gives them) are turned into RGB as arrays are.

An image has at least one pixel, and float pixels are finite. Many images are a list (or
tuple, or an iterator such as a generator or ``Path.glob(...)``) of these, a tensor
``[B, 3, H, W]`` (or ``[B, 1, H, W]``, ``[B, 4, H, W]``), a numpy array ``[B, H, W, 3]`` (or
``[B, H, W, 1]``, ``[B, H, W, 4]``), or a
glob pattern (a string, ``"photos/*.jpg"``; ``**`` matches any depth of
subfolders): its image files, sorted, as ``tools/infer.py`` expands one (other files skipped).
:func:`as_images` turns any of these into :class:`InputImage` items, each holding the detseg
image ``Float[3, H, W]`` RGB in ``[0, 1]``, and says whether one image was given (one result) or
many (a list). The pixel rules of arrays and tensors are :mod:`detseg.api.array_images`, those
of PIL images :mod:`detseg.api.pil_images`; this module dispatches over the kinds of input.

:func:`pending_images` is the same dispatch with image files left unread: each is an
:class:`ImageFile`, checked up-front (it exists, is a readable, non-empty file) and decoded by
:func:`read_pending` when its batch comes, so ``predict`` on a folder of photos holds one
batch of decoded images at a time, not the whole folder.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from detseg.api.array_images import ACCEPTED, CHANNELS, from_array, from_tensor, refuse_nested
from detseg.api.pil_images import from_pil, is_pil_image
from detseg.api.video_names import (
    VIDEO_SUFFIXES,
    folder_pattern,
    is_camera,
    is_url,
    named_videos,
    videos_in_folder,
)
from detseg.data.image_io import (
    IMAGE_SUFFIXES,
    ImageNotFoundError,
    ImageReadError,
    other_suffix_names,
    read_image,
)
from detseg.image_inputs import (
    blank_path_message,
    folder_images,
    is_blank,
    is_glob_pattern,
    pattern_files,
)

__all__ = [
    "ACCEPTED",
    "ImageFile",
    "InputImage",
    "PendingImage",
    "as_images",
    "one_input",
    "pending_images",
    "read_pending",
]


@dataclass
class InputImage:
    """One image to predict on.

    Attributes:
        image: ``Float32[3, H, W]`` RGB in ``[0, 1]`` (on the device it was given on).
        path: the file it was read from, or ``None``.
    """

    image: torch.Tensor
    path: Path | None = None


@dataclass(frozen=True)
class ImageFile:
    """An image file to read when its batch comes (:func:`read_pending`).

    Attributes:
        path: the file, checked to exist and to be a readable, non-empty file.
        position: where it is among the inputs (``"item 3 of the 10 inputs"``, ``"file 2 of
            the 5 matching photos/*.jpg"``), named by a read error; ``""`` for a single path.
        caller: ``"predict"``, ``"stream"`` (checked at the call) or ``"stream-reached"`` (an
            iterator's item, checked when reached), whose behaviour on an unreadable file a
            read error among many inputs describes (a decoding error: the stream's, when its
            batch comes).
    """

    path: Path
    position: str = ""
    caller: str = "predict"

    def read(self) -> InputImage:
        """The decoded image (``Float32[3, H, W]``, EXIF orientation applied).

        Raises:
            ImageReadError: the file cannot be decoded (with :attr:`position`, if any).
        """
        try:
            return InputImage(read_image(self.path, apply_exif_orientation=True), self.path)
        except ImageReadError as exc:
            if not self.position:
                raise
            caller = "stream-reached" if self.caller == "stream" else self.caller
            raise _named_in_list(exc, self.position, caller) from exc


#: An input of :func:`pending_images`: decoded (arrays, tensors, PIL images) or to be read.
PendingImage = InputImage | ImageFile


def read_pending(items: Iterable[PendingImage]) -> Iterator[InputImage]:
    """``items`` as images, each file read as it is reached (one at a time)."""
    for item in items:
        yield item.read() if isinstance(item, ImageFile) else item


def as_images(x: Any, bgr: bool = False) -> tuple[list[InputImage], bool]:
    """The images of ``x`` and whether ``x`` was one image.

    Args:
        x: one image or many (see the module docstring).
        bgr: numpy arrays and tensors hold BGR channels (OpenCV order): they are reversed.
            Paths and PIL images are RGB whatever this says.

    Returns:
        ``(images, single)``: ``single`` is ``True`` when ``x`` is one image (a path, an array,
        a PIL image or a ``[3, H, W]`` tensor), ``False`` for a list, a tuple, an iterator (a
        generator, ``Path.glob(...)``: read to its end), a ``[B, 3, H, W]`` tensor, a
        ``[B, H, W, 3]`` array or a glob
        pattern that is not an existing file's name (``"photos/*.jpg"``).

    Raises:
        ValueError: an input of another type, shape or dtype, without pixels (``H`` or ``W``
            is 0), or with float pixels that are not finite (NaN, inf) or outside ``[0, 1]``
            (the message names it: its position in a list or a batch, its shape), a folder
            or a video file (by suffix: :data:`~detseg.api.video_names.VIDEO_SUFFIXES`) given as an
            image path, a glob pattern matching no image file, a URL or a camera index
            (:meth:`~detseg.api.predictor.Predictor.stream` takes streams and cameras);
            :class:`~detseg.data.image_io.ImageReadError` (a ``ValueError``) for an image file
            that cannot be read (in a list or a pattern's matches: with its position).
    """
    items, single = pending_images(x, bgr)
    return list(read_pending(items)), single


def pending_images(x: Any, bgr: bool = False) -> tuple[list[PendingImage], bool]:
    """:func:`as_images` with image files left unread: each an :class:`ImageFile`, checked
    here (it exists, is a readable file, is not empty) and decoded by
    :func:`read_pending` (or :meth:`ImageFile.read`). Arrays, tensors and PIL images are
    checked and converted here, as :func:`as_images` does.

    Raises:
        ValueError: as :func:`as_images`, for every input but a file that exists and cannot
            be decoded (that one when it is read).
    """
    if isinstance(x, Iterator):  # a generator, Path.glob(...), map(...): taken as a list
        x = [_snapshot(item) for item in x]
    if isinstance(x, (list, tuple)):
        images: list[PendingImage] = []
        for i, item in enumerate(x):
            if isinstance(item, (list, tuple)):
                raise ValueError(f"item {i} of the input list is itself a list; {ACCEPTED}")
            where = f"item {i} of the input list: "
            images.extend(one_input(item, bgr, where, f"item {i} of the {len(x)} inputs")[0])
        return images, False
    return one_input(x, bgr, where="", position="")


def _snapshot(item: Any) -> Any:
    """An iterator's array or tensor copied as it is taken, anything else as it is.

    A generator of camera frames often yields one buffer filled anew for each frame
    (``cv2.VideoCapture.read(frame)``, a frame grabber's ring buffer): taken as a list without
    a copy, every item would hold the last frame's pixels by the time they are converted.
    """
    if isinstance(item, np.ndarray):
        return item.copy()
    if isinstance(item, torch.Tensor):
        return item.detach().clone()
    return item


def _checked_file(path: Path, position: str, caller: str = "predict") -> ImageFile:
    """``path`` to read later, refused now, as reading it would refuse it, when it is missing,
    cannot be read or is empty (:class:`~detseg.data.image_io.ImageNotFoundError` /
    ``ImageReadError``, naming ``position`` if any): a ``stat`` each, so a typo in the last of
    many paths is found before the first image is decoded. A missing file's message ends in
    what to do, as a missing video's and the command line's do: the image of its stem with
    another suffix that is there (``a.jpg is there: fix the name``), else ``check the path``."""
    problem: ImageReadError | None = None
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        others = other_suffix_names(path)
        advice = f"{', '.join(others)} is there: fix the name" if others else "check the path"
        problem = ImageNotFoundError(path, f"FileNotFoundError: {exc.strerror or exc}; {advice}")
    except OSError as exc:
        problem = ImageReadError(path, f"{type(exc).__name__}: {exc.strerror or exc}")
    else:
        if not os.access(path, os.R_OK):
            problem = ImageReadError(path, "PermissionError: Permission denied")
        elif size == 0:
            problem = ImageReadError(path, "the file is empty")
    if problem is None:
        return ImageFile(path, position, caller)
    if position:
        raise _named_in_list(problem, position, caller)
    raise problem


def one_input(
    x: Any, bgr: bool, where: str, position: str, caller: str = "predict"
) -> tuple[list[PendingImage], bool]:
    """The images of one input of a list (or the input) and whether it is one image:
    ``where`` starts the messages about its pixels, ``position`` names a path among the inputs
    when it cannot be read, ``caller`` (``"predict"``, ``"stream"``, ``"stream-reached"``:
    :class:`ImageFile`) says what such a read error stops."""
    if is_blank(x):  # "": not the current folder, which Path("") is
        raise ValueError(f"{where}{blank_path_message(x)}")
    _refuse_video_source(x, where)
    if isinstance(x, (str, os.PathLike)) and is_glob_pattern(str(os.fspath(x))):
        return _pattern_images(str(os.fspath(x)), where, caller), False
    if isinstance(x, (str, os.PathLike)):
        path = Path(x).expanduser()  # "~/photos/a.jpg": under the home folder
        if path.is_dir():
            raise ValueError(f"{where}{x} is a folder, not an image file; {_folder_hint(x, path)}")
        if path.suffix.lower() in VIDEO_SUFFIXES:
            stream = (
                "predictor.stream of the same inputs gives the images' results and the videos' "
                "frames, in order"
                if where
                else f"predictor.stream({str(x)!r}) gives the results of its frames"
            )
            raise ValueError(
                f"{where}{x} is a video, not an image file; predict takes images: {stream}"
            )
        return [_checked_file(path, position, caller)], True
    if isinstance(x, torch.Tensor):
        refuse_nested(x, where)  # before its shape, which a strided nested tensor cannot give
        if x.ndim == 4 and x.shape[1] in CHANNELS:
            return [
                InputImage(from_tensor(image, bgr, f"{where}image {i} of the batch tensor: "))
                for i, image in enumerate(x)
            ], False
        return [InputImage(from_tensor(x, bgr, where))], True
    if isinstance(x, np.ndarray):
        if x.ndim == 4 and x.shape[3] in CHANNELS:  # [B, H, W, 3]: e.g. np.stack of frames
            return [
                InputImage(from_array(image, bgr, f"{where}image {i} of the batch array: "))
                for i, image in enumerate(x)
            ], False
        return [InputImage(from_array(x, bgr, where))], True
    if is_pil_image(x):
        return [InputImage(from_pil(x, where))], True
    raise ValueError(
        f"{where}cannot predict on a {type(x).__module__}.{type(x).__name__}; {ACCEPTED}"
    )


def _folder_hint(name: Any, folder: Path) -> str:
    """What to give instead of the folder ``folder`` (named ``name``): its images by the
    suffix most of them have (``*.png``; ``*.jpg`` without images), or the pattern of its
    videos when it holds videos only."""
    try:
        images = folder_images(folder)
    except OSError:  # a folder that cannot be listed: the example alone
        images = []
    videos = [] if images else videos_in_folder(folder)
    if videos:
        return (
            f"it holds {named_videos(videos)}: predictor.stream("
            f"{folder_pattern(str(name))!r}) gives the results of their frames"
        )
    suffixes = Counter(path.suffix for path in images)
    glob = f"*{suffixes.most_common(1)[0][0]}" if suffixes else "*.jpg"
    return (
        f"give its images, e.g. predict(sorted(Path({str(name)!r}).glob({glob!r}))), or go "
        f"through them a batch at a time with predictor.stream({str(name)!r})"
    )


#: What ``predict`` and ``stream`` do when one of many images cannot be read: ``"stream"``
#: for a file checked at the call, before the stream's first result; ``"stream-reached"`` for
#: one read (or, an iterator's item, checked) when its batch comes.
_STOPS = {
    "predict": "predict returns no result when one of its images cannot be read",
    "stream": (
        "stream checks the files it is given before its first result and gives no result when "
        "one cannot be read"
    ),
    "stream-reached": "stream stops at an image that cannot be read (after the results before it)",
}


#: The code that predicts on the readable files of ``paths`` (a list of image paths), the
#: unreadable ones appended to the list ``failed`` (their errors logged), as a read error among
#: many inputs advises it.
_SKIPPING = (
    "predictor.predict_images(InputImage(image, path) for path, image in read_images(paths, "
    "failed)) (InputImage from detseg.api, read_images from detseg.image_inputs; paths: your "
    "image paths; failed: a list that gets the unreadable ones)"
)


def _named_in_list(exc: ImageReadError, position: str, caller: str = "predict") -> ImageReadError:
    """``exc`` (of its own class: :class:`~detseg.data.image_io.ImageNotFoundError` stays one)
    with its ``position`` among many inputs and what to do when some files are unreadable."""
    error = type(exc)(exc.path, "")
    error.args = (
        f"{position}: {exc}; {_STOPS[caller]}: remove the file, or skip unreadable files and "
        f"carry on with detseg-infer (tools/infer.py) or with {_SKIPPING}",
    )
    return error


def _refuse_video_source(x: Any, where: str) -> None:
    """Refuse a URL (``https://.../bus.jpg``, ``rtsp://...``) or a camera index (``0``, or
    ``"0"`` naming no file), which Ultralytics' ``predict`` takes, saying where they go."""
    if isinstance(x, str) and is_url(x):
        raise ValueError(
            f"{where}{x} is a URL; predict reads image files and downloads nothing: download the "
            f"image first (urllib.request.urlretrieve), or for a video stream use "
            f"predictor.stream({x!r})"
        )
    if isinstance(x, str) and is_camera(x):
        raise ValueError(
            f"{where}{x!r} names no file; a camera index goes to predictor.stream({x!r}), which "
            "gives the results of the camera's frames"
        )
    if isinstance(x, int) and is_camera(x):
        raise ValueError(
            f"{where}cannot predict on a builtins.int ({x!r}: a camera index goes to "
            f"predictor.stream({x!r}), which gives the results of its frames); {ACCEPTED}"
        )


def _pattern_images(pattern: str, where: str, caller: str = "predict") -> list[PendingImage]:
    """The image files (suffix of :data:`~detseg.data.image_io.IMAGE_SUFFIXES`) among the files
    of the glob ``pattern`` (:func:`~detseg.image_inputs.pattern_files`, as ``tools/infer.py``
    expands one: a leading ``~``, ``**`` for any depth of subfolders, ``shots [1]/*.jpg`` in the
    folder ``shots [1]``), other files (annotations, videos) skipped. Each is an :class:`ImageFile`
    naming its position among the matches, checked by :func:`_checked_file`.

    Raises:
        ValueError: no image file matches (the message names the pattern and what it matched).
        ImageReadError: a matching image file cannot be opened or is empty (the message names
            it and its position among the matches).
    """
    files = pattern_files(pattern)
    images = [path for path in files if path.suffix.lower() in IMAGE_SUFFIXES]
    if not images:
        found = f"it matches {len(files)} other file(s)" if files else "it matches nothing"
        videos = sum(path.suffix.lower() in VIDEO_SUFFIXES for path in files)
        stream = f"; predictor.stream({pattern!r}) gives the frames of its videos" if videos else ""
        raise ValueError(
            f"{where}no image file matches the pattern {pattern}; {found} (image files end in "
            f"{' '.join(sorted(IMAGE_SUFFIXES))}): check the folder and the pattern{stream}"
        )
    files_of_pattern: list[PendingImage] = []
    for i, path in enumerate(images):
        position = f"{where}file {i} of the {len(images)} matching {pattern}"
        files_of_pattern.append(_checked_file(path, position, caller))
    return files_of_pattern
