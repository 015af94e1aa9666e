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

``IMREAD_UNCHANGED`` ignores EXIF orientation tags: pixels come out in stored order, matching
the usual COCO/VOC tooling whose annotations refer to the stored pixel grid.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import torch

__all__ = ["ImageNotFoundError", "ImageReadError", "read_image", "read_image_array"]


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
    return array


def _check_pixel_type(array: np.ndarray, path: str | os.PathLike) -> None:
    """Raise ``ImageReadError`` unless the pixels are ``uint8``, ``uint16`` or float."""
    if array.dtype not in (np.uint8, np.uint16) and not np.issubdtype(array.dtype, np.floating):
        raise ImageReadError(
            path, f"unsupported pixel type {array.dtype} (expected 8/16-bit or float)"
        )


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
