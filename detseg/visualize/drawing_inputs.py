"""The inputs of the drawing and saving functions, checked and turned into numpy arrays.

Images come as ``uint8 [H, W, 3]`` RGB, ``float [H, W, 3]`` RGB in ``[0, 1]`` or a detseg
image tensor ``Float[3, H, W]`` in ``[0, 1]`` (:func:`uint8_rgb`); label maps as integer
arrays or whole-valued float ones (:func:`integer_labels`); boxes, scores and masks as tensors
(bfloat16 too) or arrays (:func:`as_numpy`); opacities as numbers in ``[0, 1]``
(:func:`check_opacity`); class names as a list of strings (:func:`name_list`); thresholds
as numbers in ``[0, 1]`` (:func:`check_threshold`). Every drawing and
:func:`~detseg.visualize.saving.save_rgb` refuse a bad input with the same words, so the
checks live in one place apart from the drawing.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from detseg.brief_values import brief
from detseg.torch_tensors import is_torch_tensor

if TYPE_CHECKING:  # numpy inputs (the gallery of a predictions-file evaluation) need no torch
    import torch


def tensor_to_rgb(image: torch.Tensor) -> np.ndarray:
    """``Float[3, H, W]`` in [0, 1] (detseg image) -> ``uint8 [H, W, 3]`` RGB array.

    Raises:
        ValueError: ``image`` is no tensor (a numpy array is an RGB image already: the
            drawing functions take it), or not ``[3, H, W]``.
    """
    if not is_torch_tensor(image):
        raise ValueError(
            f"expected an image tensor [3, H, W], got {type(image).__name__}; a uint8 "
            "[H, W, 3] numpy array is RGB already (the drawing functions take it as it is)"
        )
    import torch  # here: only a tensor's caller, which has torch loaded, comes here

    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"expected an image tensor [3, H, W], got shape {tuple(image.shape)}")
    array = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return np.ascontiguousarray(array.permute(1, 2, 0).cpu().numpy())


def uint8_rgb(image: np.ndarray | torch.Tensor, where: str, grey: bool = False) -> np.ndarray:
    """``image`` as ``uint8 [H, W, 3]`` RGB (or, with ``grey``, a ``uint8 [H, W]`` as it is).

    Takes ``uint8 [H, W, 3]``, ``float [H, W, 3]`` in ``[0, 1]`` and a detseg image tensor
    ``Float[3, H, W]`` in ``[0, 1]``; a float image is scaled to ``0..255`` (OpenCV would cut its
    values to 0 and 1: a black picture). Anything else is refused with one line starting with
    ``where`` (the function or the file).
    """
    if is_torch_tensor(image):
        if image.ndim != 3 or image.shape[0] != 3:
            raise ValueError(
                f"{where}: a tensor must be a detseg image [3, H, W], got "
                f"shape {tuple(image.shape)}"
            )
        if not image.is_floating_point():
            raise ValueError(f"{where}: a tensor must hold floats in [0, 1], got {image.dtype}")
        image = image.detach().cpu().permute(1, 2, 0).float().numpy()
    array = np.asarray(image)
    expected = "a uint8 [H, W, 3] RGB array, a float one in [0, 1] or a [3, H, W] image tensor"
    if not (array.ndim == 3 and array.shape[2] == 3) and not (
        grey and array.ndim == 2 and array.dtype == np.uint8
    ):
        raise ValueError(f"{where}: expected {expected}, got {array.dtype} {tuple(array.shape)}")
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"{where}: expected {expected}, got {array.dtype}; convert it "
            "with .astype(np.uint8) if its values are 0..255"
        )
    low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
    if not (np.isfinite([low, high]).all() and 0.0 <= low and high <= 1.0):
        raise ValueError(
            f"{where}: a float image must hold values in [0, 1], got "
            f"{low:g}..{high:g}; divide a 0..255 image by 255 or give it as uint8"
        )
    return np.ascontiguousarray((array * 255.0).round().astype(np.uint8))


def integer_labels(label_map: torch.Tensor | np.ndarray, where: str) -> np.ndarray:
    """``label_map`` (any shape) as int64; a float map only when every value is whole (a cast
    would turn 0.7 into 0 and draw a class as background). Errors start with ``where``."""
    values = np.asarray(as_numpy(label_map))
    if np.issubdtype(values.dtype, np.floating):
        fractional = ~np.isfinite(values) | (values != np.round(values))
        if fractional.any():
            raise ValueError(
                f"{where}: label map holds non-integer value {values[fractional].flat[0]:g}; "
                "give class indices (argmax of the logits, or round the map)"
            )
    return values.astype(np.int64)


def as_numpy(values: torch.Tensor | np.ndarray) -> np.ndarray:
    """``values`` as a numpy array; a bfloat16 tensor (autocast outputs) as float32, a type
    numpy lacks."""
    if is_torch_tensor(values):
        import torch  # here: loaded already, as values is a tensor

        values = values.detach().cpu()
        return (values.float() if values.dtype == torch.bfloat16 else values).numpy()
    return np.asarray(values)


def check_opacity(alpha: object, name: str) -> None:
    """Refuse an ``alpha`` (the opacity of colours blended over an image) that is no number in
    ``[0, 1]``: a string, a bool (``plot(False)`` meant as the legend), ``None`` or nan.

    Raises:
        ValueError: naming ``name`` and the value.
    """
    if not _unit_number(alpha):
        raise ValueError(
            f"{name} must be a number in [0, 1] (0 the image only, 1 opaque colours), got {alpha!r}"
        )


def name_list(class_names: object, where: str) -> list[str]:
    """``class_names`` (label ``k`` is ``class_names[k - 1]``) as a list of strings (a
    string is taken as the sequence of its letters: ``"abc"`` names three classes).

    Raises:
        ValueError: ``None``, a number, or anything not a list, tuple, array or string of
            strings; the message starts with ``where``.
    """
    names = class_names.tolist() if hasattr(class_names, "tolist") else class_names
    if isinstance(names, bytes) or not isinstance(names, Sequence):
        raise ValueError(
            f"{where}: class_names must be a list of class names (label k is "
            f"class_names[k - 1]), got {brief(class_names, 80)}"
        )
    odd = [name for name in names if not isinstance(name, str)]
    if odd:
        raise ValueError(
            f"{where}: class_names must be strings, got {odd[0]!r} "
            f"({type(odd[0]).__name__}); give the class names in label order"
        )
    return list(names)


def check_threshold(value: object, name: str) -> None:
    """Refuse a score or mask-probability threshold that is no number in ``[0, 1]``: a
    string, a bool, ``None``, nan or a value outside the range.

    Raises:
        ValueError: naming ``name`` and the value.
    """
    if not _unit_number(value):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")


def _unit_number(value: object) -> bool:
    """Whether ``value`` is a number in ``[0, 1]`` (not a bool, not nan)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_))
        and 0.0 <= float(value) <= 1.0
    )
