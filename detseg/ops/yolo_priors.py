"""YOLO grid priors and box parametrisations (pure tensors).

Two parametrisations live here, both relative to a regular grid laid over the network input:

- **YOLOv3** (one prior box per grid cell and anchor). A prediction ``(tx, ty, tw, th)`` at
  cell ``(cx, cy)`` of a level with stride ``s`` and prior size ``(pw, ph)`` decodes to the
  box of centre ``((cx + sigmoid(tx)) * s, (cy + sigmoid(ty)) * s)`` and size
  ``(pw * exp(tw), ph * exp(th))``. :func:`yolo_grid_priors` lays out the per-prediction
  ``(cell_x, cell_y, prior_w, prior_h, stride)`` rows in the order level -> y -> x -> anchor.
- **YOLOv1** (no prior). A prediction ``(x, y, sqrt_w, sqrt_h)`` in ``[0, 1]`` at cell
  ``(cx, cy)`` of an ``S x S`` grid over an ``H x W`` image decodes to centre
  ``((cx + x) * W / S, (cy + y) * H / S)`` and size ``(sqrt_w**2 * W, sqrt_h**2 * H)``:
  the centre is cell-relative and the size image-relative, as in the paper.

Boxes are ``xyxy`` absolute pixels of the network input.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from detseg.ops.boxes import _check_boxes, upcast_for_area

#: YOLOv3's COCO priors (width, height) in pixels of a 416 x 416 input, three per level from
#: the finest (stride 8) to the coarsest (stride 32).
YOLOV3_PRIORS_416: tuple[tuple[tuple[float, float], ...], ...] = (
    ((10.0, 13.0), (16.0, 30.0), (33.0, 23.0)),
    ((30.0, 61.0), (62.0, 45.0), (59.0, 119.0)),
    ((116.0, 90.0), (156.0, 198.0), (373.0, 326.0)),
)

#: Largest ``tw``/``th`` used when decoding (the same bound as ``BoxCoder``): ``exp`` of it is
#: 62.5, so a random head cannot produce infinite boxes.
WH_LOG_CLIP = math.log(1000.0 / 16)


def default_yolov3_priors(input_size: int) -> tuple[tuple[tuple[float, float], ...], ...]:
    """YOLOv3's COCO priors scaled from a 416 px input to ``input_size`` px.

    Args:
        input_size: Side of the square network input, in pixels.

    Returns:
        Three levels of three ``(width, height)`` priors in pixels, finest level first.
    """
    if input_size <= 0:
        raise ValueError(f"input_size must be positive, got {input_size}")
    scale = input_size / 416.0
    return tuple(tuple((w * scale, h * scale) for w, h in level) for level in YOLOV3_PRIORS_416)


def wh_iou(wh1: Tensor, wh2: Tensor) -> Tensor:
    """Pairwise IoU of boxes that share the same centre (shape-only IoU).

    Args:
        wh1: ``[N, 2]`` positive widths and heights.
        wh2: ``[M, 2]`` positive widths and heights.

    Returns:
        ``[N, M]`` IoU ``min(w) * min(h) / (w1 * h1 + w2 * h2 - min(w) * min(h))``;
        float16/bfloat16 sizes are computed and returned in float32 (no overflowing area).
    """
    if wh1.dim() != 2 or wh1.shape[-1] != 2 or wh2.dim() != 2 or wh2.shape[-1] != 2:
        raise ValueError(
            f"wh1 and wh2 must be [N, 2] and [M, 2], got {tuple(wh1.shape)}, {tuple(wh2.shape)}"
        )
    wh1, wh2 = upcast_for_area(wh1), upcast_for_area(wh2)
    inter = torch.min(wh1[:, None], wh2[None]).prod(dim=-1)  # [N, M]
    union = wh1.prod(dim=-1)[:, None] + wh2.prod(dim=-1)[None] - inter
    return inter / union


def paired_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """IoU of paired boxes (element ``i`` of one with element ``i`` of the other).

    Args:
        boxes1: ``[..., 4]`` xyxy boxes.
        boxes2: ``[..., 4]`` xyxy boxes, broadcastable against ``boxes1``.

    Returns:
        ``[...]`` IoU in ``[0, 1]`` (0 where both boxes are empty); float16/bfloat16 boxes
        are computed and returned in float32, as by ``torchvision.ops.box_iou``.
    """
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    top_left = torch.max(boxes1[..., :2], boxes2[..., :2])
    bottom_right = torch.min(boxes1[..., 2:], boxes2[..., 2:])
    inter = upcast_for_area(bottom_right - top_left).clamp(min=0).prod(dim=-1)
    boxes1, boxes2 = upcast_for_area(boxes1), upcast_for_area(boxes2)
    area1 = (boxes1[..., 2:] - boxes1[..., :2]).clamp(min=0).prod(dim=-1)
    area2 = (boxes2[..., 2:] - boxes2[..., :2]).clamp(min=0).prod(dim=-1)
    union = area1 + area2 - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(union))


def yolo_grid_priors(
    feature_size: tuple[int, int],
    stride: float,
    priors: Tensor,
) -> Tensor:
    """The prior of every prediction of one level, in the order y -> x -> anchor.

    Args:
        feature_size: ``(h, w)`` of the level's grid.
        stride: Input pixels per grid cell.
        priors: ``Float[A, 2]`` prior ``(width, height)`` in pixels.

    Returns:
        ``Float[h * w * A, 5]`` rows ``(cell_x, cell_y, prior_w, prior_h, stride)``
        (dtype and device of ``priors``).
    """
    if priors.dim() != 2 or priors.shape[-1] != 2:
        raise ValueError(f"priors must be [A, 2] (width, height), got {tuple(priors.shape)}")
    h, w = feature_size
    num_priors = priors.shape[0]
    ys = torch.arange(h, dtype=priors.dtype, device=priors.device)
    xs = torch.arange(w, dtype=priors.dtype, device=priors.device)
    cell_y, cell_x = torch.meshgrid(ys, xs, indexing="ij")  # [h, w] each
    cells = torch.stack((cell_x, cell_y), dim=-1).reshape(h * w, 1, 2).expand(-1, num_priors, 2)
    sizes = priors.reshape(1, num_priors, 2).expand(h * w, -1, 2)
    strides = priors.new_full((h * w, num_priors, 1), float(stride))
    return torch.cat((cells, sizes, strides), dim=-1).reshape(h * w * num_priors, 5)


def decode_yolov3_boxes(raw: Tensor, priors: Tensor) -> Tensor:
    """Decode YOLOv3 box outputs into xyxy pixels.

    Args:
        raw: ``Float[..., N, 4]`` network outputs ``(tx, ty, tw, th)``.
        priors: ``Float[N, 5]`` rows from :func:`yolo_grid_priors`.

    Returns:
        ``Float[..., N, 4]`` xyxy boxes in input pixels (``tw``, ``th`` clamped at
        :data:`WH_LOG_CLIP`), in the dtype of ``raw`` promoted with ``priors``; float16 and
        bfloat16 ``raw`` (autocast) are decoded in float32.
    """
    raw = raw.to(torch.promote_types(raw.dtype, torch.float32))
    cell, size, stride = priors[:, 0:2], priors[:, 2:4], priors[:, 4:5]
    centre = (cell + raw[..., 0:2].sigmoid()) * stride
    half = 0.5 * size * raw[..., 2:4].clamp(max=WH_LOG_CLIP).exp()
    return torch.cat((centre - half, centre + half), dim=-1)


def encode_yolov3_boxes(boxes: Tensor, priors: Tensor) -> Tensor:
    """Regression targets of YOLOv3 (the inverse of :func:`decode_yolov3_boxes`).

    Args:
        boxes: ``Float[..., N, 4]`` xyxy boxes in input pixels.
        priors: ``Float[N, 5]`` the prior of each box (its cell must contain the box centre).

    Returns:
        ``Float[..., N, 4]`` ``(ox, oy, tw, th)``: the centre offset inside the cell in
        ``[0, 1)`` (the target of ``sigmoid(tx)``) and ``log(w / pw)``, ``log(h / ph)``. So
        ``decode_yolov3_boxes(cat(logit(ox, oy), tw, th), priors) == boxes``.
    """
    _check_boxes(boxes)
    cell, size, stride = priors[:, 0:2], priors[:, 2:4], priors[:, 4:5]
    centre = 0.5 * (boxes[..., 0:2] + boxes[..., 2:4])
    wh = boxes[..., 2:4] - boxes[..., 0:2]
    return torch.cat((centre / stride - cell, torch.log(wh / size)), dim=-1)


def decode_yolov1_boxes(pred: Tensor, image_size: tuple[int, int]) -> Tensor:
    """Decode YOLOv1 ``(x, y, sqrt_w, sqrt_h)`` grid outputs into xyxy pixels.

    Args:
        pred: ``Float[..., S, S, B, 4]`` values in ``[0, 1]``: centre offsets inside the cell
            and square roots of width/height relative to the image. Dim ``-4`` is the row
            (y), dim ``-3`` the column (x).
        image_size: ``(H, W)`` of the network input the grid covers.

    Returns:
        ``Float[..., S, S, B, 4]`` xyxy boxes in input pixels, in the dtype of ``pred``
        (float32 for float16 and bfloat16 ``pred``: bfloat16 rounds 448 px boxes by up to 1 px).
    """
    pred = pred.to(torch.promote_types(pred.dtype, torch.float32))
    rows, cols = pred.shape[-4], pred.shape[-3]
    height, width = image_size
    ys = torch.arange(rows, dtype=pred.dtype, device=pred.device).view(rows, 1, 1)
    xs = torch.arange(cols, dtype=pred.dtype, device=pred.device).view(1, cols, 1)
    cx = (xs + pred[..., 0]) * (width / cols)
    cy = (ys + pred[..., 1]) * (height / rows)
    half_w = 0.5 * pred[..., 2].square() * width
    half_h = 0.5 * pred[..., 3].square() * height
    return torch.stack((cx - half_w, cy - half_h, cx + half_w, cy + half_h), dim=-1)


def encode_yolov1_boxes(
    boxes: Tensor, grid_size: int, image_size: tuple[int, int]
) -> tuple[Tensor, Tensor]:
    """YOLOv1 targets of boxes: the cell holding each centre and ``(x, y, sqrt_w, sqrt_h)``.

    Args:
        boxes: ``Float[N, 4]`` xyxy boxes in input pixels.
        grid_size: ``S`` of the ``S x S`` grid.
        image_size: ``(H, W)`` of the network input.

    Returns:
        ``Int64[N, 2]`` cell ``(row, col)`` (centres on the far border, or outside the image,
        go to the nearest border cell) and
        ``Float[N, 4]`` targets in ``[0, 1]``: offsets inside that cell and the square roots
        of the width/height divided by the image width/height (at most 1).
    """
    _check_boxes(boxes, ranks=(2,))
    height, width = image_size
    # per-column Python scales: no constant tensor is copied to the device
    centre = 0.5 * (boxes[:, 0:2] + boxes[:, 2:4])
    centre = torch.stack(
        (centre[:, 0] * (grid_size / width), centre[:, 1] * (grid_size / height)), dim=-1
    )  # in cells, (x, y)
    cell_xy = centre.floor().clamp(0, grid_size - 1)
    wh = boxes[:, 2:4] - boxes[:, 0:2]
    wh = torch.stack((wh[:, 0] / width, wh[:, 1] / height), dim=-1)
    # the head's outputs are sigmoids, in [0, 1]: a centre outside the image (a box more than
    # half out) gets the offset of the nearest edge of its border cell, and a side longer than
    # the image the whole image's
    offset = (centre - cell_xy).clamp(0, 1)
    targets = torch.cat((offset, wh.clamp(0, 1).sqrt()), dim=-1)
    return cell_xy.flip(-1).long(), targets
