"""Drawing segmentation label maps: one colour per class blended over the image, and a legend.

:func:`draw_segmentation` draws a segmenter's label map (or a ground truth) with a legend
panel of the classes on its right; a topic of its own beside drawn detections.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from detseg.text_drawing import put_text, text_size
from detseg.visualize.captions import line_thickness, shorten_text, text_style
from detseg.visualize.drawing_inputs import check_opacity, integer_labels, name_list, uint8_rgb
from detseg.visualize.palette import class_colors

if TYPE_CHECKING:  # only the annotations name torch: numpy inputs draw without it
    import torch


def draw_segmentation(
    image: np.ndarray | torch.Tensor,
    label_map: torch.Tensor | np.ndarray,
    class_names: Sequence[str],
    alpha: float = 0.5,
    ignore_index: int = 255,
    legend: str = "present",
) -> np.ndarray:
    """Blend one colour per class over an image and add a legend panel on its right.

    Background (label 0) and ``ignore_index`` pixels keep the image's colours; label
    ``k`` is blended with ``class_colors(K)[k - 1]`` and its regions are outlined in that
    colour unblended (the swatch's colour; none when ``alpha`` is 0). The legend lists the classes
    present in ``label_map`` (colour swatch and name), so a 20-class model does not
    fill the panel with classes that are not in the picture; ``legend="all"`` lists every
    class, those absent in grey, in a panel whose size depends only on the class names and the
    image size (the frames of a video keep one size). A legend longer than the image is tall
    fills several columns side by side (:func:`_with_legend`).

    Args:
        image: ``uint8 [H, W, 3]`` RGB, ``float [H, W, 3]`` RGB in ``[0, 1]`` or a detseg
            image tensor ``Float[3, H, W]`` in ``[0, 1]`` (as :func:`draw_detections`); not
            modified.
        label_map: integer ``[H, W]`` labels in ``0..K`` (or ``ignore_index``); a float map
            is taken only when every value is a whole number.
        class_names: the ``K`` foreground class names (label ``k`` is ``class_names[k - 1]``).
        alpha: opacity of the class colours (0 = image only, 1 = colours only).
        ignore_index: label drawn like background (void pixels of a ground truth).
        legend: ``"present"`` (the classes in ``label_map``) or ``"all"`` (every class).

    Returns:
        A new ``uint8 [max(H, legend height), W + legend width, 3]`` RGB image.

    Raises:
        ValueError: a wrongly shaped image or label map, a label above ``K``, a negative
            label other than ``ignore_index``, a float label map with a fractional value,
            ``alpha`` outside ``[0, 1]``, ``class_names`` that are no list of strings, an
            ``ignore_index`` that is no integer, or another ``legend``.
    """
    if legend not in ("present", "all"):
        raise ValueError(f"legend must be 'present' or 'all', got {legend!r}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise ValueError(
            f"ignore_index must be an integer (the label drawn like background), got "
            f"{ignore_index!r}"
        )
    image = uint8_rgb(image, "draw_segmentation")
    class_names = name_list(class_names, "draw_segmentation")
    labels = integer_labels(label_map, "draw_segmentation")
    negative = (labels < 0) & (labels != ignore_index)
    if negative.any():
        raise ValueError(
            f"draw_segmentation: label map holds negative label {int(labels[negative].min())} "
            f"and ignore_index is {ignore_index}; pass it as ignore_index or map it to 0"
        )
    if labels.shape != image.shape[:2]:
        raise ValueError(
            f"label map shape {labels.shape} differs from the image's {image.shape[:2]}"
        )
    check_opacity(alpha, "alpha")
    foreground = (labels > 0) & (labels != ignore_index)
    if foreground.any() and labels[foreground].max() > len(class_names):
        raise ValueError(
            f"label {int(labels[foreground].max())} has no class name "
            f"({len(class_names)} classes); pass the model's classes"
        )
    rgb = class_colors(len(class_names))
    palette = np.array([(0, 0, 0), *rgb], dtype=np.float64)
    canvas = image.astype(np.float64)
    colors = palette[np.where(foreground, labels, 0)]
    canvas[foreground] = (1 - alpha) * canvas[foreground] + alpha * colors[foreground]
    overlay = np.clip(canvas.round(), 0, 255).astype(np.uint8)
    present = sorted(int(k) for k in np.unique(labels[foreground]))
    if alpha > 0:  # outlines in the legend's own colour: a blended colour depends on the image
        thickness = line_thickness(image.shape)
        for k in present:
            region = np.ascontiguousarray(labels == k, dtype=np.uint8)
            contours, _ = cv2.findContours(region, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(overlay, contours, -1, rgb[k - 1], thickness)
    if legend == "all" and class_names:
        entries: list[tuple[str, tuple[int, int, int] | None]] = list(
            zip(class_names, rgb, strict=True)
        )
        absent = {k - 1 for k in range(1, len(class_names) + 1) if k not in present}
        return _with_legend(overlay, entries, absent)
    entries = [(class_names[k - 1], rgb[k - 1]) for k in present]
    return _with_legend(overlay, entries or [("no foreground", None)])


#: Most legend columns: beyond them the legend grows taller than the image (a thin image).
MAX_LEGEND_COLUMNS = 12


def _with_legend(
    image: np.ndarray,
    entries: list[tuple[str, tuple[int, int, int] | None]],
    dimmed: set[int] | frozenset[int] = frozenset(),
) -> np.ndarray:
    """``image`` with a white panel on its right: one swatch + name row per entry, the text
    sized like the captions of :func:`draw_detections` (:func:`text_style`), at least 0.4;
    the entries at the indices in ``dimmed`` grey (by index: two classes may share a name).

    The rows fill columns as tall as the image, side by side (top to bottom, then left to
    right), so that a long class list (150 ADE20K classes) widens the picture instead of making
    it many times taller than the image; only past :data:`MAX_LEGEND_COLUMNS` columns do the
    columns grow taller than the image. A name wider than the image divided among the columns
    (or than 12 text heights) is shortened with ``"..."`` (:func:`shorten_text`), as box
    captions are."""
    scale, stroke = text_style(image.shape)
    scale = max(0.4, scale)
    (_, text_h), baseline = text_size("Ag", scale, stroke)
    pad = max(4, text_h // 2)
    row = text_h + baseline + pad
    swatch = text_h + baseline
    fit = max(1, (image.shape[0] - pad) // row)  # rows in a column as tall as the image
    per_column = max(fit, math.ceil(len(entries) / MAX_LEGEND_COLUMNS))
    columns = math.ceil(len(entries) / per_column)
    longest = max(image.shape[1] // columns, 12 * text_h)
    shown = [shorten_text(name, "", scale, stroke, longest) for name, _ in entries]
    column_w = 2 * pad + swatch + max(text_size(name, scale, stroke)[0][0] for name in shown)
    width = pad + columns * column_w
    height = max(image.shape[0], pad + row * min(per_column, len(entries)))
    out = np.full((height, image.shape[1] + width, 3), 255, dtype=np.uint8)
    out[: image.shape[0], : image.shape[1]] = image
    if height > image.shape[0]:
        out[image.shape[0] :, : image.shape[1]] = 0  # below a short image: black, not legend
    for i, ((_, color), text) in enumerate(zip(entries, shown, strict=True)):
        x0 = image.shape[1] + pad + (i // per_column) * column_w
        top = pad + (i % per_column) * row
        if color is not None:
            cv2.rectangle(out, (x0, top), (x0 + swatch, top + swatch), color, cv2.FILLED)
            cv2.rectangle(out, (x0, top), (x0 + swatch, top + swatch), (0, 0, 0), 1)
        origin = (x0 + swatch + pad, top + text_h)
        ink = (150, 150, 150) if i in dimmed else (0, 0, 0)
        put_text(out, text, origin, scale, ink, stroke)
    return out
