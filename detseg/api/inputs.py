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
  file is, float grayscale (mode ``F``) taken as ``[0, 1]``: see :func:`_from_pil`), as its
  pixels are (``Image.open`` does not apply EXIF orientation: ``ImageOps.exif_transpose``
  does); a file it cannot decode
  (truncated, corrupt), or one closed before the pixels were read (after its ``with
  Image.open(...)`` block), is an :class:`~detseg.data.image_io.ImageReadError` naming the file;
* a tensor ``[3, H, W]``: RGB (BGR with ``bgr=True``), float in ``[0, 1]``, ``uint8`` or
  ``uint16``; grayscale ``[1, H, W]`` and RGBA ``[4, H, W]`` (as ``torchvision.io.decode_image``
  gives them) are turned into RGB as arrays are.

An image has at least one pixel, and float pixels are finite. Many images are a list (or
tuple, or an iterator such as a generator or ``Path.glob(...)``) of these, a tensor
``[B, 3, H, W]`` (or ``[B, 1, H, W]``, ``[B, 4, H, W]``), a numpy array ``[B, H, W, 3]``, or a
glob pattern (a string, ``"photos/*.jpg"``; ``**`` matches any depth of
subfolders): its image files, sorted, as ``tools/infer.py`` expands one (other files skipped).
:func:`as_images` turns any of these into :class:`InputImage` items, each holding the detseg
image ``Float[3, H, W]`` RGB in ``[0, 1]``, and says whether one image was given (one result) or
many (a list).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch

from detseg.api.video import VIDEO_SUFFIXES, is_camera, is_url
from detseg.data.image_io import IMAGE_SUFFIXES, ImageReadError, read_image

__all__ = ["ACCEPTED", "InputImage", "as_images"]

#: What one image may be, for error messages.
ACCEPTED = (
    "accepted: an image path or a glob pattern, a numpy array [H, W, 3] (uint8 0..255, uint16 "
    "or float 0..1, RGB; bgr=True for OpenCV frames; also gray [H, W] / [H, W, 1], RGBA "
    "[H, W, 4] or a batch [B, H, W, 3]), a PIL image, a tensor [3, H, W] or [B, 3, H, W] "
    "(float 0..1, uint8 or uint16; also 1 or 4 channels), or a list (or an iterator) of these"
)

#: Channel counts of an image: gray, RGB (BGR), RGBA (BGRA).
_CHANNELS = (1, 3, 4)

# float pixels may overshoot 1 by rounding (e.g. after a resize); more means 0..255 values
_FLOAT_TOLERANCE = 1e-3


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
            or a video file (by suffix: :data:`~detseg.api.video.VIDEO_SUFFIXES`) given as an
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
        if x.ndim == 4 and x.shape[1] in _CHANNELS:
            return [
                InputImage(_from_tensor(image, bgr, f"{where}image {i} of the batch tensor: "))
                for i, image in enumerate(x)
            ], False
        return [InputImage(_from_tensor(x, bgr, where))], True
    if isinstance(x, np.ndarray):
        if x.ndim == 4 and x.shape[3] == 3:  # [B, H, W, 3]: a batch, e.g. np.stack of frames
            return [
                InputImage(_from_array(image, bgr, f"{where}image {i} of the batch array: "))
                for i, image in enumerate(x)
            ], False
        return [InputImage(_from_array(x, bgr, where))], True
    if _is_pil_image(x):
        return [InputImage(_from_pil(x, where))], True
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


def _is_pil_image(x: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # no Pillow installed: nothing can be a PIL image
        return False
    return isinstance(x, Image.Image)


def _from_pil(image: Any, where: str) -> torch.Tensor:
    """``Float32[3, H, W]`` RGB in ``[0, 1]`` of a PIL image of any mode.

    Pillow's own ``convert("RGB")`` clips 16-bit and float pixels to ``0..255`` (a white or a
    black image), so grayscale modes of more than 8 bits are read here, then repeated over the
    three channels: 16-bit (``I;16*``) is scaled by 1/65535, as
    :func:`~detseg.data.image_io.read_image` scales a 16-bit file; 32-bit integers (``I``,
    which holds 16-bit PNGs in some Pillow versions) are 16-bit when a value exceeds 255 and
    8-bit otherwise; float (``F``) is taken as ``[0, 1]``, like a float array. Other modes go
    through ``convert("RGB")``.

    Raises:
        ImageReadError: Pillow cannot decode the file the image was opened from (it decodes
            lazily, on first use: a truncated or corrupt file fails here); the message names
            the file and, in a list, the item.
        ValueError: the same for an image without a file name; a mode Pillow cannot convert
            to RGB (``La``); mode ``I`` pixels outside
            ``0..65535``, mode ``F`` pixels outside ``[0, 1]`` or not finite.
    """
    _load_pil(image, where)
    mode = str(image.mode)
    if not (mode.startswith("I;16") or mode in ("I", "F")):
        try:
            converted = image.convert("RGB")
        except ValueError as exc:  # e.g. premultiplied "La": Pillow has no direct conversion
            raise ValueError(
                f"{where}PIL image of mode {mode}: Pillow cannot convert it to RGB ({exc}); "
                "convert it first, e.g. image.convert('LA') for mode La"
            ) from exc
        return _from_array(np.asarray(converted, dtype=np.uint8), False, where)
    gray = np.asarray(image)
    if mode == "F":
        rgb = np.repeat(gray.astype(np.float32)[:, :, None], 3, axis=2)
        return _from_array(rgb, False, f"{where}PIL image of mode F: ")
    low, high = (int(gray.min()), int(gray.max())) if gray.size else (0, 0)
    if low < 0 or high > 65535:
        raise ValueError(
            f"{where}PIL image of mode {mode} has values in {low}..{high}; integer pixels "
            "are read as 8-bit (0..255) or 16-bit (0..65535): scale them to 0..65535, or "
            "pass a float array in [0, 1]"
        )
    scale = 255.0 if mode == "I" and high <= 255 else 65535.0
    unit = gray.astype(np.float32) / scale
    return _from_array(np.repeat(unit[:, :, None], 3, axis=2), False, where)


def _load_pil(image: Any, where: str) -> None:
    """Decode a lazily opened PIL image now, turning Pillow's bare errors into one naming it: a
    file it cannot decode, or a file closed before the pixels were read (Pillow then fails on
    an ``assert``, or an ``AttributeError`` under ``python -O``)."""
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        _pil_error(image, f"{where}Pillow could not decode it ({type(exc).__name__}: {exc})", exc)
    except (AssertionError, AttributeError) as exc:
        if getattr(image, "fp", True) is not None:  # not a closed file
            raise
        reason = (
            f"{where}its file is closed and its pixels were never read (Image.open reads them "
            "on first use); predict inside the `with Image.open(...)` block, or call "
            "image.load() in it"
        )
        _pil_error(image, reason, exc)


def _pil_error(image: Any, reason: str, cause: BaseException) -> NoReturn:
    """Raise :class:`ImageReadError` naming the file ``image`` was opened from (``ValueError``
    for an image without a file name) with ``reason``."""
    filename = getattr(image, "filename", "")
    if filename:
        raise ImageReadError(filename, reason) from cause
    raise ValueError(f"cannot read PIL image: {reason}") from cause


def _from_array(array: np.ndarray, bgr: bool, where: str) -> torch.Tensor:
    """``Float32[3, H, W]`` RGB in ``[0, 1]`` of an ``[H, W, 3]`` array (``[H, W]`` /
    ``[H, W, 1]`` gray and ``[H, W, 4]`` RGBA first made ``[H, W, 3]``: :func:`_three_channels`)."""
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in _CHANNELS:
        hint = ""
        if array.ndim == 3 and array.shape[0] in _CHANNELS:
            hint = " (channels first? numpy images are [H, W, 3]; use a tensor for [3, H, W])"
        raise ValueError(
            f"{where}numpy image of shape {array.shape} is not [H, W, 3]{hint}; {ACCEPTED}"
        )
    array = _three_channels(array, channel_axis=2)
    if not array.dtype.isnative:  # big-endian data (e.g. from FITS files): torch needs native
        array = array.astype(array.dtype.newbyteorder("="))
    _check_dtype(array.dtype, np.issubdtype(array.dtype, np.floating), array.shape, where)
    _check_size(array.shape[0], array.shape[1], "numpy image", array.shape, where)
    if bgr:
        array = array[:, :, ::-1]
    tensor = torch.from_numpy(np.ascontiguousarray(array).transpose(2, 0, 1).copy())
    return _to_unit_float(tensor, where, array.shape)


def _from_tensor(tensor: torch.Tensor, bgr: bool, where: str) -> torch.Tensor:
    """``Float32[3, H, W]`` RGB in ``[0, 1]`` of a ``[3, H, W]`` tensor (``[1, H, W]`` gray and
    ``[4, H, W]`` RGBA first made ``[3, H, W]``: :func:`_three_channels`)."""
    shape = tuple(tensor.shape)
    if tensor.ndim != 3 or tensor.shape[0] not in _CHANNELS:
        hint = ""
        if tensor.ndim == 3 and tensor.shape[2] in _CHANNELS:
            hint = " (channels last? tensors are [3, H, W]: use image.permute(2, 0, 1))"
        raise ValueError(f"{where}tensor of shape {shape} is not [3, H, W]{hint}; {ACCEPTED}")
    tensor = _three_channels(tensor, channel_axis=0)
    _check_dtype(tensor.dtype, tensor.dtype.is_floating_point, shape, where)
    _check_size(shape[1], shape[2], "tensor", shape, where)
    if bgr:
        tensor = tensor.flip(0)
    return _to_unit_float(tensor.detach(), where, shape)


def _three_channels(image: Any, channel_axis: int) -> Any:
    """``image`` (numpy array or tensor) with 3 channels on ``channel_axis``: one gray channel
    repeated, the 4th (alpha) channel dropped without compositing, as
    :func:`~detseg.data.image_io.read_image` reads gray and RGBA files."""
    channels = image.shape[channel_axis]
    if channels == 1:
        if isinstance(image, torch.Tensor):
            return image.expand(3, -1, -1) if channel_axis == 0 else image.expand(-1, -1, 3)
        return np.repeat(image, 3, axis=channel_axis)
    if channels == 4:
        return image[:3] if channel_axis == 0 else image[:, :, :3]
    return image


def _check_dtype(dtype: Any, floating: bool, shape: Sequence[int], where: str) -> None:
    """Refuse pixels that are neither float nor ``uint8`` / ``uint16``."""
    if not floating and dtype not in (np.uint8, torch.uint8, np.uint16, torch.uint16):
        raise ValueError(
            f"{where}image of shape {tuple(shape)} has dtype {dtype}; pixels must be uint8 "
            f"(0..255), uint16 (0..65535) or float (0..1); {ACCEPTED}"
        )


def _check_size(height: int, width: int, kind: str, shape: Sequence[int], where: str) -> None:
    """Refuse an image without pixels (the model's resize would divide by its size)."""
    if height < 1 or width < 1:
        raise ValueError(
            f"{where}{kind} of shape {tuple(shape)} is empty ({width}x{height} pixels); give an "
            "image of at least 1x1 pixels"
        )


def _to_unit_float(tensor: torch.Tensor, where: str, shape: Sequence[int]) -> torch.Tensor:
    """``uint8`` divided by 255, ``uint16`` by 65535 (as a 16-bit file is read); float checked
    to be finite and to lie in ``[0, 1]``, and made ``float32``."""
    if tensor.dtype == torch.uint8:
        return tensor.float() / 255.0
    if tensor.dtype == torch.uint16:
        return tensor.float() / 65535.0
    image = tensor.float()
    finite = torch.isfinite(tensor)  # before the cast: a float64 1e300 is finite, not inf
    if not bool(finite.all()):
        bad = int(finite.numel() - finite.sum())
        raise ValueError(
            f"{where}float image of shape {tuple(shape)} has {bad} non-finite pixel value(s) "
            "(NaN or inf); float pixels must lie in [0, 1] (replace them, e.g. with "
            "torch.nan_to_num or np.nan_to_num, before predicting)"
        )
    if image.numel():
        low, high = float(image.min()), float(image.max())
        if low < -_FLOAT_TOLERANCE or high > 1 + _FLOAT_TOLERANCE:
            raise ValueError(
                f"{where}float image of shape {tuple(shape)} has values in {low:g}..{high:g}; "
                "float pixels must lie in [0, 1] (divide 0..255 values by 255, or pass uint8)"
            )
    return image.clamp(0.0, 1.0)
