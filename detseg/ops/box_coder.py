"""BoxCoder: boxes <-> regression deltas ``(dx, dy, dw, dh)`` relative to anchors.

For an anchor with center ``(ax, ay)`` and size ``(aw, ah)`` and a box with center
``(gx, gy)`` and size ``(gw, gh)``, the deltas with weights ``(wx, wy, ww, wh)`` are::

    dx = wx * (gx - ax) / aw        dw = ww * log(gw / aw)
    dy = wy * (gy - ay) / ah        dh = wh * log(gh / ah)

The order of the floating-point operations (centers as ``x1 + 0.5 * w``, the weight
applied before the division, the clamp of ``dw, dh`` before ``exp``) is the one of
torchvision's detection models, so that converted models decode identical boxes.

Float16 and bfloat16 inputs (a head's outputs under autocast) are computed in float32 and
give float32 results: bfloat16 keeps 8 significant bits, a 4-pixel step at 800 px, which
would move every decoded box (torchvision decodes them in the deltas' dtype). Float32 and
float64 inputs are computed in their own dtype.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from detseg.ops.boxes import _check_boxes


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """``dtype`` promoted to at least float32: float32 for float16 and bfloat16."""
    return torch.promote_types(dtype, torch.float32)


def _widths_heights_centers(boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(w, h, cx, cy)``, each ``[N]``, of ``[N, 4]`` xyxy boxes."""
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    return widths, heights, boxes[:, 0] + 0.5 * widths, boxes[:, 1] + 0.5 * heights


class BoxCoder:
    """Encode boxes as deltas to anchors and decode deltas back to boxes.

    Half-precision inputs are computed in float32: :meth:`decode` of float16 or bfloat16
    deltas (autocast) returns float32 boxes, equal to the float32 decoding of the same
    (rounded) deltas with the anchors at their own precision; :meth:`encode` of float16 or
    bfloat16 ``gt_boxes`` returns float32 deltas. Float32 and float64 inputs keep their dtype.

    Args:
        weights: ``(wx, wy, ww, wh)`` multiplying the deltas at encoding time (and dividing
            them at decoding time). Faster R-CNN's RoI head uses ``(10, 10, 5, 5)``.
        bbox_xform_clip: Upper bound applied to ``dw`` and ``dh`` (after dividing by the
            weights) before ``exp`` at decoding time, so that no box explodes.

    Raises:
        ValueError: If ``weights`` is not 4 positive numbers.
    """

    def __init__(
        self,
        weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
        bbox_xform_clip: float = math.log(1000.0 / 16),
    ) -> None:
        if len(weights) != 4 or any(w <= 0 for w in weights):
            raise ValueError(f"weights must be 4 positive numbers (wx, wy, ww, wh), got {weights}")
        self.weights = tuple(float(w) for w in weights)
        self.bbox_xform_clip = bbox_xform_clip

    def encode(self, gt_boxes: Tensor, anchors: Tensor) -> Tensor:
        """Deltas that move each anchor onto its ground-truth box.

        Args:
            gt_boxes: ``[N, 4]`` xyxy target boxes (positive width and height).
            anchors: ``[N, 4]`` xyxy anchors or proposals, row ``i`` paired with
                ``gt_boxes[i]``.

        Returns:
            Float ``[N, 4]`` deltas ``(dx, dy, dw, dh)`` in the dtype of ``gt_boxes``
            (float32 for float16 and bfloat16 ``gt_boxes``).

        Raises:
            ValueError: If the inputs are not both ``[N, 4]`` with the same ``N``.
        """
        _check_boxes(gt_boxes, "gt_boxes")
        _check_boxes(anchors, "anchors")
        if gt_boxes.shape != anchors.shape or gt_boxes.dim() != 2:
            raise ValueError(
                "gt_boxes and anchors must both be [N, 4] with the same N, got "
                f"{tuple(gt_boxes.shape)} and {tuple(anchors.shape)}"
            )
        gt_boxes = gt_boxes.to(_compute_dtype(gt_boxes.dtype))
        # 0-dim CPU tensors act as scalars on any device: no copy to the GPU
        wx, wy, ww, wh = torch.as_tensor(self.weights, dtype=gt_boxes.dtype)
        aw, ah, ax, ay = _widths_heights_centers(anchors)
        gw, gh, gx, gy = _widths_heights_centers(gt_boxes)
        dx = wx * (gx - ax) / aw
        dy = wy * (gy - ay) / ah
        dw = ww * torch.log(gw / aw)
        dh = wh * torch.log(gh / ah)
        return torch.stack((dx, dy, dw, dh), dim=1)

    def decode(self, deltas: Tensor, anchors: Tensor) -> Tensor:
        """Apply deltas to anchors.

        Args:
            deltas: ``[N, 4 * K]`` deltas, ``K`` sets of ``(dx, dy, dw, dh)`` per anchor
                (``K = 1`` for class-agnostic regression, ``K = num_classes`` per class).
            anchors: ``[N, 4]`` xyxy anchors or proposals; cast to the dtype of the result.

        Returns:
            Float ``[N, K, 4]`` xyxy boxes in the pixels of ``anchors`` (not clipped to the
            image), in the dtype of ``deltas``, float32 for float16 and bfloat16 ``deltas``
            (computed in float32, so that autocast outputs keep sub-pixel accuracy).

        Raises:
            ValueError: If ``anchors`` is not ``[N, 4]`` or ``deltas`` not ``[N, 4 * K]``.
        """
        _check_boxes(anchors, "anchors")
        if deltas.dim() != 2 or deltas.shape[1] % 4 != 0 or deltas.shape[0] != anchors.shape[0]:
            raise ValueError(
                f"deltas must be [N, 4 * K] with N = len(anchors) = {anchors.shape[0]}, "
                f"got {tuple(deltas.shape)}"
            )
        dtype = _compute_dtype(deltas.dtype)
        deltas, anchors = deltas.to(dtype), anchors.to(dtype)
        widths, heights, ctr_x, ctr_y = _widths_heights_centers(anchors)
        wx, wy, ww, wh = self.weights
        dx = deltas[:, 0::4] / wx  # [N, K]
        dy = deltas[:, 1::4] / wy
        dw = torch.clamp(deltas[:, 2::4] / ww, max=self.bbox_xform_clip)
        dh = torch.clamp(deltas[:, 3::4] / wh, max=self.bbox_xform_clip)

        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        half_w = 0.5 * (torch.exp(dw) * widths[:, None])
        half_h = 0.5 * (torch.exp(dh) * heights[:, None])
        boxes = (pred_ctr_x - half_w, pred_ctr_y - half_h, pred_ctr_x + half_w, pred_ctr_y + half_h)
        return torch.stack(boxes, dim=2)  # [N, K, 4]
