"""The steps of an inference graph written so that tracing records them on the input's size.

``torch.jit.trace`` (and the ONNX exporter, which traces) turns every Python number into a
constant. The detectors' ``predict`` reads sizes and counts as Python ints (anchor grids, resize
factors, per-image counts), so a traced ``predict`` would only be right for the traced image. The
functions here do the same arithmetic on tensors: sizes come from ``torch._shape_as_tensor``,
counts from tensor shapes, and the results equal the eager model's values (same float32 /
float64 arithmetic, same NMS candidates in the same order). They run eagerly too, which is how
the export tests hold them to ``model.predict``.

Boxes are ``xyxy`` pixels throughout; sizes are ``Int64[2]`` tensors ``(h, w)``.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
import torchvision.ops
from torch import Tensor

from detseg.detection.transform import DetectionTransform


def image_size(x: Tensor) -> Tensor:
    """``Int64[2]`` ``(h, w)`` of the last two dimensions of ``x`` (a traced value)."""
    return torch._shape_as_tensor(x)[-2:]


def length(x: Tensor) -> Tensor:
    """``Int64[]`` size of the first dimension of ``x`` (a traced value)."""
    return torch._shape_as_tensor(x)[0]


def as_int(value: Tensor) -> int:
    """An ``Int64[]`` tensor where torch takes an ``int`` (a size, a pad, a ``k``): eager calls
    read it through ``__index__``, tracing records it as a value of the graph."""
    return cast(int, value)


def resize_min_max(image: Tensor, min_size: int, max_size: int) -> Tensor:
    """Bilinear resize so the short side is ``min_size`` unless the long side would pass
    ``max_size`` (``DetectionTransform`` in eval mode).

    The scale is ``min(min_size / min(h, w), max_size / max(h, w))`` and the output size
    ``floor(h * scale)``, both in float64 as Python computes them, so the output size (and the
    pixels) equal ``F.interpolate(..., scale_factor=scale, recompute_scale_factor=True)``. A
    side that the scale leaves no pixel of (a 2 x 300 strip with ``max_size=128``) keeps one, as
    the transform keeps one.

    Args:
        image: ``Float[1, 3, H, W]``.

    Returns:
        ``Float[1, 3, h, w]``.
    """
    hw = image_size(image).to(torch.float64)
    # float64 tensors: with Python numbers the ONNX exporter would divide in float32
    sizes = torch.tensor([min_size, max_size], dtype=torch.float64)
    scale = (sizes / torch.stack((hw.min(), hw.max()))).min()
    # maximum, not clamp: opset 11 writes clamp as Clip, which onnxruntime runs on float32 only
    floor = torch.floor(hw * scale)
    size = torch.maximum(floor, torch.ones_like(floor)).to(torch.int64)
    output_size = (as_int(size[0]), as_int(size[1]))
    return F.interpolate(image, size=output_size, mode="bilinear", align_corners=False)


def pad_to_multiple(batch: Tensor, divisor: int) -> Tensor:
    """Zero-pad ``Float[B, C, H, W]`` at the bottom/right to multiples of ``divisor``."""
    if divisor <= 1:
        return batch
    hw = image_size(batch)
    pad = torch.div(hw + divisor - 1, divisor, rounding_mode="floor") * divisor - hw
    return F.pad(batch, [0, as_int(pad[1]), 0, as_int(pad[0])])


def detection_input(transform: DetectionTransform, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Normalise, resize and pad one image as ``transform`` does in eval mode.

    Args:
        images: ``Float[1, 3, H, W]`` RGB in ``[0, 1]``.

    Returns:
        The padded batch ``Float[1, 3, Hp, Wp]``, the resized size and the input size
        (``Int64[2]`` ``(h, w)`` each).
    """
    original = image_size(images)
    # a reshape to one RGB image, not images[0]: a batch of several, or a grey [1, 1, H, W]
    # image (which the normalisation would broadcast to three channels), fails in the saved
    # graph (the shape does not fit) as the model refuses it
    x = transform.normalize(images.reshape(3, images.shape[-2], images.shape[-1]))[None]
    if transform.fixed_size is not None:
        size = list(transform.fixed_size)
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    else:
        x = resize_min_max(x, transform.min_size[-1], transform.max_size)
    resized = image_size(x)
    return pad_to_multiple(x, transform.size_divisible), resized, original


def clip_boxes(boxes: Tensor, size: Tensor) -> Tensor:
    """Clamp ``Float[..., 4]`` xyxy boxes into an image of ``size`` ``Int64[2]`` ``(h, w)``."""
    h, w = size.to(boxes.dtype).unbind(0)
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(
        (
            x1.clamp(min=0).minimum(w),
            y1.clamp(min=0).minimum(h),
            x2.clamp(min=0).minimum(w),
            y2.clamp(min=0).minimum(h),
        ),
        dim=-1,
    )


def scale_boxes(boxes: Tensor, old_size: Tensor, new_size: Tensor) -> Tensor:
    """``Float[N, 4]`` xyxy boxes of an ``old_size`` image in ``new_size`` pixels (float32
    per-axis ratios, as :func:`detseg.detection.transform.resize_boxes`)."""
    ratio = new_size.to(torch.float32) / old_size.to(torch.float32)  # (ratio_h, ratio_w)
    return boxes * ratio.flip(0).repeat(2).to(boxes.dtype)


def topk_at_most(values: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """``values.topk(min(k, len(values)))`` of a 1-D tensor whose length is only known at run
    time: the top values (decreasing) and their indices."""
    return values.topk(as_int(torch.clamp(length(values), max=k)))


def grid_anchors(cell_anchors: Tensor, feature: Tensor, batch_size: Tensor) -> Tensor:
    """The anchors of one level, as :class:`detseg.ops.anchors.AnchorGenerator` lays them out.

    Args:
        cell_anchors: ``Float[A, 4]`` zero-centred anchors of the level.
        feature: the level's feature map ``[1, C, h, w]`` (only its size is read).
        batch_size: ``Int64[2]`` ``(H, W)`` of the padded input batch.

    Returns:
        ``Float[h * w * A, 4]`` xyxy anchors ordered y -> x -> anchor; the stride is
        ``H // h`` and ``W // w``.
    """
    hw = image_size(feature)
    stride = torch.div(batch_size, hw, rounding_mode="floor")
    ys = torch.arange(hw[0], device=cell_anchors.device) * stride[0]  # type: ignore[call-overload]
    xs = torch.arange(hw[1], device=cell_anchors.device) * stride[1]  # type: ignore[call-overload]
    shift_x = (xs[None, :] + 0 * ys[:, None]).reshape(-1)  # [h * w], y-major
    shift_y = (ys[:, None] + 0 * xs[None, :]).reshape(-1)
    shifts = torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)  # [h * w, 4]
    return (shifts[:, None, :] + cell_anchors[None, :, :]).reshape(-1, 4)


def level_rows(head_output: Tensor, num_anchors: int, columns: int) -> Tensor:
    """One level's head output ``[1, A * columns, h, w]`` (channels anchor-major) as rows
    ``[h * w * A, columns]`` ordered y -> x -> anchor, the order of the anchors."""
    rows = head_output[0].reshape(num_anchors, columns, -1)  # [A, columns, h * w]
    return rows.permute(2, 0, 1).reshape(-1, columns)


def batched_nms(boxes: Tensor, scores: Tensor, groups: Tensor, iou_threshold: float) -> Tensor:
    """Group-wise NMS by ``torchvision.ops.batched_nms``'s coordinate trick.

    Each group's boxes are shifted by ``group * (max coordinate + 1)`` so one ``nms`` call
    never lets groups suppress each other: the path ``torchvision.ops.batched_nms`` takes (and
    detseg's detectors rely on) for up to 1,000 boxes on a CPU, with the same offsets. The
    maximum includes 0, so an empty input needs no branch; boxes must be clipped (``>= 0``).

    Args:
        boxes: ``Float[N, 4]`` xyxy, non-negative. scores: ``Float[N]``.
        groups: ``Int64[N]`` group of each box (class or level).

    Returns:
        ``Int64[K]`` kept indices by decreasing score (equal scores in index order).
    """
    top = torch.cat([boxes.flatten(), boxes.new_zeros(1)]).max()
    offsets = groups.to(boxes.dtype) * (top + torch.tensor(1).to(boxes))
    return torchvision.ops.nms(boxes + offsets[:, None], scores, iou_threshold)
