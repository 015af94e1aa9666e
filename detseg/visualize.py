"""Drawing detections (boxes, instance masks) and segmentation label maps with OpenCV.

Images here are ``uint8`` numpy arrays ``[H, W, 3]`` in RGB order (convert a
detseg image tensor with :func:`tensor_to_rgb`); :func:`save_rgb` writes one to
disk (OpenCV wants BGR, the conversion happens there and nowhere else).
Label ``k`` (``1..K``) has colour ``class_colors(K)[k - 1]`` in both drawings. Class names in
any script are drawn (non-ASCII ones with a system font, :mod:`detseg.text_drawing`).
"""

from __future__ import annotations

import colorsys
import functools
import numbers
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from detseg.text_drawing import put_text, text_size

#: File extensions :func:`save_label_map` writes: lossless formats, which keep class indices.
LOSSLESS_SUFFIXES = frozenset({".png", ".bmp", ".tif", ".tiff", ".pgm", ".pnm"})

#: Tab colour of the "no detections" note of :func:`draw_detections` (no class has grey).
NO_DETECTIONS_COLOR = (96, 96, 96)

#: How many distinct colours :func:`class_colors` has (then they repeat).
PALETTE_SIZE = 577


def class_colors(num_classes: int) -> list[tuple[int, int, int]]:
    """One distinct, saturated RGB colour per class, stable across runs.

    The colours come from :func:`_palette`: each next colour is the one farthest (RGB
    distance) from all colours before it, so any two of the first 150 classes (ADE20K) differ
    by more than 30 and of the first 256 by more than 25; the list for ``K`` classes is the
    start of the list for more classes. No colour is grey or near white (the report's
    ground-truth colour). Beyond :data:`PALETTE_SIZE` classes the colours repeat.

    Args:
        num_classes: number of foreground classes K (labels ``1..K``).

    Returns:
        ``colors[k - 1]`` is the ``(r, g, b)`` colour of label ``k``.
    """
    palette = _palette()
    return [palette[k % len(palette)] for k in range(num_classes)]


@functools.cache
def _palette() -> tuple[tuple[int, int, int], ...]:
    """All :data:`PALETTE_SIZE` class colours, in order: farthest-point selection over an
    HSV grid (48 hues x saturations x values), starting from red ``(242, 36, 36)``."""
    grid = [(242, 36, 36)]
    for saturation in (1.0, 0.8, 0.6, 0.45):
        for value in (1.0, 0.8, 0.6):
            for hue in range(48):
                rgb = colorsys.hsv_to_rgb(hue / 48, saturation, value)
                grid.append((round(rgb[0] * 255), round(rgb[1] * 255), round(rgb[2] * 255)))
    candidates = np.array(grid, dtype=np.float64)
    candidates = candidates[np.abs(candidates - 255).max(axis=1) > 100]  # not near white
    order = [0]
    nearest = np.linalg.norm(candidates - candidates[0], axis=1)
    for _ in range(len(candidates) - 1):
        pick = int(nearest.argmax())
        order.append(pick)
        nearest = np.minimum(nearest, np.linalg.norm(candidates - candidates[pick], axis=1))
    return tuple((int(r), int(g), int(b)) for r, g, b in candidates[order])


def tensor_to_rgb(image: torch.Tensor) -> np.ndarray:
    """``Float[3, H, W]`` in [0, 1] (detseg image) -> ``uint8 [H, W, 3]`` RGB array."""
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"expected an image tensor [3, H, W], got shape {tuple(image.shape)}")
    array = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return np.ascontiguousarray(array.permute(1, 2, 0).cpu().numpy())


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
            masks, boxes, labels and scores of different lengths, or ``mask_alpha`` outside
            ``[0, 1]``.
    """
    image = _uint8_rgb(image, "draw_detections")
    boxes = np.asarray(_numpy(boxes), dtype=np.float64).reshape(-1, 4)
    labels = np.asarray(_numpy(labels), dtype=np.int64).reshape(-1)
    scores_np = None if scores is None else np.asarray(_numpy(scores), dtype=np.float64).reshape(-1)
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
        _draw_masks(
            canvas,
            _binary_masks(masks, len(boxes), image.shape[:2], mask_threshold),
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
        _draw_caption(canvas, caption, rect, colors[i])
    if scores_np is not None and not drawn:  # an empty picture is told apart from a blank one
        note = "no detections"
        if score_threshold > 0 and len(boxes):
            note += f" >= {score_threshold:g}"
        rect = place_captions(image.shape, np.zeros((1, 4)), [note])[0]  # the top-left corner
        _draw_caption(canvas, note, rect, NO_DETECTIONS_COLOR)
    return canvas


def fit_caption(name: str, suffix: str, shape: Sequence[int]) -> str:
    """``name + suffix``, the name shortened with ``"..."`` where the caption tab would be
    wider than an image of ``shape`` ``(H, W, ...)``, so that the score (``suffix``) stays in
    the picture."""
    scale, stroke = text_style(shape)
    return shorten_text(name, suffix, scale, stroke, int(shape[1]) - 2 * stroke)


def shorten_text(name: str, suffix: str, scale: float, stroke: int, width: int) -> str:
    """``name + suffix``, the name cut to its longest prefix followed by ``"..."`` where the
    text drawn at ``scale``/``stroke`` would be wider than ``width`` pixels."""

    def text_width(text: str) -> int:
        return text_size(text, scale, stroke)[0][0]

    if text_width(name + suffix) <= width:
        return name + suffix
    low, high = 0, len(name)  # the longest prefix that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(name[:middle] + "..." + suffix) <= width:
            low = middle
        else:
            high = middle - 1
    return name[:low] + "..." + suffix


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


def text_style(shape: Sequence[int]) -> tuple[float, int]:
    """``(font scale, stroke thickness)`` of ``cv2.FONT_HERSHEY_SIMPLEX`` captions on an image
    of ``shape`` ``(H, W, ...)``: text about 9 px tall up to 280 px, then growing with the
    shorter side (about 3.5 % of it), its strokes thickening with it."""
    scale = max(0.35, min(shape[:2]) / 800)
    return scale, max(1, round(scale * 1.5))


def line_thickness(shape: Sequence[int]) -> int:
    """Box and outline thickness in px on an image of ``shape``: 1 px up to 375 px, then
    growing with the shorter side (0.4 % of it)."""
    return max(1, round(min(shape[:2]) / 250))


def place_captions(
    shape: Sequence[int], boxes: np.ndarray, captions: Sequence[str]
) -> list[tuple[int, int, int, int]]:
    """Where the caption tab of each box goes: ``(x, y, width, height)`` in px, inside the image.

    Tabs are placed in the order given (put the most important first): each goes above its
    box's top-left corner (inside the box when there is no room above), moved left to end
    at the image's right border, and, when it would cover a tab placed before it, to the first
    free one of: inside the box's top, below a placed tab, above one (nearest first, within
    three tab heights of the box's top), below the box. When no spot is free it keeps its
    first place.

    Args:
        shape: the image's ``(H, W, ...)``.
        boxes: ``[N, 4]`` xyxy px.
        captions: the ``N`` texts.
    """
    height, width = int(shape[0]), int(shape[1])
    scale, stroke = text_style(shape)
    placed: list[tuple[int, int, int, int]] = []
    # the placed tabs as columns (x, y, width, height): each check is one numpy comparison,
    # so that thousands of boxes (a crowded ground truth) take seconds, not minutes
    table = np.zeros((len(captions), 4), dtype=np.int64)
    for box, caption in zip(np.asarray(boxes).reshape(-1, 4), captions, strict=True):
        (text_w, text_h), baseline = text_size(caption, scale, stroke)
        tab_w, tab_h = text_w + 2 * stroke, text_h + baseline + stroke
        x1, y1, _, y2 = (int(round(v)) for v in box)
        x = max(0, min(x1, width - tab_w))
        first = y1 - tab_h if y1 - tab_h >= 0 else y1
        others = table[: len(placed)]
        tops = np.concatenate(
            [
                [first, y1],
                _nearest(others[:, 1] + others[:, 3], first, y1, 3 * tab_h),  # below a tab
                _nearest(others[:, 1] - tab_h, first, y1, 3 * tab_h),  # above one
                [y2],
            ]
        )
        candidates = np.maximum(np.minimum(tops, height - tab_h), 0)  # inside, top first
        # only tabs sharing a column with this one can cover it
        column = others[(x < others[:, 0] + others[:, 2]) & (others[:, 0] < x + tab_w)]
        free = np.flatnonzero(~_covered(candidates, tab_h, column[:, 1], column[:, 3]))
        y = int(candidates[free[0]]) if len(free) else max(0, min(first, height - tab_h))
        placed.append((x, y, tab_w, tab_h))
        table[len(placed) - 1] = placed[-1]
    return placed


def _nearest(tops: np.ndarray, first: int, top: int, reach: int) -> np.ndarray:
    """``Int[M']``: the values of ``tops`` (``Int[M]``, in placing order) within ``reach`` px of
    ``top``, nearest to ``first`` first (ties in placing order)."""
    tops = tops[np.abs(tops - top) <= reach]
    return tops[np.argsort(np.abs(tops - first), kind="stable")]


def _covered(ys: np.ndarray, height: int, tops: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """``Bool[C]``: whether the rows ``[y, y + height)`` of each of ``ys`` (``Int[C]``) meet one
    of the row ranges ``[tops[i], tops[i] + heights[i])`` (``Int[M]``)."""
    if not len(tops):
        return np.zeros(len(ys), dtype=bool)
    order = np.argsort(tops, kind="stable")
    starts, reach = tops[order], np.maximum.accumulate((tops + heights)[order])
    # the ranges starting above y + height; they meet [y, y + height) when one reaches below y
    count = np.searchsorted(starts, ys + height, side="left")
    return (count > 0) & (reach[np.maximum(count - 1, 0)] > ys)


def text_color(background: Sequence[int]) -> tuple[int, int, int]:
    """Black or white, whichever contrasts more with the RGB ``background`` (WCAG relative
    luminance: black on colours brighter than about 18 % luminance)."""
    channels = np.asarray(background, dtype=np.float64) / 255.0
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return (0, 0, 0) if luminance > 0.179 else (255, 255, 255)


def _binary_masks(
    masks: torch.Tensor | np.ndarray, num: int, size: tuple[int, ...], threshold: float = 0.5
) -> np.ndarray:
    """``masks`` as ``Bool[N, H, W]`` (C order), checked against ``N`` boxes and ``size``; a
    float mask (probabilities) is the object above ``threshold``, others where non-zero (a
    cast to bool would make every pixel of a soft mask with a small probability the object)."""
    array = np.asarray(_numpy(masks))
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3 or array.shape[0] != num or array.shape[1:] != tuple(size):
        raise ValueError(
            f"masks must be [N, H, W] = [{num}, {size[0]}, {size[1]}] (one per box, the "
            f"image's size), got {tuple(array.shape)}"
        )
    if np.issubdtype(array.dtype, np.floating):
        return np.ascontiguousarray(array > threshold)
    return np.ascontiguousarray(array.astype(bool, copy=False))


def check_opacity(alpha: object, name: str) -> None:
    """Refuse an ``alpha`` (the opacity of colours blended over an image) that is no number in
    ``[0, 1]``: a string, a bool (``plot(False)`` meant as the legend), ``None`` or nan.

    Raises:
        ValueError: naming ``name`` and the value.
    """
    fits = (
        isinstance(alpha, numbers.Real)
        and not isinstance(alpha, (bool, np.bool_))
        and 0.0 <= float(alpha) <= 1.0
    )
    if not fits:
        raise ValueError(
            f"{name} must be a number in [0, 1] (0 the image only, 1 opaque colours), got {alpha!r}"
        )


def _draw_masks(
    canvas: np.ndarray,
    masks: np.ndarray,
    order: np.ndarray,
    colors: Sequence[tuple[int, int, int]],
    alpha: float,
    thickness: int,
) -> None:
    """Blend ``masks[i]`` (``Bool[N, H, W]``) in ``colors[i]`` for ``i`` in ``order`` (later on
    top), then outline each; ``canvas`` (``uint8 [H, W, 3]``) is drawn on in place."""
    check_opacity(alpha, "mask_alpha")
    layer = np.zeros_like(canvas)
    covered = np.zeros(canvas.shape[:2], dtype=bool)
    outlines = []
    for i in order:
        mask = masks[i].view(np.uint8)
        x, y, w, h = cv2.boundingRect(mask)  # the mask's extent: work on that crop only
        if w == 0 or h == 0:
            continue
        crop = masks[i, y : y + h, x : x + w]
        layer[y : y + h, x : x + w][crop] = colors[i]
        covered[y : y + h, x : x + w] |= crop
        contours, _ = cv2.findContours(
            np.ascontiguousarray(mask[y : y + h, x : x + w]),
            cv2.RETR_EXTERNAL,
            cv2.CHAIN_APPROX_NONE,
            offset=(x, y),
        )
        outlines.append((contours, colors[i]))
    blended = (1 - alpha) * canvas[covered] + alpha * layer[covered].astype(np.float64)
    canvas[covered] = np.clip(blended.round(), 0, 255).astype(np.uint8)
    for contours, color in outlines:
        cv2.drawContours(canvas, contours, -1, color, thickness)


def _draw_caption(
    canvas: np.ndarray, caption: str, rect: tuple[int, int, int, int], color: tuple[int, int, int]
) -> None:
    """A filled tab in ``color`` at ``rect`` (from :func:`place_captions`) with ``caption``."""
    x, y, tab_w, tab_h = rect
    scale, stroke = text_style(canvas.shape)
    (_, text_h), _ = text_size(caption, scale, stroke)
    cv2.rectangle(canvas, (x, y), (x + tab_w - 1, y + tab_h - 1), color, cv2.FILLED)
    origin = (x + stroke, y + text_h + stroke // 2)
    put_text(canvas, caption, origin, scale, text_color(color), stroke)


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
    image size (the frames of a video keep one size).

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
            ``alpha`` outside ``[0, 1]``, or another ``legend``.
    """
    if legend not in ("present", "all"):
        raise ValueError(f"legend must be 'present' or 'all', got {legend!r}")
    image = _uint8_rgb(image, "draw_segmentation")
    labels = _integer_labels(label_map, "draw_segmentation")
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


def _with_legend(
    image: np.ndarray,
    entries: list[tuple[str, tuple[int, int, int] | None]],
    dimmed: set[int] | frozenset[int] = frozenset(),
) -> np.ndarray:
    """``image`` with a white panel on its right: one swatch + name row per entry, the text
    sized like the captions of :func:`draw_detections` (:func:`text_style`), at least 0.4;
    the entries at the indices in ``dimmed`` grey (by index: two classes may share a name).
    A name wider than the image (or than 12 text heights, for a small image) is shortened
    with ``"..."`` (:func:`shorten_text`), as box captions are."""
    scale, stroke = text_style(image.shape)
    scale = max(0.4, scale)
    (_, text_h), baseline = text_size("Ag", scale, stroke)
    pad = max(4, text_h // 2)
    row = text_h + baseline + pad
    swatch = text_h + baseline
    longest = max(image.shape[1], 12 * text_h)  # as wide as the image, 12 rows at least
    shown = [shorten_text(name, "", scale, stroke, longest) for name, _ in entries]
    names_w = max(text_size(name, scale, stroke)[0][0] for name in shown)
    width = 3 * pad + swatch + names_w
    height = max(image.shape[0], pad + row * len(entries))
    out = np.full((height, image.shape[1] + width, 3), 255, dtype=np.uint8)
    out[: image.shape[0], : image.shape[1]] = image
    if height > image.shape[0]:
        out[image.shape[0] :, : image.shape[1]] = 0  # below a short image: black, not legend
    x0 = image.shape[1] + pad
    for i, ((_, color), text) in enumerate(zip(entries, shown, strict=True)):
        top = pad + i * row
        if color is not None:
            cv2.rectangle(out, (x0, top), (x0 + swatch, top + swatch), color, cv2.FILLED)
            cv2.rectangle(out, (x0, top), (x0 + swatch, top + swatch), (0, 0, 0), 1)
        origin = (x0 + swatch + pad, top + text_h)
        ink = (150, 150, 150) if i in dimmed else (0, 0, 0)
        put_text(out, text, origin, scale, ink, stroke)
    return out


def save_label_map(path: str | Path, label_map: torch.Tensor | np.ndarray) -> None:
    """Write an ``[H, W]`` label map as a single-channel 8-bit PNG of class indices.

    The file reads back with :func:`detseg.data.masks.read_label_map` (values ``0..K``).

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
    labels = _integer_labels(label_map, f"cannot write label map {path}")
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
    (:func:`_uint8_rgb`, errors naming ``path``)."""
    return _uint8_rgb(image, f"cannot write image {path}", grey=True)


def _uint8_rgb(image: np.ndarray | torch.Tensor, where: str, grey: bool = False) -> np.ndarray:
    """``image`` as ``uint8 [H, W, 3]`` RGB (or, with ``grey``, a ``uint8 [H, W]`` as it is).

    Takes ``uint8 [H, W, 3]``, ``float [H, W, 3]`` in ``[0, 1]`` and a detseg image tensor
    ``Float[3, H, W]`` in ``[0, 1]``; a float image is scaled to ``0..255`` (OpenCV would cut its
    values to 0 and 1: a black picture). Anything else is refused with one line starting with
    ``where`` (the function or the file).
    """
    if isinstance(image, torch.Tensor):
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


def _integer_labels(label_map: torch.Tensor | np.ndarray, where: str) -> np.ndarray:
    """``label_map`` (any shape) as int64; a float map only when every value is whole (a cast
    would turn 0.7 into 0 and draw a class as background). Errors start with ``where``."""
    values = np.asarray(_numpy(label_map))
    if np.issubdtype(values.dtype, np.floating):
        fractional = ~np.isfinite(values) | (values != np.round(values))
        if fractional.any():
            raise ValueError(
                f"{where}: label map holds non-integer value {values[fractional].flat[0]:g}; "
                "give class indices (argmax of the logits, or round the map)"
            )
    return values.astype(np.int64)


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


def _numpy(values: torch.Tensor | np.ndarray) -> np.ndarray:
    """``values`` as a numpy array; a bfloat16 tensor (autocast outputs) as float32, a type
    numpy lacks."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        return (values.float() if values.dtype == torch.bfloat16 else values).numpy()
    return np.asarray(values)
