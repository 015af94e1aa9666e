"""BoxCoder: boxes <-> regression deltas ``(dx, dy, dw, dh)`` relative to anchors.

For an anchor with center ``(ax, ay)`` and size ``(aw, ah)`` and a box with center
``(gx, gy)`` and size ``(gw, gh)``, the deltas with weights ``(wx, wy, ww, wh)`` are::

    dx = wx * (gx - ax) / aw        dw = ww * log(gw / aw)
    dy = wy * (gy - ay) / ah        dh = wh * log(gh / ah)

The order of the floating-point operations (centers as ``x1 + 0.5 * w``, the weight
applied before the division, the clamp of ``dw, dh`` before ``exp``) is the one of
torchvision's detection models, so that converted models decode identical boxes.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from detseg.ops.boxes import _check_boxes


def _widths_heights_centers(boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(w, h, cx, cy)``, each ``[N]``, of ``[N, 4]`` xyxy boxes."""
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    return widths, heights, boxes[:, 0] + 0.5 * widths, boxes[:, 1] + 0.5 * heights


class BoxCoder:
    """Encode boxes as deltas to anchors and decode deltas back to boxes.

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
            Float ``[N, 4]`` deltas ``(dx, dy, dw, dh)`` in the dtype of ``gt_boxes``.

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
            anchors: ``[N, 4]`` xyxy anchors or proposals; cast to the dtype of ``deltas``.

        Returns:
            Float ``[N, K, 4]`` xyxy boxes in the pixels of ``anchors`` (not clipped to the
            image).

        Raises:
            ValueError: If ``anchors`` is not ``[N, 4]`` or ``deltas`` not ``[N, 4 * K]``.
        """
        _check_boxes(anchors, "anchors")
        if deltas.dim() != 2 or deltas.shape[1] % 4 != 0 or deltas.shape[0] != anchors.shape[0]:
            raise ValueError(
                f"deltas must be [N, 4 * K] with N = len(anchors) = {anchors.shape[0]}, "
                f"got {tuple(deltas.shape)}"
            )
        anchors = anchors.to(deltas.dtype)
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
