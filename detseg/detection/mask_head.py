"""Mask branch of Mask R-CNN (He et al. 2017): per-RoI mask logits, their loss, and the pasting
of predicted masks into the image.

Shapes: ``R`` RoIs, ``K`` foreground classes, ``C_m`` mask channels (``K + 1`` with channel
``k`` for label ``k``, or 1 for a class-agnostic head), ``S`` pooled size (14), ``M = 2S`` mask
size (28). The arithmetic is torchvision's (``MaskRCNNHeads``, ``MaskRCNNPredictor``,
``project_masks_on_boxes``, ``maskrcnn_loss``, ``paste_masks_in_image``), so converted models
give its losses and masks.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import roi_align

from detseg.detection.batch_statistics import uses_batch_statistics
from detseg.detection.roi_pooling import RoIPooler
from detseg.ops.padding import host_reads_are_free

MASK_NORMS = (None, "bn")
# pixels of one block of image rows in paste_masks_in_image: on the CPU a block small enough to
# stay in cache; on other devices a large one (few kernel launches, bounded temporaries)
_PASTE_BLOCK_ELEMENTS = {"cpu": 1 << 18}
_PASTE_BLOCK_ELEMENTS_DEFAULT = 1 << 24


class MaskRCNNHead(nn.Module):
    """RoIAlign features -> 3x3 convs (+ BatchNorm) + ReLU -> 2x2 stride-2 deconv + ReLU -> 1x1
    conv to mask logits.

    Args:
        pooler: the :class:`RoIPooler` (RoIAlign, ``S x S``) over the detector's levels.
        in_channels: channels ``C`` of the pooled features.
        num_classes: foreground classes ``K``.
        layers: output channels of each 3x3 conv (``(256,) * 4``).
        dilation: dilation (and padding) of the 3x3 convs.
        norm: ``None`` (convs with bias) or ``"bn"`` (BatchNorm after each conv, no bias; the
            v2 model).
        dim_reduced: channels of the deconvolution.
        class_agnostic: one mask channel for every class instead of ``K + 1``.

    Raises:
        ValueError: If ``norm`` is not ``None`` or ``"bn"``.
    """

    def __init__(
        self,
        pooler: RoIPooler,
        in_channels: int,
        num_classes: int,
        layers: Sequence[int] = (256, 256, 256, 256),
        dilation: int = 1,
        norm: str | None = None,
        dim_reduced: int = 256,
        class_agnostic: bool = False,
    ) -> None:
        super().__init__()
        if norm not in MASK_NORMS:
            raise ValueError(f"mask norm={norm!r} is not one of {MASK_NORMS}")
        self.pooler = pooler
        self.class_agnostic = class_agnostic
        blocks = []
        for channels in layers:
            conv = nn.Conv2d(
                in_channels, channels, 3, padding=dilation, dilation=dilation, bias=norm is None
            )
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            if conv.bias is not None:
                nn.init.zeros_(conv.bias)
            parts: list[nn.Module] = [conv] if norm is None else [conv, nn.BatchNorm2d(channels)]
            blocks.append(nn.Sequential(*parts, nn.ReLU(inplace=True)))
            in_channels = channels
        self.convs = nn.Sequential(*blocks)
        self.deconv = nn.ConvTranspose2d(in_channels, dim_reduced, 2, stride=2)
        self.logits = nn.Conv2d(dim_reduced, 1 if class_agnostic else num_classes + 1, 1)
        for layer in (self.deconv, self.logits):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")

    @property
    def mask_size(self) -> int:
        """``M``, the side of the predicted masks (twice the pooled side)."""
        return 2 * self.pooler.output_size[0]

    def forward(self, features: OrderedDict[str, Tensor], boxes: list[Tensor]) -> Tensor:
        """Mask logits of boxes ``Float[R_i, 4]`` xyxy (resized-image pixels) per image.

        Returns:
            ``Float[sum R_i, C_m, M, M]``, in the order of the concatenated boxes.
        """
        x = self.convs(self.pooler(features, boxes))
        return self.logits(F.relu(self.deconv(x), inplace=True))

    def channels_of(self, labels: Tensor) -> Tensor:
        """The mask channel of each label ``Int64[R]`` (``0`` when class-agnostic)."""
        return torch.zeros_like(labels) if self.class_agnostic else labels

    def losses(
        self,
        features: OrderedDict[str, Tensor],
        rois: Tensor,
        labels: Tensor,
        matched_gt: Tensor,
        gt_masks: list[Tensor],
        image_sizes: list[tuple[int, int]],
        max_foreground: int | None = None,
    ) -> Tensor:
        """:func:`mask_rcnn_loss` of the foreground RoIs of the batch.

        Args:
            features: feature maps by name.
            rois: ``Float[B, S_r, 4]`` sampled RoIs, xyxy resized-image pixels.
            labels: ``Int64[B, S_r]`` their labels (0: background or not sampled).
            matched_gt: ``Int64[B, S_r]`` index of the gt box of each foreground RoI.
            gt_masks: per image ``UInt8[N_i, H_i, W_i]`` instance masks of the input image.
            image_sizes: ``(h, w)`` of each resized image.
            max_foreground: the most foreground RoIs an image can have (the sampler's bound;
                ``None``: ``S_r``); it sizes the padded path of a GPU.

        Returns:
            the scalar loss (``loss_roi_mask`` of :class:`~detseg.detection.mask_rcnn.MaskRCNN`).
        """
        # a BatchNorm head in training would take its statistics over the background slots
        # too: it pools the foreground RoIs only, as torchvision's
        if not host_reads_are_free(rois.device) and not uses_batch_statistics(self):
            slots = rois.shape[1] if max_foreground is None else min(max_foreground, rois.shape[1])
            return self._padded_losses(
                features, rois, labels, matched_gt, gt_masks, image_sizes, slots
            )
        # torchvision's path: the foreground RoIs of each image, cut by a read of their count
        foreground = labels > 0
        boxes = [r[f] for r, f in zip(rois, foreground, strict=True)]
        logits = self(features, boxes)
        targets = [
            project_masks_on_boxes(masks, size, b, m[f], self.mask_size)
            for masks, size, b, m, f in zip(
                gt_masks, image_sizes, boxes, matched_gt, foreground, strict=True
            )
        ]
        return mask_rcnn_loss(logits, self.channels_of(labels[foreground]), torch.cat(targets))

    def _padded_losses(
        self,
        features: OrderedDict[str, Tensor],
        rois: Tensor,
        labels: Tensor,
        matched_gt: Tensor,
        gt_masks: list[Tensor],
        image_sizes: list[tuple[int, int]],
        slots: int,
    ) -> Tensor:
        """:meth:`losses` without a host read (a GPU's path): every image keeps ``F = slots``
        RoI slots, its foreground RoIs first (in their order); ``F`` is at least the number of
        foreground RoIs of any image. The mask head runs on all ``B * F`` slots and the loss
        is the mean over the foreground slots' pixels: :meth:`losses`' value, up to float
        rounding, for a head without BatchNorm in training (:meth:`losses` never takes this
        path for one: the background slots would enter its statistics).
        """
        foreground = labels > 0
        order = torch.argsort(~foreground, dim=1, stable=True)[:, :slots]  # [B, F]
        fg_rois = rois.gather(1, order[..., None].expand(-1, -1, 4))
        is_foreground = foreground.gather(1, order)
        logits = self(features, list(fg_rois))  # [B * F, C_m, M, M]
        targets = []
        for masks, size, boxes, matched in zip(
            gt_masks, image_sizes, fg_rois, matched_gt.gather(1, order), strict=True
        ):
            if masks.shape[0] == 0:  # an image without objects: its slots are all background
                masks = masks.new_zeros((1, *masks.shape[1:]))
            targets.append(project_masks_on_boxes(masks, size, boxes, matched, self.mask_size))
        channels = self.channels_of(labels.gather(1, order))
        return mask_rcnn_loss(
            logits, channels.flatten(), torch.cat(targets), is_foreground.flatten()
        )

    def predict(
        self, features: OrderedDict[str, Tensor], boxes: list[Tensor], labels: list[Tensor]
    ) -> list[Tensor]:
        """Mask probabilities of detections.

        Args:
            features: feature maps by name.
            boxes: per image ``Float[D_i, 4]`` xyxy detections (resized-image pixels).
            labels: per image ``Int64[D_i]`` their labels.

        Returns:
            per image ``Float[D_i, 1, M, M]``: the sigmoid of each detection's label channel.
        """
        logits = self(features, boxes)
        channels = self.channels_of(torch.cat(labels))
        size = self.mask_size
        picked = logits.gather(1, channels[:, None, None, None].expand(-1, 1, size, size))
        return list(picked.sigmoid().split([b.shape[0] for b in boxes]))


def project_masks_on_boxes(
    gt_masks: Tensor, image_size: tuple[int, int], boxes: Tensor, matched_gt: Tensor, size: int
) -> Tensor:
    """Mask targets: each RoI's gt mask, cropped to the RoI and resampled to ``size x size``.

    The matched masks are resized (nearest) to the resized image, as torchvision's transform
    resizes target masks, then RoIAlign (``aligned=False``, adaptive sampling) crops them.

    Args:
        gt_masks: ``UInt8[N, H, W]`` binary masks of the input image.
        image_size: ``(h, w)`` of the resized image.
        boxes: ``Float[P, 4]`` RoIs, xyxy resized-image pixels.
        matched_gt: ``Int64[P]`` index into ``gt_masks`` of each RoI's gt.
        size: ``M``.

    Returns:
        ``Float[P, M, M]`` in ``[0, 1]``.
    """
    if boxes.shape[0] == 0:
        return boxes.new_zeros((0, size, size))
    if host_reads_are_free(boxes.device):  # resize only the used masks (torch.unique reads)
        used, index = torch.unique(matched_gt, return_inverse=True)
        masks = gt_masks[used.to(gt_masks.device)]
    else:  # resize every mask, as torchvision's transform does: no count is read
        masks, index = gt_masks, matched_gt
    masks = masks.to(boxes.device, boxes.dtype)[:, None]  # [U, 1, H, W]
    if tuple(masks.shape[-2:]) != tuple(image_size):
        masks = F.interpolate(masks, size=image_size, mode="nearest")
    rois = torch.cat([index[:, None].to(boxes.dtype), boxes], dim=1)
    return roi_align(masks, rois, (size, size), 1.0, aligned=False)[:, 0]


def mask_rcnn_loss(
    mask_logits: Tensor, channels: Tensor, mask_targets: Tensor, valid: Tensor | None = None
) -> Tensor:
    """Binary cross-entropy of each foreground RoI's mask channel against its target.

    Mean over every pixel of every foreground RoI of the batch (``P * M * M`` terms); exactly
    zero, still attached to ``mask_logits``, when there is no foreground RoI.

    Args:
        mask_logits: ``Float[P, C_m, M, M]``.
        channels: ``Int64[P]`` the channel of each RoI (its label, or 0 class-agnostic).
        mask_targets: ``Float[P, M, M]`` in ``[0, 1]``.
        valid: ``Bool[P]``, the rows that are foreground RoIs (the others are padding and do
            not count); ``None``: every row.

    Returns:
        The scalar loss.
    """
    if mask_targets.numel() == 0:
        return mask_logits.sum() * 0
    size = mask_logits.shape[-1]
    picked = mask_logits.gather(1, channels[:, None, None, None].expand(-1, 1, size, size))
    if valid is None:
        return F.binary_cross_entropy_with_logits(picked[:, 0], mask_targets)
    pixels = F.binary_cross_entropy_with_logits(picked[:, 0], mask_targets, reduction="none")
    # the count stays on the device; no foreground row: 0 / 1, still attached to the logits
    total = torch.where(valid[:, None, None], pixels, 0.0).sum()
    return total / (valid.sum() * size * size).clamp(min=1)


def _expand_boxes(boxes: Tensor, scale: float) -> Tensor:
    """``Float[N, 4]`` xyxy boxes scaled by ``scale`` about their centres."""
    half_w = (boxes[:, 2] - boxes[:, 0]) * 0.5 * scale
    half_h = (boxes[:, 3] - boxes[:, 1]) * 0.5 * scale
    x_c = (boxes[:, 2] + boxes[:, 0]) * 0.5
    y_c = (boxes[:, 3] + boxes[:, 1]) * 0.5
    return torch.stack((x_c - half_w, y_c - half_h, x_c + half_w, y_c + half_h), dim=1)


def _axis_weights(
    start: Tensor, end: Tensor, length: int, source: int
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Bilinear resampling (``align_corners=False``) of ``source`` values onto the whole pixels
    ``start..end`` of each mask's box, along one image axis of ``length`` pixels.

    Args:
        start, end: ``Int64[N]`` first and last box pixel (inclusive).
        length: image size along this axis (``W`` or ``H``).
        source: mask size along this axis (padded ``M``).

    Returns:
        ``Int64[N, length]`` lower and upper source indices, ``Float[N, length]`` their weights
        (zero for pixels outside the box).
    """
    pixels = torch.arange(length, device=start.device)
    offset = pixels - start[:, None]  # [N, length]
    span = (end - start + 1).clamp(min=1)
    ratio = torch.full_like(span, source, dtype=torch.float32) / span
    # source coordinate rounded once to float32, as interpolate's kernels compute it
    coord = ratio[:, None].double() * (offset.double() + 0.5) - 0.5
    coord = coord.float().clamp(min=0)
    lower = coord.to(torch.int64).clamp(max=source - 1)
    upper = (lower + 1).clamp(max=source - 1)
    upper_weight = (coord - lower).clamp(0.0, 1.0)
    inside = (offset >= 0) & (pixels <= end[:, None])
    upper_weight = torch.where(inside, upper_weight, 0.0)
    lower_weight = torch.where(inside, 1.0 - upper_weight, 0.0)
    return lower, upper, lower_weight, upper_weight


def paste_masks_in_image(
    masks: Tensor, boxes: Tensor, image_size: tuple[int, int], padding: int = 1
) -> Tensor:
    """Paste ``M x M`` box masks into an image, as torchvision's ``paste_masks_in_image``.

    Each mask is padded by ``padding`` zeros, its box expanded by ``(M + 2 padding) / M`` and
    truncated to whole pixels; the padded mask is resized (bilinear, ``align_corners=False``)
    onto the box's ``x1..x2, y1..y2`` pixels and everything else is 0. All masks at once (no
    host synchronisation), separably: every mask's rows are resampled to the image width, then
    every image row is a weighted sum of two of those rows (row copies, written block by block
    into the output). Equal to torchvision's up to float rounding (the same weights, in another
    order of operations).

    Args:
        masks: ``Float[N, 1, M, M]`` (or ``[N, M, M]``) mask probabilities.
        boxes: ``Float[N, 4]`` xyxy in the image's pixels.
        image_size: ``(H, W)`` of the image.
        padding: zero border added to each mask before resizing.

    Returns:
        ``Float[N, 1, H, W]`` in the dtype of ``masks``, values in ``[0, 1]`` for
        probabilities; with a gradient to ``masks`` when they need one (a ``predict`` outside
        ``torch.no_grad``, as torchvision's).
    """
    height, width = image_size
    num, size = masks.shape[0], masks.shape[-1]
    if num == 0 or height == 0 or width == 0:
        return masks.new_zeros((num, 1, height, width))
    padded = F.pad(masks.reshape(num, size, size), (padding,) * 4)  # [N, P, P]
    source = size + 2 * padding
    x1, y1, x2, y2 = _expand_boxes(boxes, source / size).to(torch.int64).unbind(1)
    xl, xu, wxl, wxu = _axis_weights(x1, x2, width, source)  # [N, W] each
    yl, yu, wyl, wyu = _axis_weights(y1, y2, height, source)  # [N, H] each
    rows = padded.gather(2, xl[:, None].expand(-1, source, -1)) * wxl[:, None]
    rows = rows + padded.gather(2, xu[:, None].expand(-1, source, -1)) * wxu[:, None]
    rows = rows.view(num * source, width)  # [N * P, W]: each mask's rows at the image width
    first_row = torch.arange(0, num * source, source, device=masks.device)[:, None]
    lower, upper = (yl + first_row).flatten(), (yu + first_row).flatten()  # [N * H]
    lower_weight, upper_weight = wyl.reshape(-1, 1), wyu.reshape(-1, 1)
    if torch.is_grad_enabled() and rows.requires_grad:
        # eval-mode predict outside no_grad: the same sums without the in-place block writes
        # (``index_select(out=...)`` refuses tensors that need a gradient)
        pasted = rows.index_select(0, lower) * lower_weight
        pasted = pasted + rows.index_select(0, upper) * upper_weight
        return pasted.view(num, 1, height, width).to(masks.dtype)
    out = rows.new_empty((num, 1, height, width))  # every pixel is written below
    image_rows = out.view(num * height, width)
    block_elements = _PASTE_BLOCK_ELEMENTS.get(masks.device.type, _PASTE_BLOCK_ELEMENTS_DEFAULT)
    block = max(1, block_elements // width)
    scratch = rows.new_empty((min(block, num * height), width))
    for first in range(0, num * height, block):
        part = slice(first, first + block)
        pasted = image_rows[part]
        torch.index_select(rows, 0, lower[part], out=pasted)
        pasted.mul_(lower_weight[part])
        upper_rows = scratch[: pasted.shape[0]]
        torch.index_select(rows, 0, upper[part], out=upper_rows)
        pasted.add_(upper_rows.mul_(upper_weight[part]))
    return out.to(masks.dtype)  # the weights are float32: half-precision masks sum in float32
