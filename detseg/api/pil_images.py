"""PIL images as detseg images, read as image files are: 16-bit and float grayscale scaled rather
than clipped by Pillow's ``convert("RGB")``, and a file Pillow cannot decode (or one closed
before its pixels were read) reported by name.

Pillow decodes lazily and fails with bare errors (an ``assert``, an ``OSError`` without the
file's name): turning those into one :class:`~detseg.data.image_io.ImageReadError` is the topic
here, apart from the dispatch over input kinds in :mod:`detseg.api.inputs`.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
import torch

from detseg.api.array_images import from_array
from detseg.data.image_io import ImageReadError

__all__ = ["from_pil", "is_pil_image"]


def is_pil_image(x: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # no Pillow installed: nothing can be a PIL image
        return False
    return isinstance(x, Image.Image)


def from_pil(image: Any, where: str) -> torch.Tensor:
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
            ``0..65535``, mode ``F`` pixels outside ``[0, 1]`` or not finite (the message says
            what to pass instead: ``image.convert("RGB")`` or ``np.asarray(image) / 255`` for
            ``0..255`` values, ``np.clip`` for values a little past ``[0, 1]``); an image of
            no pixels.
    """
    _load_pil(image, where)
    mode = str(image.mode)
    width, height = image.size
    if width < 1 or height < 1:  # named here: the array it becomes would be called numpy's
        raise ValueError(
            f"{where}PIL image of mode {mode} is empty ({width}x{height} pixels); give an "
            "image of at least 1x1 pixels"
        )
    if not (mode.startswith("I;16") or mode in ("I", "F")):
        try:
            converted = image.convert("RGB")
        except ValueError as exc:  # e.g. premultiplied "La": Pillow has no direct conversion
            raise ValueError(
                f"{where}PIL image of mode {mode}: Pillow cannot convert it to RGB ({exc}); "
                "convert it first, e.g. image.convert('LA') for mode La"
            ) from exc
        return from_array(np.asarray(converted, dtype=np.uint8), False, where)
    gray = np.asarray(image)
    if mode == "F":
        rgb = np.repeat(gray.astype(np.float32)[:, :, None], 3, axis=2)
        try:
            return from_array(rgb, False, f"{where}PIL image of mode F: ")
        except ValueError as exc:
            problem = _mode_f_problem(gray)
            if problem is None:
                raise
            width, height = image.size
            raise ValueError(f"{where}PIL image of mode F ({width}x{height}) {problem}") from exc
    low, high = (int(gray.min()), int(gray.max())) if gray.size else (0, 0)
    if low < 0 or high > 65535:
        raise ValueError(
            f"{where}PIL image of mode {mode} has values in {low}..{high}; integer pixels "
            "are read as 8-bit (0..255) or 16-bit (0..65535): scale them to 0..65535, or "
            "pass a float array in [0, 1]"
        )
    scale = 255.0 if mode == "I" and high <= 255 else 65535.0
    unit = gray.astype(np.float32) / scale
    return from_array(np.repeat(unit[:, :, None], 3, axis=2), False, where)


def _mode_f_problem(gray: np.ndarray) -> str | None:
    """Why the pixels of a mode ``F`` image that :func:`~detseg.api.array_images.from_array`
    refused are not ``[0, 1]``, with the fix that fits a PIL image (the array's advice, "pass
    uint8", has no PIL form): Pillow's own ``convert("RGB")`` keeps ``0..255`` values as they
    are, and ``np.asarray(image) / 255`` scales them. ``None`` where the pixels are not the
    reason (an image without pixels)."""
    if not gray.size:
        return None
    finite = np.isfinite(gray)
    if not finite.all():
        return (
            f"has {int(finite.size - finite.sum())} pixel(s) with a non-finite value (NaN or inf); "
            "float pixels must lie in [0, 1] (replace them first, e.g. "
            "np.nan_to_num(np.asarray(image)), and pass that array)"
        )
    low, high = float(gray.min()), float(gray.max())
    if low >= 0 and 2 < high <= 255:  # 0..255 values; divided, a 0..1.5 image turns black
        fix = "0..255 values: pass image.convert('RGB') or np.asarray(image) / 255"
    elif low > -0.5 and high <= 2:  # [0, 1] values a little past it (a filter's overshoot)
        fix = "clip them: pass np.clip(np.asarray(image), 0, 1)"
    else:
        fix = "scale them to [0, 1] first, e.g. in np.asarray(image), and pass that array"
    return f"has values in {low:g}..{high:g}; float pixels must lie in [0, 1] ({fix})"


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
