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
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from detseg.api.array_images import ACCEPTED, CHANNELS, from_array, from_tensor
from detseg.api.pil_images import from_pil, is_pil_image
from detseg.api.video_names import VIDEO_SUFFIXES, is_camera, is_url
from detseg.data.image_io import IMAGE_SUFFIXES, ImageReadError, read_image

__all__ = ["ACCEPTED", "InputImage", "as_images"]


@dataclass
class InputImage:
    """One image to predict on.

    Attributes:
        image: ``Float32[3, H, W]`` RGB in ``[0, 1]`` (on the device it was given on).
        path: the file it was read from, or ``None``.
    """

    image: torch.Tensor
    path: Path | None = None


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
    if isinstance(x, Iterator):  # a generator, Path.glob(...), map(...): taken as a list
        x = list(x)
    if isinstance(x, (list, tuple)):
        images: list[InputImage] = []
        for i, item in enumerate(x):
            if isinstance(item, (list, tuple)):
                raise ValueError(f"item {i} of the input list is itself a list; {ACCEPTED}")
            try:
                images.extend(_one_or_batch(item, bgr, where=f"item {i} of the input list: ")[0])
            except ImageReadError as exc:
                if not isinstance(item, (str, os.PathLike)) or exc.path != _as_path(item):
                    raise  # a PIL image (its message names the item) or a pattern's file
                raise _named_in_list(exc, f"item {i} of the {len(x)} inputs") from exc
        return images, False
    return _one_or_batch(x, bgr, where="")


def _one_or_batch(x: Any, bgr: bool, where: str) -> tuple[list[InputImage], bool]:
    _refuse_video_source(x, where)
    if isinstance(x, (str, os.PathLike)) and _is_pattern(str(os.fspath(x))):
        return _pattern_images(str(os.fspath(x)), where), False
    if isinstance(x, (str, os.PathLike)):
        path = Path(x).expanduser()  # "~/photos/a.jpg": under the home folder
        if path.is_dir():
            raise ValueError(
                f"{where}{x} is a folder, not an image file; give its images, e.g. "
                f"predict(sorted(Path({str(x)!r}).glob('*.jpg')))"
            )
        if path.suffix.lower() in VIDEO_SUFFIXES:
            raise ValueError(
                f"{where}{x} is a video, not an image file; predict takes images: "
                f"predictor.stream({str(x)!r}) gives the results of its frames"
            )
        return [InputImage(read_image(path, apply_exif_orientation=True), path)], True
    if isinstance(x, torch.Tensor):
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


def _as_path(item: str | os.PathLike) -> Path:
    return Path(item).expanduser()


def _named_in_list(exc: ImageReadError, position: str) -> ImageReadError:
    """``exc`` (of its own class: :class:`~detseg.data.image_io.ImageNotFoundError` stays one)
    with its ``position`` among many inputs and what to do when some files are unreadable."""
    error = type(exc)(exc.path, "")
    error.args = (
        f"{position}: {exc}; predict returns no result when one of its images cannot be read: "
        "remove the file, or use tools/infer.py (or predictor.predict_images on "
        "detseg.image_inputs.read_images), which skips unreadable files and carries on",
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


def _is_pattern(name: str) -> bool:
    """``name`` is a glob pattern (``*``, ``?`` or ``[``) and no existing file's name."""
    return glob.has_magic(name) and not Path(name).expanduser().exists()


def _pattern_images(pattern: str, where: str) -> list[InputImage]:
    """The image files (suffix of :data:`~detseg.data.image_io.IMAGE_SUFFIXES`) matching the
    glob ``pattern``, sorted and read, as ``tools/infer.py`` expands one: ``**`` matches any
    depth of subfolders, other files (annotations, videos) are skipped.

    Raises:
        ValueError: no image file matches (the message names the pattern and what it matched).
        ImageReadError: a matching image file cannot be read (the message names it and its
            position among the matches).
    """
    matches = sorted(glob.glob(os.path.expanduser(pattern), recursive=True))
    files = [Path(match) for match in matches if Path(match).is_file()]
    images = [path for path in files if path.suffix.lower() in IMAGE_SUFFIXES]
    if not images:
        found = f"it matches {len(files)} other file(s)" if files else "it matches nothing"
        raise ValueError(
            f"{where}no image file matches the pattern {pattern}; {found} (image files end in "
            f"{' '.join(sorted(IMAGE_SUFFIXES))}): check the folder and the pattern"
        )
    read: list[InputImage] = []
    for i, path in enumerate(images):
        try:
            read.append(InputImage(read_image(path, apply_exif_orientation=True), path))
        except ImageReadError as exc:
            where_in = f"{where}file {i} of the {len(images)} matching {pattern}"
            raise _named_in_list(exc, where_in) from exc
    return read
