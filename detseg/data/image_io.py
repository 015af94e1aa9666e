"""Reading images from disk into the detseg image contract.

Every image enters detseg as ``float32`` RGB in ``[0, 1]``: as a ``[3, H, W]`` tensor from
:func:`read_image`, or as an ``[H, W, 3]`` numpy array from :func:`read_image_array` (the form
albumentations works on). Decoding is done by OpenCV with ``IMREAD_UNCHANGED`` so that the bit
depth and the channel count of the file are seen as stored:

* grayscale (``[H, W]`` or ``[H, W, 1]``) is repeated into three channels;
* BGR is reordered to RGB;
* BGRA (PNG/TIFF/WebP with alpha) drops the alpha channel and keeps the colour channels as
  stored (no compositing), which is what PIL's ``convert("RGB")`` does as well;
* ``uint8`` is divided by 255, ``uint16`` (16-bit PNG/TIFF) by 65535, floating point files are
  clipped to ``[0, 1]``.

EXIF orientation is **not applied**: a JPEG (or PNG, WebP) that a phone or camera tagged as
rotated is read in its stored pixel order, so its boxes, masks and the ``width``/``height`` of
an annotation file must refer to that stored grid. The training datasets, the predictor
(paths, and PIL images, which ``Image.open`` does not rotate either), ``check_data``'s size
check and the converter (Pillow's header size) all take it so. Many annotation tools (CVAT,
Label Studio, browsers) show such a photo rotated, and their annotations then follow the
displayed image; bake the rotation into the files (``PIL.ImageOps.exif_transpose``) before
training on them. To make this visible, the first JPEG with a rotating or mirroring
orientation (2..8) that a process reads is logged as a warning naming it. TIFF is the
exception: its own orientation tag is applied by OpenCV and Pillow alike, so the pixels and the
header size agree there too.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

__all__ = [
    "IMAGE_SUFFIXES",
    "ImageNotFoundError",
    "ImageReadError",
    "read_image",
    "read_image_array",
]

#: The image files detseg lists in a folder (lower case; compared with ``suffix.lower()``):
#: the training datasets, ``check_data``, the converter and the predictor use this one list.
IMAGE_SUFFIXES: tuple[str, ...] = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


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


def _decode(path: Path) -> np.ndarray:
    """Decode ``path`` with OpenCV (``IMREAD_UNCHANGED``) or raise :class:`ImageReadError`."""
    try:
        # imdecode on the raw bytes instead of imread: same decoder, but the failure reason
        # (missing file vs. undecodable content) can be told apart, and any path encoding works.
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:  # missing file, directory, permission denied
        kind = ImageNotFoundError if isinstance(exc, FileNotFoundError) else ImageReadError
        raise kind(path, f"{type(exc).__name__}: {exc.strerror or exc}") from exc
    if data.size == 0:
        raise ImageReadError(path, "the file is empty")
    try:
        array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise ImageReadError(path, f"OpenCV failed to decode it ({exc})") from exc
    if array is None or array.size == 0:
        raise ImageReadError(path, "not a valid or supported image (OpenCV could not decode it)")
    if not _orientation_reported:
        _report_orientation(data, path)
    return array


def exif_orientation(data: np.ndarray | bytes) -> int:
    """The EXIF orientation (``1..8``) of a JPEG's bytes; ``1`` (as stored) for other files,
    a JPEG without the tag, or unreadable EXIF.

    Cheap: the bytes are only handed to Pillow (which parses the header, not the pixels) when
    they start like a JPEG and hold an ``Exif`` block near the start, where JPEG keeps it.
    """
    head = bytes(data[:_EXIF_SEARCH_BYTES])
    if not head.startswith(b"\xff\xd8") or b"Exif\x00\x00" not in head:
        return 1
    try:  # Pillow reads the JPEG's header segments only: the head is enough
        with Image.open(io.BytesIO(head)) as image:
            value = image.getexif().get(_ORIENTATION_TAG, 1)
    except (OSError, ValueError, SyntaxError):  # unreadable EXIF: taken as upright
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _report_orientation(data: np.ndarray, path: Path) -> None:
    """Warn (once per process) that a JPEG's EXIF orientation is not applied."""
    global _orientation_reported
    orientation = exif_orientation(data)
    if orientation == 1:
        return
    _orientation_reported = True
    logger.warning(
        "%s has EXIF orientation %d (viewers show it %s); detseg reads images as stored and "
        "does not apply it, so its boxes, masks and annotated size must refer to the stored "
        "pixels (if they were drawn on the displayed image, apply PIL.ImageOps.exif_transpose "
        "to the files first); further such images are not reported",
        path,
        orientation,
        _ORIENTATIONS[orientation],
    )


def _check_pixel_type(array: np.ndarray, path: str | os.PathLike) -> None:
    """Raise ``ImageReadError`` unless the pixels are ``uint8``, ``uint16`` or float."""
    if array.dtype not in (np.uint8, np.uint16) and not np.issubdtype(array.dtype, np.floating):
        raise ImageReadError(
            path, f"unsupported pixel type {array.dtype} (expected 8/16-bit or float)"
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
    """Scale an integer or float pixel array to ``float32`` in ``[0, 1]``.

    Args:
        array: Pixels as decoded (``uint8``, ``uint16`` or float).
        path: The file they came from (named in the error).

    Raises:
        ImageReadError: Another pixel type.
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


def read_rgb_array(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as RGB pixels in their stored type (``uint8`` for most files).

    Four times smaller than :func:`read_image_array`'s floats for 8-bit files, which is what a
    dataset keeps when it caches decoded images; :func:`to_unit_float` turns it into that.

    Returns:
        ``[H, W, 3]`` RGB array, C-contiguous (``uint8``, ``uint16`` or float).

    Raises:
        ImageReadError: The file is missing, empty, corrupt, or of an unsupported kind or
            pixel type.
    """
    path = Path(path)
    rgb = _to_rgb(_decode(path), path)
    _check_pixel_type(rgb, path)
    return np.ascontiguousarray(rgb)


def read_image_array(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an RGB ``float32`` numpy array.

    Args:
        path: Image file (any format OpenCV decodes: PNG, JPEG, BMP, TIFF, WebP, ...).

    Returns:
        ``Float32[H, W, 3]`` RGB array in ``[0, 1]``, C-contiguous.

    Raises:
        ImageReadError: The file is missing, empty, corrupt, or of an unsupported kind.
    """
    path = Path(path)
    return np.ascontiguousarray(to_unit_float(_to_rgb(_decode(path), path), path))


def read_image(path: str | os.PathLike) -> torch.Tensor:
    """Read an image file as a detseg image tensor.

    Args:
        path: Image file.

    Returns:
        ``Float32[3, H, W]`` RGB tensor with values in ``[0, 1]`` (not normalized).

    Raises:
        ImageReadError: The file is missing, empty, corrupt, or of an unsupported kind.
    """
    return torch.from_numpy(read_image_array(path).transpose(2, 0, 1).copy())
