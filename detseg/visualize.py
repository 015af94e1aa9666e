"""Drawing detections on images with OpenCV.

Images here are ``uint8`` numpy arrays ``[H, W, 3]`` in RGB order (convert a
detseg image tensor with :func:`tensor_to_rgb`); :func:`save_rgb` writes one to
disk (OpenCV wants BGR, the conversion happens there and nowhere else).
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

_GOLDEN_RATIO = 0.618033988749895


def class_colors(num_classes: int) -> list[tuple[int, int, int]]:
    """One distinct, saturated RGB colour per class, stable across runs.

    Hues are spread by the golden ratio so neighbouring labels differ clearly.

    Args:
        num_classes: number of foreground classes K (labels ``1..K``).

    Returns:
        ``colors[k - 1]`` is the ``(r, g, b)`` colour of label ``k``.
    """
    colors = []
    for k in range(num_classes):
        hue = (k * _GOLDEN_RATIO) % 1.0
        r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
        colors.append((int(r * 255), int(g * 255), int(b * 255)))
    return colors


def tensor_to_rgb(image: torch.Tensor) -> np.ndarray:
    """``Float[3, H, W]`` in [0, 1] (detseg image) -> ``uint8 [H, W, 3]`` RGB array."""
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"expected an image tensor [3, H, W], got shape {tuple(image.shape)}")
    array = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return np.ascontiguousarray(array.permute(1, 2, 0).cpu().numpy())


def draw_detections(
    image: np.ndarray,
    boxes: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    scores: torch.Tensor | np.ndarray | None,
    class_names: Sequence[str],
    score_threshold: float = 0.0,
) -> np.ndarray:
    """Draw boxes with ``"<class> <score>"`` captions, one colour per class.

    Args:
        image: ``uint8 [H, W, 3]`` RGB; not modified.
        boxes: ``[N, 4]`` xyxy absolute pixels.
        labels: ``[N]`` in ``1..K`` (``K = len(class_names)``).
        scores: ``[N]`` confidences, or ``None`` (ground truth: no score shown).
        class_names: the dataset's foreground classes.
        score_threshold: detections scoring below it are not drawn.

    Returns:
        A new ``uint8 [H, W, 3]`` RGB image.
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"expected a uint8 [H, W, 3] image, got {image.dtype} {tuple(image.shape)}"
        )
    boxes = np.asarray(_numpy(boxes), dtype=np.float64).reshape(-1, 4)
    labels = np.asarray(_numpy(labels), dtype=np.int64).reshape(-1)
    scores_np = None if scores is None else np.asarray(_numpy(scores), dtype=np.float64)
    colors = class_colors(len(class_names))
    canvas = image.copy()
    thickness = max(1, round(min(image.shape[:2]) / 250))
    order = np.argsort(scores_np) if scores_np is not None else np.arange(len(boxes))
    for i in order:  # lowest score first, so the best boxes end up on top
        if scores_np is not None and scores_np[i] < score_threshold:
            continue
        label = int(labels[i])
        name = class_names[label - 1] if 1 <= label <= len(class_names) else f"class {label}"
        color = colors[label - 1] if 1 <= label <= len(colors) else (255, 255, 255)
        caption = name if scores_np is None else f"{name} {scores_np[i]:.2f}"
        _draw_box(canvas, boxes[i], caption, color, thickness)
    return canvas


def _draw_box(
    canvas: np.ndarray,
    box: np.ndarray,
    caption: str,
    color: tuple[int, int, int],
    thickness: int,
) -> None:
    """Rectangle plus a filled caption tab above it (inside the image when at the top)."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    cv2.rectangle(canvas, (x1, y1), (x2, y2), color, thickness)
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, max(0.35, min(canvas.shape[:2]) / 800)
    (text_w, text_h), baseline = cv2.getTextSize(caption, font, scale, 1)
    top = y1 - text_h - baseline if y1 - text_h - baseline >= 0 else y1
    cv2.rectangle(canvas, (x1, top), (x1 + text_w, top + text_h + baseline), color, cv2.FILLED)
    text_color = (0, 0, 0) if sum(color) > 384 else (255, 255, 255)
    cv2.putText(
        canvas, caption, (x1, top + text_h), font, scale, text_color, 1, lineType=cv2.LINE_AA
    )


def save_rgb(path: str | Path, image: np.ndarray) -> None:
    """Write a ``uint8 [H, W, 3]`` RGB image; the format follows the file extension.

    Raises:
        OSError: OpenCV could not write the file (bad folder or extension).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write image {path} (unsupported extension or unwritable)")


def _numpy(values: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)
