"""Drawing detections: boxes with ``"<class> <score>"`` captions over their instance masks.

:func:`draw_detections` is the drawing of a detector's results and of a detection ground
truth (no scores); caption placement is in :mod:`detseg.visualize.captions`, the masks in
:mod:`detseg.visualize.instance_masks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from detseg.brief_values import brief
from detseg.visualize.captions import draw_caption, fit_caption, line_thickness, place_captions
from detseg.visualize.drawing_inputs import (
    as_numpy,
    check_threshold,
    name_list,
    uint8_rgb,
)
from detseg.visualize.instance_masks import binary_masks, draw_masks
from detseg.visualize.palette import class_colors

if TYPE_CHECKING:  # only the annotations name torch: numpy inputs draw without it
    import torch

#: Tab colour of the "no detections" note of :func:`draw_detections` (no class has grey).
NO_DETECTIONS_COLOR = (96, 96, 96)


def draw_detections(
    image: np.ndarray | torch.Tensor,
    boxes: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    scores: torch.Tensor | np.ndarray | None,
    class_names: Sequence[str],
    score_threshold: float = 0.0,
    masks: torch.Tensor | np.ndarray | None = None,
    mask_alpha: float = 0.45,
    mask_threshold: float = 0.5,
) -> np.ndarray:
    """Draw boxes with ``"<class> <score>"`` captions, one colour per class, over their masks.

    Each instance mask is blended in with its class colour (the colour of its box) and
    outlined in that colour; boxes and captions are drawn over all masks. Where masks overlap,
    the higher-scoring one is shown. Captions stay inside the image and, where boxes nearly
    coincide, apart from each other (:func:`place_captions`); text and lines grow with the
    image (:func:`text_style`, :func:`line_thickness`).

    Args:
        image: ``uint8 [H, W, 3]`` RGB, ``float [H, W, 3]`` RGB in ``[0, 1]`` or a detseg
            image tensor ``Float[3, H, W]`` in ``[0, 1]`` (the forms :func:`save_rgb` takes,
            float ones scaled to ``0..255``); not modified.
        boxes: ``[N, 4]`` xyxy absolute pixels.
        labels: ``[N]`` in ``1..K`` (``K = len(class_names)``).
        scores: ``[N]`` confidences, or ``None`` (ground truth: no score shown).
        class_names: the dataset's foreground classes.
        score_threshold: detections scoring below it are not drawn.
        masks: ``Bool[N, H, W]`` instance masks in the image's pixels (non-zero is the
            object), ``Float[N, H, W]`` or ``Float[N, 1, H, W]`` mask probabilities (what
            Mask R-CNN's ``predict`` gives; the object is above ``mask_threshold``), or
            ``None`` (boxes only).
        mask_alpha: opacity of the mask colours (0 = outlines only, 1 = opaque).
        mask_threshold: probability above which a pixel of a float mask is the object (the
            model's ``mask_threshold``).

    Returns:
        A new ``uint8 [H, W, 3]`` RGB image. Detections (``scores`` given) of which none is
        drawn leave a grey "no detections" tab in the top-left corner, so that a picture with
        nothing found is not mistaken for one that was never annotated.

    Raises:
        ValueError: a wrongly shaped or typed image (or a float one outside ``[0, 1]``) or
            masks, boxes that are not ``[N, 4]`` (or one box ``[4]``), labels that are not
            whole numbers, boxes, labels and scores of different lengths, ``class_names``
            that are no list of strings, ``score_threshold`` or ``mask_threshold`` no
            number in ``[0, 1]``, or ``mask_alpha`` outside ``[0, 1]``.
    """
    image = uint8_rgb(image, "draw_detections")
    class_names = name_list(class_names, "draw_detections")
    check_threshold(score_threshold, "score_threshold")
    check_threshold(mask_threshold, "mask_threshold")
    boxes = _box_array(boxes)
    labels = _label_array(labels)
    scores_np = (
        None if scores is None else np.asarray(as_numpy(scores), dtype=np.float64).reshape(-1)
    )
    counts = {"boxes": len(boxes), "labels": len(labels)}
    if scores_np is not None:
        counts["scores"] = len(scores_np)
    if len(set(counts.values())) > 1:  # a zip would silently draw the shortest list
        raise ValueError(f"one label and score per box expected, got {counts}")
    if not image.size:  # no pixel to draw on (OpenCV refuses an empty canvas)
        return image.copy()
    palette = class_colors(len(class_names))
    colors = [palette[k - 1] if 1 <= k <= len(palette) else (255, 255, 255) for k in labels]
    order = np.argsort(scores_np, kind="stable") if scores_np is not None else np.arange(len(boxes))
    if scores_np is not None:  # lowest score first, so the best ones end up on top
        order = order[scores_np[order] >= score_threshold]
    # a box with a non-finite corner, or with no pixel in the image, is not drawn: its caption
    # would otherwise sit in a corner of the picture with no box to point at
    order = order[_visible(boxes[order], image.shape)]
    canvas = image.copy()
    thickness = line_thickness(image.shape)
    if masks is not None:
        draw_masks(
            canvas,
            binary_masks(masks, len(boxes), image.shape[:2], mask_threshold),
            order,
            colors,
            mask_alpha,
            thickness,
        )
    captions = []
    for i in order:
        label = int(labels[i])
        name = class_names[label - 1] if 1 <= label <= len(class_names) else f"class {label}"
        score = "" if scores_np is None else f" {scores_np[i]:.2f}"
        captions.append(fit_caption(name, score, image.shape))
        x1, y1, x2, y2 = _pixel_box(boxes[i], image.shape)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colors[i], thickness)
    # Captions after every box (no box line crosses a caption); placed best score first, so
    # the best detection keeps the spot above its box, and drawn best score last (on top).
    drawn = list(order)
    rects = place_captions(image.shape, boxes[drawn[::-1]], captions[::-1])[::-1]
    for i, caption, rect in zip(drawn, captions, rects, strict=True):
        draw_caption(canvas, caption, rect, colors[i])
    if scores_np is not None and not drawn:  # an empty picture is told apart from a blank one
        note = "no detections"
        if score_threshold > 0 and len(boxes):
            note += f" >= {score_threshold:g}"
        rect = place_captions(image.shape, np.zeros((1, 4)), [note])[0]  # the top-left corner
        draw_caption(canvas, note, rect, NO_DETECTIONS_COLOR)
    return canvas


def _box_array(boxes: torch.Tensor | np.ndarray) -> np.ndarray:
    """``boxes`` as ``Float64[N, 4]``: ``[N, 4]``, one box ``[4]`` or no box (any empty shape).

    Raises:
        ValueError: another shape (``[N, 5]``, ``[2, 2]``), or no numbers (``None``).
    """
    try:
        array = np.asarray(as_numpy(boxes), dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or not (
        array.size == 0 or array.shape == (4,) or (array.ndim == 2 and array.shape[1] == 4)
    ):
        shown = "no numbers" if array is None else f"shape {tuple(array.shape)}"
        raise ValueError(
            f"draw_detections: boxes must be [N, 4] xyxy pixels, got {shown} "
            f"({type(boxes).__name__})"
        )
    return array.reshape(-1, 4)


def _label_array(labels: torch.Tensor | np.ndarray) -> np.ndarray:
    """``labels`` as ``Int64[N]``; float labels only when every value is whole (a cast would
    turn ``1.5`` into class 1).

    Raises:
        ValueError: a label that is no whole number, or no numbers at all.
    """
    try:
        array = np.asarray(as_numpy(labels)).reshape(-1)
        numeric = np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    except (TypeError, ValueError):
        numeric = False
    if numeric and np.issubdtype(array.dtype, np.floating):
        fractional = ~np.isfinite(array) | (array != np.round(array))
        if fractional.any():
            raise ValueError(
                f"draw_detections: labels must be whole numbers 1..K, got {array[fractional][0]:g}"
            )
    if not numeric:
        raise ValueError(
            f"draw_detections: labels must be [N] whole numbers 1..K, got {brief(labels, 80)}"
        )
    return array.astype(np.int64)


def _visible(boxes: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """``Bool[N]``: which xyxy ``boxes`` have finite corners and a pixel in an image of
    ``shape`` (a box given with its corners swapped counts as the box they span)."""
    finite = np.isfinite(boxes).all(axis=1)
    safe = np.where(finite[:, None], boxes, 0.0)
    x_low, x_high = np.minimum(safe[:, 0], safe[:, 2]), np.maximum(safe[:, 0], safe[:, 2])
    y_low, y_high = np.minimum(safe[:, 1], safe[:, 3]), np.maximum(safe[:, 1], safe[:, 3])
    height, width = int(shape[0]), int(shape[1])
    inside = (
        (np.round(x_high) >= 0)
        & (np.round(y_high) >= 0)
        & (np.round(x_low) <= width - 1)
        & (np.round(y_low) <= height - 1)
    )
    return finite & inside


def _pixel_box(box: np.ndarray, shape: Sequence[int]) -> tuple[int, int, int, int]:
    """The finite xyxy ``box`` in whole pixels, corners far outside an image of ``shape``
    brought to just outside it (OpenCV takes 32-bit coordinates; the visible lines stay)."""
    height, width = int(shape[0]), int(shape[1])
    margin = height + width  # wider than any line: a clipped corner draws nothing inside
    x1, y1, x2, y2 = box
    xs = np.clip(np.round([x1, x2]), -margin, width + margin).astype(int)
    ys = np.clip(np.round([y1, y2]), -margin, height + margin).astype(int)
    return int(xs[0]), int(ys[0]), int(xs[1]), int(ys[1])
