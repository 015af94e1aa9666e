"""Numpy arrays and tensors as detseg images: ``Float32[3, H, W]`` RGB in ``[0, 1]``.

The pixel rules of :mod:`detseg.api.inputs` for arrays and tensors (and for the pixels of PIL
images, :mod:`detseg.api.pil_images`): channels first or last, gray and RGBA made RGB, BGR
reversed, ``uint8`` / ``uint16`` scaled, float checked to be finite and in ``[0, 1]``, each
refusal naming the input. They are apart from the dispatch over input kinds (paths, patterns,
lists) because they are about pixels only. Image files are read by :mod:`detseg.data.image_io`,
which refuses float pixels above 1 as well but reads NaN, inf and values below 0 of a float
file as 0, 1 and 0 instead of refusing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

__all__ = ["ACCEPTED", "CHANNELS", "from_array", "from_tensor"]

#: What one image may be, for error messages.
ACCEPTED = (
    "accepted: an image path or a glob pattern, a numpy array [H, W, 3] (uint8 0..255, uint16 "
    "or float 0..1, RGB; bgr=True for OpenCV frames; also gray [H, W] / [H, W, 1], RGBA "
    "[H, W, 4], or a batch [B, H, W, 3 / 1 / 4]), a PIL image, a tensor [3, H, W] or "
    "[B, 3, H, W] (float 0..1, uint8 or uint16; also 1 or 4 channels), or a list (or an "
    "iterator) of these"
)

#: Channel counts of an image: gray, RGB (BGR), RGBA (BGRA).
CHANNELS = (1, 3, 4)

# float pixels may overshoot 1 by rounding (e.g. after a resize); more means 0..255 values
_FLOAT_TOLERANCE = 1e-3


def from_array(array: np.ndarray, bgr: bool, where: str) -> torch.Tensor:
    """``Float32[3, H, W]`` RGB in ``[0, 1]`` of an ``[H, W, 3]`` array (``[H, W]`` /
    ``[H, W, 1]`` gray and ``[H, W, 4]`` RGBA first made ``[H, W, 3]``: :func:`_three_channels`).
    The messages name the shape given, as :func:`from_tensor`'s do."""
    shape = array.shape
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in CHANNELS:
        hint = ""
        if array.ndim == 3 and _channels_like(shape, 0):
            hint = " (channels first? numpy images are [H, W, 3]; use a tensor for [3, H, W])"
        elif array.ndim == 4 and _channels_like(shape[1:], 0):
            hint = (
                " (a channels-first batch? numpy batches are [B, H, W, 3]: use "
                "array.transpose(0, 2, 3, 1), or a tensor for [B, 3, H, W])"
            )
        raise ValueError(f"{where}numpy image of shape {shape} is not [H, W, 3]{hint}; {ACCEPTED}")
    array = _three_channels(array, channel_axis=2)
    if not array.dtype.isnative:  # big-endian data (e.g. from FITS files): torch needs native
        array = array.astype(array.dtype.newbyteorder("="))
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:  # long double: torch has none
        array = array.astype(np.float64)
    _check_dtype(array, np.issubdtype(array.dtype, np.floating), shape, where)
    _check_size(shape[0], shape[1], "numpy image", shape, where)
    if bgr:
        array = array[:, :, ::-1]
    tensor = torch.from_numpy(np.ascontiguousarray(array).transpose(2, 0, 1).copy())
    return _to_unit_float(tensor, where, shape)


def from_tensor(tensor: torch.Tensor, bgr: bool, where: str) -> torch.Tensor:
    """``Float32[3, H, W]`` RGB in ``[0, 1]`` of a ``[3, H, W]`` tensor (``[1, H, W]`` gray and
    ``[4, H, W]`` RGBA first made ``[3, H, W]``: :func:`_three_channels`)."""
    refuse_nested(tensor, where)
    shape = tuple(tensor.shape)
    if tensor.ndim != 3 or tensor.shape[0] not in CHANNELS:
        hint = ""
        if tensor.ndim == 3 and _channels_like(shape, 2):
            hint = " (channels last? tensors are [3, H, W]: use image.permute(2, 0, 1))"
        elif tensor.ndim == 4 and _channels_like(shape[1:], 2):
            hint = (
                " (a channels-last batch? tensor batches are [B, 3, H, W]: use "
                "images.permute(0, 3, 1, 2))"
            )
        raise ValueError(f"{where}tensor of shape {shape} is not [3, H, W]{hint}; {ACCEPTED}")
    _check_storage(tensor, shape, where)  # after the shape: its hint is what to fix first
    tensor = _three_channels(tensor, channel_axis=0)
    _check_dtype(tensor, tensor.dtype.is_floating_point, shape, where)
    _check_size(shape[1], shape[2], "tensor", shape, where)
    if bgr:
        tensor = tensor.flip(0)
    return _to_unit_float(tensor.detach(), where, shape)


def _channels_like(shape: Sequence[int], axis: int) -> bool:
    """The ``axis`` of the image ``shape`` (3 dimensions) plausibly holds its channels: 1, 3 or
    4 of them, fewer than each other dimension (``(3, 48, 64)``, not ``(4, 4, 2)``), so that a
    channels-first or -last hint is given only where it is likely to be the fix."""
    others = [size for i, size in enumerate(shape) if i != axis]
    return shape[axis] in CHANNELS and all(shape[axis] < size for size in others)


def refuse_nested(tensor: torch.Tensor, where: str) -> None:
    """Refuse a nested tensor (``torch.nested``: images of several sizes, one tensor) in one
    line: torch cannot give a strided one's shape (``NestedTensorImpl doesn't support
    sizes``), and ``to_dense()`` fails on a jagged one; its images are a list of tensors."""
    if tensor.is_nested:
        raise ValueError(
            f"{where}a nested tensor ({tensor.size(0)} images in one tensor) is no image or "
            "batch; give a list of [3, H, W] tensors: list(tensor.unbind())"
        )


def _check_storage(tensor: torch.Tensor, shape: Sequence[int], where: str) -> None:
    """Refuse a tensor whose pixels cannot be read as a dense image: one on the ``meta`` device
    (a shape without data, whose first read fails deep in torch with ``Tensor.item() cannot be
    called on meta tensors``) or a sparse one (``aten::ne.Scalar`` has no sparse kernel). Asked
    once the shape is right (:func:`from_tensor`)."""
    if tensor.is_meta:
        raise ValueError(
            f"{where}tensor of shape {tuple(shape)} is on the meta device, which holds no "
            "pixels; give a tensor with data (on the CPU or a GPU)"
        )
    if tensor.layout != torch.strided:
        raise ValueError(
            f"{where}tensor of shape {tuple(shape)} is {tensor.layout} (not dense); give a "
            "dense tensor: tensor.to_dense()"
        )


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


def _check_dtype(
    pixels: np.ndarray | torch.Tensor, floating: bool, shape: Sequence[int], where: str
) -> None:
    """Refuse pixels that are neither float nor ``uint8`` / ``uint16``; for other integers,
    say the conversion their values allow (:func:`_integer_fix`)."""
    dtype = pixels.dtype
    if not floating and dtype not in (np.uint8, torch.uint8, np.uint16, torch.uint16):
        raise ValueError(
            f"{where}image of shape {tuple(shape)} has dtype {dtype}; pixels must be uint8 "
            f"(0..255), uint16 (0..65535) or float (0..1){_integer_fix(pixels)}; {ACCEPTED}"
        )


def _integer_fix(pixels: np.ndarray | torch.Tensor) -> str:
    """For integer pixels of another type (``int64`` after numpy arithmetic, ``int32`` from a
    16-bit PNG read by PIL), the cast that keeps what they show (``" (its values are 0..255:
    image.astype(np.uint8))"``; ``uint16`` is read as ``0..65535``, so values up to a few
    hundred are offered floats too), or their range where no cast keeps them; for a boolean
    mask or a quantized tensor, how to make it an image; ``""`` for anything else (complex
    numbers, no pixels)."""
    if isinstance(pixels, torch.Tensor):
        if pixels.is_quantized:
            return " (a quantized tensor: pass image.dequantize() or image.int_repr())"
        to = "image.to(torch.{})"
        boolean = pixels.dtype == torch.bool
        kind = pixels.dtype
        integer = not (kind.is_floating_point or kind.is_complex or boolean)
        count = pixels.numel()
    else:
        to = "image.astype(np.{})"
        boolean = pixels.dtype.kind == "b"
        integer = pixels.dtype.kind in "iu"
        count = pixels.size
    if boolean:
        cast = to.format("uint8")
        return f" (a boolean mask, not an image: {cast} * 255 shows it in black and white)"
    if not integer or count == 0:
        return ""
    wide = pixels.double() if isinstance(pixels, torch.Tensor) else pixels  # uint32: no min
    low, high = int(wide.min()), int(wide.max())
    if low >= 0 and high <= 255:
        return f" (its values are {low}..{high}: {to.format('uint8')})"
    if low >= 0 and high <= 65535:
        return (
            f" (its values are {low}..{high}: {to.format('uint16')} if they are 16-bit "
            f"pixels, read as 0..65535; else floats in 0..1, e.g. image / {high})"
        )
    return f" (its values are {low}..{high}, outside 0..65535: scale them to 0..1 as floats)"


def _check_size(height: int, width: int, kind: str, shape: Sequence[int], where: str) -> None:
    """Refuse an image without pixels (the model's resize would divide by its size)."""
    if height < 1 or width < 1:
        raise ValueError(
            f"{where}{kind} of shape {tuple(shape)} is empty ({width}x{height} pixels); give an "
            "image of at least 1x1 pixels"
        )


#: Float types whose pixels ``torch.isfinite`` checks as they are (others go through float64).
_FINITE_CHECKED = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _to_unit_float(tensor: torch.Tensor, where: str, shape: Sequence[int]) -> torch.Tensor:
    """``uint8`` divided by 255, ``uint16`` by 65535 (as a 16-bit file is read); float checked
    to be finite and to lie in ``[0, 1]``, and made ``float32``."""
    if tensor.dtype == torch.uint8:
        return tensor.float() / 255.0
    if tensor.dtype == torch.uint16:
        return tensor.float() / 65535.0
    image = tensor.float()
    if tensor.dtype not in _FINITE_CHECKED:  # float8: isfinite has no kernel; float64 holds it
        tensor = tensor.double()
    finite = torch.isfinite(tensor)  # before the cast: a float64 1e300 is finite, not inf
    if not bool(finite.all()):
        bad = int((~finite).any(dim=0).sum())  # pixels: a gray one made 3 channels is 1
        raise ValueError(
            f"{where}float image of shape {tuple(shape)} has {bad} pixel(s) with a non-finite "
            "value "
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
