"""Box geometry: format conversions, area, clipping, filtering and pairwise IoU / GIoU.

Every function here works on plain tensors. Unless a docstring says otherwise, boxes are
``xyxy`` in absolute pixels: ``(x1, y1, x2, y2)`` with ``x1 < x2`` and ``y1 < y2``.
The pairwise overlaps and the small-box filter use the kernels of ``torchvision.ops`` so
that models converted from torchvision see bit-identical numbers.
"""

from __future__ import annotations

import torch
import torchvision.ops
from torch import Tensor

from detseg.ops.padding import host_values

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


_RANK_SHAPES = {1: "[4]", 2: "[N, 4]", 3: "[B, N, 4]"}


def _check_boxes(boxes: Tensor, name: str = "boxes", ranks: tuple[int, ...] = ()) -> None:
    """Raise ``ValueError`` unless ``boxes`` is a tensor whose last dimension is 4.

    ``ranks`` (when given) are the accepted numbers of dimensions, e.g. ``(2,)`` for
    ``[N, 4]``: the pairwise ops index ``boxes[:, k]`` and give NaN or meaningless numbers
    on a ``[4]`` box or a ``[B, N, 4]`` batch. Only shapes are read: no host sync.
    """
    if not isinstance(boxes, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(boxes).__name__}")
    if ranks and boxes.dim() not in ranks:
        wanted = " or ".join(_RANK_SHAPES.get(r, f"{r}-D [..., 4]") for r in ranks)
        hint = f" (add the missing dimension: {name}[None])" if boxes.dim() == ranks[0] - 1 else ""
        raise ValueError(
            f"{name} must have shape {wanted} (x1, y1, x2, y2), got {tuple(boxes.shape)}{hint}"
        )
    if boxes.dim() == 0 or boxes.shape[-1] != 4:
        raise ValueError(
            f"{name} must have shape [..., 4] (x1, y1, x2, y2), got {tuple(boxes.shape)}"
        )


def _to_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    """``[..., 4]`` boxes in ``fmt`` (``xyxy``, ``xywh`` or ``cxcywh``) -> ``[..., 4]`` xyxy."""
    if fmt == "xyxy":
        return boxes
    a, b, c, d = boxes.unbind(-1)
    if fmt == "xywh":  # (x1, y1, w, h)
        return torch.stack((a, b, a + c, b + d), dim=-1)
    # cxcywh: (cx, cy, w, h)
    return torch.stack((a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d), dim=-1)


def _from_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    """``[..., 4]`` xyxy boxes -> ``[..., 4]`` in ``fmt`` (``xyxy``, ``xywh`` or ``cxcywh``)."""
    if fmt == "xyxy":
        return boxes
    x1, y1, x2, y2 = boxes.unbind(-1)
    if fmt == "xywh":
        return torch.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def upcast_for_area(t: Tensor) -> Tensor:
    """``t`` in a dtype where products of coordinates do not overflow.

    float16/bfloat16 -> float32 and integers narrower than 32 bits -> int32; float32, float64,
    int32 and int64 are returned as they are. This is ``torchvision.ops``' upcast before the
    area products of ``box_area`` and ``box_iou``: a float16 area overflows to ``inf`` from
    256 x 256 pixels (65504 is the largest float16), and bfloat16 keeps 8 significant bits.
    """
    if t.is_floating_point():
        return t if t.dtype in (torch.float32, torch.float64) else t.float()
    return t if t.dtype in (torch.int32, torch.int64) else t.int()


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between the ``xyxy``, ``xywh`` and ``cxcywh`` formats.

    ``xyxy`` is ``(x1, y1, x2, y2)``; ``xywh`` is ``(x1, y1, width, height)`` (COCO);
    ``cxcywh`` is ``(center_x, center_y, width, height)`` (YOLO, DETR). Conversions
    between the two non-``xyxy`` formats go through ``xyxy``.

    Args:
        boxes: Float tensor ``[..., 4]`` in ``in_fmt``.
        in_fmt: Format of ``boxes``.
        out_fmt: Wanted format.

    Returns:
        A new tensor ``[..., 4]`` (same dtype) in ``out_fmt``; a copy when the formats agree.

    Raises:
        ValueError: If a format is unknown or ``boxes`` is not ``[..., 4]``.
    """
    for fmt, arg in ((in_fmt, "in_fmt"), (out_fmt, "out_fmt")):
        if fmt not in BOX_FORMATS:
            raise ValueError(f"{arg}={fmt!r} is not a box format; use one of {BOX_FORMATS}")
    _check_boxes(boxes)
    if in_fmt == out_fmt:
        return boxes.clone()
    return _from_xyxy(_to_xyxy(boxes, in_fmt), out_fmt)


def box_area(boxes: Tensor) -> Tensor:
    """Area ``(x2 - x1) * (y2 - y1)`` of each box.

    Args:
        boxes: ``[N, 4]`` xyxy boxes (float or integer).

    Returns:
        ``[N]`` areas; float16/bfloat16 inputs are computed and returned in float32.

    Raises:
        ValueError: If ``boxes`` is not a tensor ``[N, 4]``.
    """
    _check_boxes(boxes, ranks=(2,))
    return torchvision.ops.box_area(boxes)


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Clamp box coordinates into the image: ``x`` into ``[0, W]``, ``y`` into ``[0, H]``.

    Args:
        boxes: ``[..., 4]`` xyxy boxes.
        size: ``(H, W)`` of the image, in pixels.

    Returns:
        A new ``[..., 4]`` tensor of clipped boxes (boxes entirely outside become degenerate).

    Raises:
        ValueError: If ``boxes`` is not a tensor ``[..., 4]`` or ``size`` is not ``(H, W)``.
    """
    _check_boxes(boxes)
    if len(size) != 2:
        raise ValueError(f"size must be (height, width), got {size!r}")
    return torchvision.ops.clip_boxes_to_image(boxes, (size[0], size[1]))


def clip_boxes_to_sizes(boxes: Tensor, image_sizes: list[tuple[int, int]]) -> Tensor:
    """:func:`clip_boxes_to_image` for a batch: every image's boxes at once.

    Args:
        boxes: ``[B, ..., 4]`` xyxy boxes in pixels, image ``b``'s in ``boxes[b]``.
        image_sizes: ``B`` pairs ``(h, w)``, one per image.

    Returns:
        A new ``[B, ..., 4]`` tensor (dtype of ``boxes``) with x in ``[0, w]`` and y in
        ``[0, h]`` of their image (the same values, and in backward the same gradient, as
        clipping image by image).

    Raises:
        ValueError: If ``boxes`` is not a tensor ``[..., 4]``.
    """
    _check_boxes(boxes)
    sizes = host_values(image_sizes, boxes.device, boxes.dtype)  # [B, 2] (h, w), no sync
    sizes = sizes.view(len(image_sizes), *([1] * (boxes.dim() - 2)), 2)
    heights, widths = sizes[..., 0], sizes[..., 1]
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(
        (
            _clamp_to(x1, widths),
            _clamp_to(y1, heights),
            _clamp_to(x2, widths),
            _clamp_to(y2, heights),
        ),
        dim=-1,
    )


def _clamp_to(values: Tensor, upper: Tensor) -> Tensor:
    """``values.clamp(min=0, max=upper)`` for a tensor ``upper``, with the gradient of the clamp
    by numbers: 1 strictly inside ``(0, upper)``, 0 elsewhere (at both bounds and for NaN).

    ``Tensor.minimum`` and ``clamp`` by tensors split the gradient in two where the value equals
    the bound; torchvision's ``clip_boxes_to_image`` gives such a coordinate no gradient.
    """
    clamped = values.detach().clamp(min=0).minimum(upper)
    if not values.requires_grad:  # detached proposals, inference: the values alone
        return clamped
    return torch.where((values > 0) & (values < upper), values, clamped)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes whose width and height are both ``>= min_size``.

    Args:
        boxes: ``[N, 4]`` xyxy boxes.
        min_size: Smallest allowed side length, in pixels.

    Returns:
        Int64 ``[K]`` indices of the kept boxes, in increasing order.

    Raises:
        ValueError: If ``boxes`` is not a tensor ``[N, 4]``.
    """
    _check_boxes(boxes, ranks=(2,))
    return torchvision.ops.remove_small_boxes(boxes, min_size)


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise intersection over union.

    Args:
        boxes1: ``[N, 4]`` xyxy boxes.
        boxes2: ``[M, 4]`` xyxy boxes.

    Returns:
        Float ``[N, M]`` IoU in ``[0, 1]`` (NaN where both boxes have zero area).

    Raises:
        ValueError: If ``boxes1`` or ``boxes2`` is not a tensor ``[N, 4]``.
    """
    _check_boxes(boxes1, "boxes1", ranks=(2,))
    _check_boxes(boxes2, "boxes2", ranks=(2,))
    return torchvision.ops.box_iou(boxes1, boxes2)


def batched_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise IoU for a batch of images: :func:`box_iou` of every image at once.

    The arithmetic is ``torchvision.ops.box_iou``'s, so each image's result is the same.

    Args:
        boxes1: ``[B, N, 4]`` xyxy boxes.
        boxes2: ``[B, M, 4]`` xyxy boxes, or ``[M, 4]`` shared by every image.

    Returns:
        Float ``[B, N, M]`` IoU in ``[0, 1]`` (NaN where both boxes have zero area);
        float16/bfloat16 boxes are computed and returned in float32, as by ``box_iou``.

    Raises:
        ValueError: If ``boxes1`` is not a tensor ``[B, N, 4]`` or ``boxes2`` not
            ``[B, M, 4]`` or ``[M, 4]``.
    """
    _check_boxes(boxes1, "boxes1", ranks=(3,))
    _check_boxes(boxes2, "boxes2", ranks=(3, 2))
    if boxes2.dim() == 2:
        boxes2 = boxes2[None]
    # torchvision's order: areas of the upcast boxes, corner differences upcast after the
    # subtraction (a float16 area overflows from 256 x 256 pixels)
    wide1, wide2 = upcast_for_area(boxes1), upcast_for_area(boxes2)
    area1 = (wide1[..., 2] - wide1[..., 0]) * (wide1[..., 3] - wide1[..., 1])
    area2 = (wide2[..., 2] - wide2[..., 0]) * (wide2[..., 3] - wide2[..., 1])
    top_left = torch.max(boxes1[:, :, None, :2], boxes2[:, None, :, :2])
    bottom_right = torch.min(boxes1[:, :, None, 2:], boxes2[:, None, :, 2:])
    wh = upcast_for_area(bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[:, :, None] + area2[:, None, :] - inter
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalized IoU: ``IoU - (|C| - |A u B|) / |C|``, C the enclosing box.

    Args:
        boxes1: ``[N, 4]`` xyxy boxes with positive width and height.
        boxes2: ``[M, 4]`` xyxy boxes with positive width and height.

    Returns:
        Float ``[N, M]`` GIoU in ``[-1, 1]``.

    Raises:
        ValueError: If ``boxes1`` or ``boxes2`` is not a tensor ``[N, 4]``.
    """
    _check_boxes(boxes1, "boxes1", ranks=(2,))
    _check_boxes(boxes2, "boxes2", ranks=(2,))
    return torchvision.ops.generalized_box_iou(boxes1, boxes2)


def invalid_box_mask(boxes: Tensor, size: tuple[int, int] | None = None) -> Tensor:
    """Flag boxes that break the box contract.

    A box is invalid when a coordinate is NaN or infinite, when its width or height is
    not positive (``x2 <= x1`` or ``y2 <= y1``), or, if ``size`` is given, when it leaves
    the image (``x1 < 0``, ``y1 < 0``, ``x2 > W`` or ``y2 > H``).

    Without ``size`` this is the broken box of the target contract,
    ``nonfinite_boxes | degenerate_boxes`` of :mod:`detseg.target_values`, restated because
    ``ops/`` imports nothing outside ``ops/`` (``tests/test_target_values.py`` holds the two
    equal). The image-bounds test is stricter than the contract on purpose: detseg's readers
    clip such boxes to the image (:func:`detseg.data.target_checks.sanitize_boxes`), and every
    box they keep passes it.

    Args:
        boxes: ``[N, 4]`` (or ``[..., 4]``) xyxy boxes in absolute pixels.
        size: Optional ``(H, W)`` of the image.

    Returns:
        Bool ``[N]`` (``[...]``), True for each invalid box.

    Raises:
        ValueError: If ``boxes`` is not a tensor ``[..., 4]`` or ``size`` is not ``(H, W)``.
    """
    _check_boxes(boxes)
    x1, y1, x2, y2 = boxes.unbind(-1)
    bad = ~torch.isfinite(boxes).all(dim=-1)
    bad |= (x2 <= x1) | (y2 <= y1)  # NaN compares False; already caught above
    if size is not None:
        if len(size) != 2:
            raise ValueError(f"size must be (height, width), got {size!r}")
        height, width = size
        bad |= (x1 < 0) | (y1 < 0) | (x2 > width) | (y2 > height)
    return bad
