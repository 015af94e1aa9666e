"""Reading images from disk into the detseg image contract.

Every image enters detseg as ``float32`` RGB in ``[0, 1]``: as a ``[3, H, W]`` tensor from
:func:`read_image`, or as an ``[H, W, 3]`` numpy array from :func:`read_image_array` (the form
albumentations works on). Decoding is done by OpenCV with ``IMREAD_UNCHANGED`` so that the bit
depth and the channel count of the file are seen as stored:

* grayscale (``[H, W]`` or ``[H, W, 1]``) is repeated into three channels;
* BGR is reordered to RGB;
* BGRA (PNG/TIFF/WebP with alpha) drops the alpha channel and keeps the colour channels as
  stored (no compositing), which is what PIL's ``convert("RGB")`` does as well;
* ``uint8`` is divided by 255, ``uint16`` (16-bit PNG/TIFF) by 65535; floating point files
  (a float32 TIFF) must hold ``0..1``: NaN is read as 0, inf as 1, values below 0 as 0 and an
  overshoot up to 2 (a resize's ringing) as 1, while a file whose finite pixels exceed that
  (0..255 or 0..65535 values saved as float) is refused as unreadable
  (:class:`ImageReadError`: training skips and counts it, ``detseg-check-data`` reports it),
  not clipped to white. Arrays given to a predictor follow :mod:`detseg.api.array_images`,
  which refuses NaN, inf and values below 0 as well.

EXIF orientation of a JPEG (the tag a phone or camera writes instead of rotating the pixels,
:func:`exif_orientation`) is applied only where it is asked for (``apply_exif_orientation``, the
option's name in ``torchvision.io.decode_image``, off by default as there):

* prediction on image files (``tools/infer.py``, :func:`detseg.image_inputs.read_images`)
  applies it, as image viewers, ``cv2.imread``, Ultralytics and Detectron2 do: the model sees
  the photo upright, and boxes and masks refer to the image as displayed;
* a YOLO dataset reads every image as displayed, as Ultralytics (the reference of the format)
  reads its training images with ``cv2.imread`` and sizes them with ``exif_size``: YOLO labels
  state no image size and are normalized by the displayed image's width and height
  (:func:`displayed_size`);
* a COCO or VOC dataset, or a segmentation dataset, follows its annotations: they were drawn on
  the displayed image when they state its displayed size, which tells the two apart for the
  orientations that swap width and height (5..8, the 90-degree rotations): such an image is
  read as displayed when its stated ``(height, width)`` (a COCO image entry, a VOC ``<size>``)
  or its label map (segmentation) is the stored size transposed
  (:func:`labels_follow_orientation`), and as stored otherwise. For orientations 2..4 (a
  mirror or a half turn keeps the size) it is read as stored, as Pillow's header size and
  ``torchvision`` read it.

The first JPEG of a process read as stored although it is tagged as rotated or mirrored (2..8)
is named in one warning: if its labels were drawn on the displayed image, bake the rotation into
the files (``PIL.ImageOps.exif_transpose``) before training. TIFF is the exception: its own
orientation tag is applied by OpenCV and Pillow alike, so the pixels and the header size agree
there too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

if TYPE_CHECKING:  # imported by read_image: the numpy readers serve torch-free evaluations
    import torch

__all__ = [
    "IMAGE_SUFFIXES",
    "is_image_name",
    "ImageNotFoundError",
    "ImageReadError",
    "apply_orientation",
    "displayed_size",
    "exif_orientation",
    "file_exif_orientation",
    "labels_follow_orientation",
    "other_suffix_names",
    "read_image",
    "read_image_array",
    "read_rgb_array",
]

#: The image files detseg lists in a folder (lower case; compared with ``suffix.lower()``):
#: the training datasets, ``check_data``, the converter and the predictor use this one list.
IMAGE_SUFFIXES: tuple[str, ...] = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


def is_image_name(path: Path) -> bool:
    """Whether a folder scan takes ``path`` as an image: a suffix of :data:`IMAGE_SUFFIXES` in
    any case, and not hidden (macOS writes ``._IMG_0001.jpg`` beside each photo copied to a
    shared drive, metadata that no reader decodes; the pattern ``folder/*`` leaves it out too).
    """
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


logger = logging.getLogger(__name__)

#: EXIF tag of the orientation, and what its values 2..8 do to the displayed image.
_ORIENTATION_TAG = 0x0112
_ORIENTATIONS = {
    2: "mirrored",
    3: "rotated 180 degrees",
    4: "mirrored vertically",
    5: "mirrored and rotated",
    6: "rotated 90 degrees clockwise",
    7: "mirrored and rotated",
    8: "rotated 90 degrees counter-clockwise",
}
# A JPEG's EXIF block (at most 64 KiB) comes first among its header segments, before the pixels.
_EXIF_SEARCH_BYTES = 1 << 18
# Only the first such file of a process is reported: a dataset of phone photos has thousands.
_orientation_reported = False


class ImageReadError(ValueError):
    """An image file is missing, unreadable, or not a decodable image.

    Attributes:
        path: The offending file.
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = Path(path)
        super().__init__(f"cannot read image {self.path}: {reason}")


class ImageNotFoundError(ImageReadError, FileNotFoundError):
    """The image file does not exist: an :class:`ImageReadError` that ``except
    FileNotFoundError`` catches too."""


def other_suffix_names(path: Path) -> list[str]:
    """The images beside the missing image ``path`` with its stem and another suffix (``a.jpg``
    for ``a.png``: an annotation of the wrong suffix, a folder re-encoded), at most 3. A few
    ``stat`` calls (each suffix of :data:`IMAGE_SUFFIXES`, lower and upper case), not a
    listing of the folder: it runs for every missing image of a large dataset."""
    names = {path.stem + suffix for low in IMAGE_SUFFIXES for suffix in (low, low.upper())}
    names.discard(path.name)
    return sorted(name for name in names if (path.parent / name).is_file())[:3]


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """Decode ``path`` with OpenCV (``IMREAD_UNCHANGED``, stored pixel order): the array and the
    file's EXIF orientation (``1..8``), or raise :class:`ImageReadError`."""
    try:
        # imdecode on the raw bytes instead of imread: same decoder, but the failure reason
        # (missing file vs. undecodable content) can be told apart, and any path encoding works.
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:  # missing file, directory, permission denied
        if isinstance(exc, FileNotFoundError):
            others = other_suffix_names(path)
            there = f"; {', '.join(others)} is there: fix the name" if others else ""
            reason = f"FileNotFoundError: {exc.strerror or exc}{there}"
            raise ImageNotFoundError(path, reason) from exc
        raise ImageReadError(path, f"{type(exc).__name__}: {exc.strerror or exc}") from exc
    if data.size == 0:
        raise ImageReadError(path, "the file is empty")
    try:
        array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise ImageReadError(path, _opencv_failure(exc)) from exc
    if array is None or array.size == 0:
        raise ImageReadError(path, _undecodable(path))
    return array, exif_orientation(data)


def _undecodable(path: Path) -> str:
    """Why OpenCV decoded nothing from ``path``: a damaged file of an image format it reads, or
    a format it does not read (HEIC, TGA, a text file ...), which the reason names with the
    formats to convert it to."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "not a valid or supported image (OpenCV could not decode it)"
    kind = f"a {suffix} file" if suffix else "a file without a suffix"
    return (
        f"{kind} that OpenCV could not decode: not an image format detseg reads; convert it to "
        f"one of {' '.join(IMAGE_SUFFIXES)} (PNG or JPEG)"
    )


def _opencv_failure(exc: cv2.error) -> str:
    """Why OpenCV refused a file, on one line; its pixel limit (``2**30`` unless the
    environment variable ``OPENCV_IO_MAX_IMAGE_PIXELS`` sets another) said as such."""
    text = " ".join(str(exc).split())
    if "CV_IO_MAX_IMAGE_PIXELS" in text:
        limit = os.environ.get("OPENCV_IO_MAX_IMAGE_PIXELS", str(1 << 30))
        return (
            f"it has more pixels than OpenCV reads ({limit}); set the environment variable "
            "OPENCV_IO_MAX_IMAGE_PIXELS to a larger number (before Python starts), or tile the "
            "image"
        )
    return f"OpenCV failed to decode it ({text})"


def exif_orientation(data: np.ndarray | bytes) -> int:
    """The EXIF orientation (``1..8``) of a JPEG's bytes; ``1`` (as stored) for other files,
    a JPEG without the tag, or unreadable EXIF.

    Cheap, and independent of the image size: the JPEG's header segments are walked up to its
    EXIF block (which JPEG keeps before the pixels), and only that block is parsed (by Pillow's
    ``Image.Exif``). ``Image.open`` would refuse a photo of over 179 million pixels as a
    "decompression bomb" before its EXIF could be read.
    """
    if bytes(data[:2]) != b"\xff\xd8":  # not a JPEG: nothing copied
        return 1
    block = _jpeg_exif_block(bytes(data[:_EXIF_SEARCH_BYTES]))
    if block is None:
        return 1
    try:
        exif = Image.Exif()
        exif.load(block)
        value = exif.get(_ORIENTATION_TAG, 1)
    except (OSError, ValueError, SyntaxError, struct.error):  # unreadable EXIF: taken as upright
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def file_exif_orientation(path: str | os.PathLike) -> int:
    """The EXIF orientation (``1..8``) of an image file (:func:`exif_orientation` of its first
    bytes, which hold a JPEG's EXIF block); ``1`` for an unreadable file."""
    try:
        with open(path, "rb") as file:
            head = file.read(_EXIF_SEARCH_BYTES)
    except OSError:
        return 1
    return exif_orientation(head)


def displayed_size(path: str | os.PathLike) -> tuple[int, int] | None:
    """``(H, W)`` of an image file as displayed: its header's (stored) size, transposed when
    its EXIF orientation swaps width and height (5..8), as ``cv2.imread`` turns the pixels.
    ``None`` for a missing or unreadable file (no pixels are decoded)."""
    try:
        with pillow_pixel_limit_lifted(), Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError, SyntaxError):
        return None
    if file_exif_orientation(path) in (5, 6, 7, 8):
        return width, height
    return height, width


def _jpeg_exif_block(head: bytes) -> bytes | None:
    """The ``Exif\\0\\0...`` payload of the APP1 segment among the header segments of a JPEG
    whose first bytes are ``head``; ``None`` for another file or a JPEG without one."""
    if not head.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 4 <= len(head) and head[pos] == 0xFF:
        marker = head[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the pixels follow, no more header segments
            return None
        length = int.from_bytes(head[pos + 2 : pos + 4], "big")
        payload = head[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            return payload
        pos += 2 + length
    return None


def report_stored_orientation(path: str | os.PathLike, orientation: int) -> None:
    """Warn (once per process) that an image tagged with a rotating or mirroring EXIF
    ``orientation`` (2..8) is read as stored; nothing for ``1``."""
    global _orientation_reported
    if orientation == 1 or _orientation_reported:
        return
    _orientation_reported = True
    logger.warning(
        "%s has EXIF orientation %d (viewers show it %s) and is read as stored, not as "
        "displayed: its boxes, masks and annotated size must refer to the stored pixels (if "
        "they were drawn on the displayed image, apply PIL.ImageOps.exif_transpose to the "
        "files first); further such images are not reported",
        path,
        orientation,
        _ORIENTATIONS[orientation],
    )


def apply_orientation(array: np.ndarray, orientation: int) -> np.ndarray:
    """The stored pixels ``[H, W, ...]`` as a viewer displays them under EXIF ``orientation``
    (``1..8``), as ``PIL.ImageOps.exif_transpose`` turns them; 5..8 give ``[W, H, ...]``.

    A view (not a copy) of ``array``.
    """
    if orientation in (5, 6, 7, 8):
        array = array.swapaxes(0, 1)  # transpose: 5 as is; 6, 7, 8 flip it further below
    if orientation in (2, 3, 6, 7):
        array = array[:, ::-1]
    if orientation in (3, 4, 7, 8):
        array = array[::-1]
    return array


def labels_follow_orientation(
    orientation: int, stored: tuple[int, int], stated: tuple[int, int] | None
) -> bool:
    """Whether labels stating the size ``stated = (H, W)`` were drawn on the displayed image of
    a file of ``stored = (H, W)`` pixels and EXIF ``orientation``: only an orientation that
    swaps the axes (5..8) on a non-square image tells, by a stated size that is the stored one
    transposed."""
    swapped = (stored[1], stored[0])
    return orientation in (5, 6, 7, 8) and stated == swapped and swapped != stored


@contextlib.contextmanager
def pillow_pixel_limit_lifted() -> Iterator[None]:
    """Pillow's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``, ~179 million pixels)
    lifted inside the block, restored after it: for header reads, which decode no pixels, of
    large aerial or slide images that OpenCV decodes (its limit is ``2**30`` pixels)."""
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = limit


#: The largest finite float pixel read as a ``0..1`` image (clipped): a bicubic or Lanczos
#: resize of one overshoots 1 by some 10 %; past this, the file holds ``0..255`` (or
#: ``0..65535``) values, which clipping would turn white.
_FLOAT_LIMIT = 2.0


def _check_pixel_type(array: np.ndarray, path: str | os.PathLike) -> None:
    """Raise ``ImageReadError`` unless the pixels are ``uint8``, ``uint16`` or float, and float
    ones at most :data:`_FLOAT_LIMIT` where finite (NaN and inf are not counted): the error
    names the scale to divide by (255, or 65535 past 255)."""
    if array.dtype in (np.uint8, np.uint16):
        return
    if not np.issubdtype(array.dtype, np.floating):
        raise ImageReadError(
            path, f"unsupported pixel type {array.dtype} (expected 8/16-bit or float)"
        )
    finite = array[np.isfinite(array)]
    high = float(finite.max()) if finite.size else 0.0
    if high > _FLOAT_LIMIT:
        scale = 255 if high <= 255 else 65535
        raise ImageReadError(
            path, f"float pixels up to {high:g}: expected 0..1; divide by {scale} and save again"
        )


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    """Stored pixels (``uint8``, ``uint16``, or float in ``[0, 1]``) as ``uint8``, for drawing
    (16-bit values divided by 257, floats clipped to ``[0, 1]`` and scaled by 255)."""
    if rgb.dtype == np.uint8:
        return rgb
    if rgb.dtype == np.uint16:
        return (rgb // 257).astype(np.uint8)
    return (np.clip(np.nan_to_num(rgb.astype(np.float32)), 0, 1) * 255).round().astype(np.uint8)


def to_unit_float(array: np.ndarray, path: str | os.PathLike) -> np.ndarray:
    """Pixels as ``float32`` in ``[0, 1]``: ``uint8`` divided by 255, ``uint16`` by 65535, float
    taken as ``0..1`` (not scaled: NaN made 0, inf 1, values below 0 made 0 and an overshoot
    up to 2, a resize's ringing, made 1).

    Args:
        array: Pixels as decoded (``uint8``, ``uint16`` or float).
        path: The file they came from (named in the error).

    Raises:
        ImageReadError: Another pixel type, or float pixels whose finite maximum is above 2
            (0..255 values saved as float), named with the fix.
    """
    _check_pixel_type(array, path)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    return np.clip(np.nan_to_num(array.astype(np.float32)), 0.0, 1.0)


def _to_rgb(array: np.ndarray, path: Path) -> np.ndarray:
    """Turn a decoded OpenCV array (gray, BGR or BGRA) into ``[H, W, 3]`` RGB."""
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ImageReadError(path, f"unexpected decoded shape {array.shape}")
    channels = array.shape[2]
    if channels == 1:
        return np.repeat(array, 3, axis=2)
    if channels == 3:
        return array[:, :, ::-1]
    if channels == 4:
        return array[:, :, 2::-1]  # BGRA -> RGB, alpha dropped
    raise ImageReadError(path, f"unsupported channel count {channels} (expected 1, 3 or 4)")


def _check_path(path: object) -> None:
    """Refuse a ``path`` that is no file path, naming what it is; pixels already in memory
    go to a model through ``detseg.load(...).predict``, which takes arrays, PIL images and
    tensors.

    Raises:
        TypeError: ``path`` is not a ``str`` or ``os.PathLike``.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"an image path must be a str or os.PathLike, got {type(path).__name__}; "
            "detseg.load(checkpoint).predict(x) takes numpy arrays, PIL images and tensors"
        )


def read_stored_rgb(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """An image file's RGB pixels in stored order and type, and its EXIF orientation.

    For a caller that decides per image whether to apply the orientation
    (:func:`labels_follow_orientation`, :func:`apply_orientation`); nothing is logged.

    Returns:
        ``([H, W, 3]`` RGB array as :func:`read_rgb_array` gives it, orientation ``1..8``).

    Raises:
        ImageReadError: As :func:`read_rgb_array`.
        TypeError: ``path`` is no path (``None``, a number, an array: see :func:`_check_path`).
    """
    _check_path(path)
    path = Path(path)
    array, orientation = _decode(path)
    rgb = _to_rgb(array, path)
    _check_pixel_type(rgb, path)
    return rgb, orientation


def read_rgb_array(path: str | os.PathLike, apply_exif_orientation: bool = False) -> np.ndarray:
    """Read an image file as RGB pixels in their stored type (``uint8`` for most files).

    Four times smaller than :func:`read_image_array`'s floats for 8-bit files, which is what a
    dataset keeps when it caches decoded images; :func:`to_unit_float` turns it into that.

    Args:
        path: Image file.
        apply_exif_orientation: Turn a JPEG's pixels as its EXIF orientation says (as
            displayed); else stored order, and the first tagged file is named in a warning.

    Returns:
        ``[H, W, 3]`` RGB array, C-contiguous (``uint8``, ``uint16`` or float).

    Raises:
        ImageReadError: The file is missing, empty, corrupt, or of an unsupported kind or
            pixel type, or holds float pixels above 1 (:func:`to_unit_float`).
        TypeError: ``path`` is no ``str`` or ``os.PathLike`` (``None``, an array).
    """
    rgb, orientation = read_stored_rgb(path)
    if apply_exif_orientation:
        rgb = apply_orientation(rgb, orientation)
    else:
        report_stored_orientation(path, orientation)
    return np.ascontiguousarray(rgb)


def read_image_array(path: str | os.PathLike, apply_exif_orientation: bool = False) -> np.ndarray:
    """Read an image file as an RGB ``float32`` numpy array.

    Args:
        path: Image file (any format OpenCV decodes: PNG, JPEG, BMP, TIFF, WebP, ...).
        apply_exif_orientation: Return a JPEG as its EXIF orientation displays it (see
            :func:`read_rgb_array`).

    Returns:
        ``Float32[H, W, 3]`` RGB array in ``[0, 1]``, C-contiguous.

    Raises:
        ImageReadError: As :func:`read_rgb_array`.
        TypeError: ``path`` is no ``str`` or ``os.PathLike`` (``None``, an array).
    """
    rgb = read_rgb_array(path, apply_exif_orientation)
    return np.ascontiguousarray(to_unit_float(rgb, path))


def read_image(path: str | os.PathLike, apply_exif_orientation: bool = False) -> torch.Tensor:
    """Read an image file as a detseg image tensor.

    Args:
        path: Image file.
        apply_exif_orientation: Return a JPEG as its EXIF orientation displays it (what a
            user's photo needs for prediction); else in stored order (module docstring).

    Returns:
        ``Float32[3, H, W]`` RGB tensor with values in ``[0, 1]`` (not normalized).

    Raises:
        ImageReadError: As :func:`read_rgb_array`.
        TypeError: ``path`` is no ``str`` or ``os.PathLike`` (``None``, an array).
    """
    # imported here: the evaluation of a predictions file reads its images with the numpy
    # readers above, and runs without torch
    import torch

    return torch.from_numpy(
        read_image_array(path, apply_exif_orientation).transpose(2, 0, 1).copy()
    )
