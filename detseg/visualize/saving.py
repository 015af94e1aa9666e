"""Writing drawn images and label maps to disk with OpenCV.

:func:`save_rgb` writes an RGB image (the one place where RGB becomes OpenCV's BGR);
:func:`save_label_map` writes class indices to a lossless file. Both refuse a folder or a file
name OpenCV cannot write before OpenCV sees it. Writing files is apart from drawing: the
drawings return arrays and write nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from detseg.visualize.drawing_inputs import integer_labels, uint8_rgb

if TYPE_CHECKING:  # only the annotations name torch: numpy inputs draw without it
    import torch

#: File extensions :func:`save_label_map` writes: lossless formats, which keep class indices.
LOSSLESS_SUFFIXES = frozenset({".png", ".bmp", ".tif", ".tiff", ".pgm", ".pnm"})


def save_label_map(path: str | Path, label_map: torch.Tensor | np.ndarray) -> None:
    """Write an ``[H, W]`` label map as a single-channel 8-bit PNG of class indices.

    The file reads back with :func:`detseg.data.label_maps.read_label_map` (values ``0..K``).

    Raises:
        ValueError: a label outside ``0..255``, a fractional one, or a map that is not
            ``[H, W]``; a file name whose extension
            is not a lossless image format (:data:`LOSSLESS_SUFFIXES`: a ``.jpg`` would change
            the class indices).
        IsADirectoryError: ``path`` is a folder.
        OSError: the file could not be written.
    """
    path = _check_image_path(Path(path), "label map")
    if path.suffix.lower() not in LOSSLESS_SUFFIXES:
        raise ValueError(
            f"cannot write label map {path}: {path.suffix} is lossy and would change class "
            f"indices; use a lossless format: {', '.join(sorted(LOSSLESS_SUFFIXES))} (.png)"
        )
    labels = integer_labels(label_map, f"cannot write label map {path}")
    if labels.ndim != 2:
        raise ValueError(f"expected a label map [H, W], got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 255):
        raise ValueError(
            f"labels must lie in 0..255 for a uint8 PNG, got {labels.min()}..{labels.max()}"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), labels.astype(np.uint8)):
        raise OSError(f"could not write label map {path} (unsupported extension or unwritable)")


def save_rgb(path: str | Path, image: np.ndarray | torch.Tensor) -> None:
    """Write an RGB image; the format follows the file extension.

    Args:
        path: the image file (its folder is created).
        image: ``uint8 [H, W, 3]`` RGB (what the drawing functions return), ``float
            [H, W, 3]`` RGB in ``[0, 1]`` (:func:`detseg.data.image_io.read_image_array`), a
            detseg image tensor ``Float[3, H, W]`` in ``[0, 1]`` (:func:`tensor_to_rgb`), or a
            ``uint8 [H, W]`` grey image.

    Raises:
        ValueError: a file name without an image extension OpenCV writes (``.png``, ``.jpg``
            ...); an image of another shape or type, or a float image with values outside
            ``[0, 1]``.
        IsADirectoryError: ``path`` is a folder.
        OSError: OpenCV could not write the file (an unwritable folder).
    """
    path = _check_image_path(Path(path), "image")
    rgb = _rgb_to_save(image, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bgr = rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), bgr):
        raise OSError(f"could not write image {path} (unsupported extension or unwritable)")


def _rgb_to_save(image: np.ndarray | torch.Tensor, path: Path) -> np.ndarray:
    """``image`` as ``uint8 [H, W, 3]`` (or ``[H, W]`` grey) for :func:`save_rgb`
    (:func:`uint8_rgb`, errors naming ``path``)."""
    return uint8_rgb(image, f"cannot write image {path}", grey=True)


def _check_image_path(path: Path, what: str) -> Path:
    """``path``, refused before OpenCV sees it (whose own error is an unhelpful ``cv2.error``)
    when it is a folder or its extension names no format OpenCV writes."""
    if path.is_dir():
        raise IsADirectoryError(
            f"cannot write {what} {path}: it is a folder; give a file name, e.g. "
            f"{path / 'prediction.png'}"
        )
    if not path.suffix or not cv2.haveImageWriter(str(path)):
        extension = path.suffix or "no extension"
        raise ValueError(
            f"cannot write {what} {path}: {extension} is not an image format OpenCV writes; "
            "end the file name in .png or .jpg"
        )
    return path
