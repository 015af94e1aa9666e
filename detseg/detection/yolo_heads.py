"""YOLO heads: the v1 ``S x S`` grid head and the v3 multi-scale prior head (with its neck).

Each head maps backbone levels to raw outputs (``forward``), computes its losses against
targets in network-input pixels (``losses``) and returns decoded candidates (``candidates``):
xyxy boxes and per-class scores for the model's common filtering. See
:mod:`detseg.detection.yolo` for the model and the design notes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.detection.yolo_loss import YOLOv1LossConfig, YOLOv3LossConfig, yolov1_loss, yolov3_loss
from detseg.detection.yolo_targets import (
    assign_yolov1_targets,
    assign_yolov3_targets,
    padded_boxes_and_labels,
    yolov3_ignore_mask,
)
from detseg.ops.yolo_priors import decode_yolov1_boxes, decode_yolov3_boxes, yolo_grid_priors


def _conv_act(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
    return nn.Sequential(conv, nn.LeakyReLU(0.1, inplace=True))


def _init_predictor(conv: nn.Conv2d) -> None:
    nn.init.normal_(conv.weight, std=0.01)
    assert conv.bias is not None  # nn.Conv2d's default bias=True
    nn.init.zeros_(conv.bias)


class YOLOv1GridHead(nn.Module):
    """The v1 head: pool to ``S x S``, two 3x3 conv + LeakyReLU, a 1x1 prediction.

    Args:
        in_channels: channels of the backbone's last level.
        num_classes: ``K`` foreground classes.
        grid_size: ``S``. boxes_per_cell: ``B``. head_channels: width of the 3x3 convs.
        loss_config: :class:`YOLOv1LossConfig`.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        grid_size: int = 7,
        boxes_per_cell: int = 2,
        head_channels: int = 256,
        loss_config: YOLOv1LossConfig | None = None,
    ) -> None:
        super().__init__()
        self.num_classes, self.grid_size, self.boxes_per_cell = (
            num_classes,
            grid_size,
            boxes_per_cell,
        )
        self.loss_config = loss_config or YOLOv1LossConfig()
        self.convs = nn.Sequential(
            _conv_act(in_channels, head_channels, 3), _conv_act(head_channels, head_channels, 3)
        )
        self.predictor = nn.Conv2d(head_channels, boxes_per_cell * 5 + num_classes, 1)
        _init_predictor(self.predictor)

    def forward(self, features: list[Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        """Grid outputs from the last feature map ``Float[B, C, h, w]``.

        Returns:
            ``Float[B, S, S, P, 4]`` ``(x, y, sqrt_w, sqrt_h)``, ``Float[B, S, S, P]``
            confidences (linear, as the paper: a sigmoid under a squared error stops learning
            once saturated), ``Float[B, S, S, K]`` class probabilities (softmax).
        """
        grid = F.adaptive_avg_pool2d(features[-1], self.grid_size)
        out = self.predictor(self.convs(grid)).permute(0, 2, 3, 1)  # [B, S, S, 5P + K]
        num_box_values = 5 * self.boxes_per_cell
        boxes = out[..., :num_box_values].unflatten(-1, (self.boxes_per_cell, 5))
        class_probs = out[..., num_box_values:].softmax(dim=-1)
        return boxes[..., :4].sigmoid(), boxes[..., 4], class_probs

    def losses(
        self, features: list[Tensor], targets: list[dict[str, Tensor]], image_size: tuple[int, int]
    ) -> dict[str, Tensor]:
        """:func:`yolov1_loss` for a batch (targets in ``image_size`` input pixels)."""
        boxes, confidence, class_probs = self(features)
        dense = assign_yolov1_targets(targets, self.grid_size, image_size)
        decoded = decode_yolov1_boxes(boxes, image_size)
        return yolov1_loss(boxes, confidence, class_probs, decoded, dense, self.loss_config)

    def candidates(
        self, features: list[Tensor], image_size: tuple[int, int]
    ) -> tuple[Tensor, Tensor]:
        """``Float[B, S*S*P, 4]`` xyxy boxes and ``Float[B, S*S*P, K]`` class-specific scores
        ``confidence x P(class | object)`` (confidence clamped to ``[0, 1]``); both float32
        for half-precision outputs (autocast)."""
        boxes, confidence, class_probs = self(features)
        dtype = torch.promote_types(boxes.dtype, torch.float32)
        confidence, class_probs = confidence.to(dtype), class_probs.to(dtype)
        decoded = decode_yolov1_boxes(boxes, image_size).flatten(1, 3)
        confidence = confidence.clamp(0.0, 1.0).unsqueeze(-1)
        scores = confidence * class_probs.unsqueeze(-2)  # [B, S, S, P, K]
        return decoded, scores.flatten(1, 3)


class YOLOv3Neck(nn.Module):
    """FPN-like top-down neck: 1x1 laterals, upsample-and-add, a 3x3 conv + LeakyReLU per
    level. Maps ``Float[B, C_l, h_l, w_l]`` (finest first) to ``out_channels`` each."""

    def __init__(self, in_channels: Sequence[int], out_channels: int) -> None:
        super().__init__()
        self.laterals = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        self.outputs = nn.ModuleList(_conv_act(out_channels, out_channels, 3) for _ in in_channels)

    def forward(self, features: list[Tensor]) -> list[Tensor]:
        top_down = self.laterals[-1](features[-1])
        results = [self.outputs[-1](top_down)]
        for level in range(len(features) - 2, -1, -1):
            lateral = self.laterals[level](features[level])
            top_down = lateral + F.interpolate(top_down, size=lateral.shape[-2:], mode="nearest")
            results.insert(0, self.outputs[level](top_down))
        return results


class YOLOv3Head(nn.Module):
    """The v3 head: optional neck, then per level a 3x3 conv + LeakyReLU and a 1x1
    prediction of ``A_l * (5 + K)`` channels.

    Args:
        in_channels, strides: per backbone level (finest first).
        priors: per level, the ``(w, h)`` priors in input pixels.
        num_classes: ``K``.
        neck_channels: width of the :class:`YOLOv3Neck`; ``None`` for no neck.
        head_channels: width of each level's 3x3 conv.
        loss_config: :class:`YOLOv3LossConfig`.
        prior_prob: initial objectness probability (bias of the objectness logits).
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        strides: Sequence[float],
        priors: Sequence[Sequence[Sequence[float]]],
        num_classes: int,
        neck_channels: int | None = 128,
        head_channels: int = 128,
        loss_config: YOLOv3LossConfig | None = None,
        prior_prob: float = 0.01,
    ) -> None:
        super().__init__()
        if not len(in_channels) == len(strides) == len(priors):
            raise ValueError(
                f"need one prior group per backbone level: {len(in_channels)} "
                f"levels (strides {list(strides)}) but {len(priors)} groups"
            )
        self.num_classes, self.strides = num_classes, [float(s) for s in strides]
        self.loss_config = loss_config or YOLOv3LossConfig()
        for level, group in enumerate(priors):
            self.register_buffer(f"priors_{level}", torch.tensor(group, dtype=torch.float32))
        self.neck = YOLOv3Neck(in_channels, neck_channels) if neck_channels else nn.Identity()
        widths = [neck_channels] * len(in_channels) if neck_channels else list(in_channels)
        self.convs = nn.ModuleList(_conv_act(c, head_channels, 3) for c in widths)
        predictors = [nn.Conv2d(head_channels, len(g) * (5 + num_classes), 1) for g in priors]
        self.predictors = nn.ModuleList(predictors)
        for predictor, group in zip(predictors, priors, strict=True):
            _init_predictor(predictor)
            assert predictor.bias is not None  # nn.Conv2d's default bias=True
            bias = predictor.bias.detach().view(len(group), 5 + num_classes)
            bias[:, 4] = -math.log((1 - prior_prob) / prior_prob)

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> YOLOv3Head:
        """``nn.Module._apply`` (behind ``.to()``, ``.cuda()``, ``.half()``...) that moves the
        prior buffers but keeps them float32: a model cast to bfloat16 would round a 373 px
        prior to 372 (and float16 a 2049 px one to 2048)."""
        before = {name: self._buffers[name] for name in self._buffers if name.startswith("priors_")}
        super()._apply(fn, recurse)
        for name, prior in before.items():
            moved = self._buffers[name]
            if prior is not None and moved is not None and moved.dtype != prior.dtype:
                self._buffers[name] = prior.to(device=moved.device)
        return self

    def priors_per_level(self) -> list[Tensor]:
        """``Float[A_l, 2]`` prior sizes of each level."""
        return [getattr(self, f"priors_{level}") for level in range(len(self.strides))]

    def forward(self, features: list[Tensor]) -> tuple[Tensor, Tensor, list[tuple[int, int]]]:
        """Raw outputs of every prediction.

        Returns:
            ``Float[B, T, 5 + K]`` rows ``(tx, ty, tw, th, objectness, class logits)`` in the
            order level -> y -> x -> prior, their ``Float[T, 5]`` grid priors, and the
            ``(h_l, w_l)`` of each level.
        """
        maps = self.neck(features)
        rows, priors, sizes = [], [], []
        for level, x in enumerate(maps):
            out = self.predictors[level](self.convs[level](x))
            b, _, h, w = out.shape
            out = out.view(b, -1, 5 + self.num_classes, h, w).permute(0, 3, 4, 1, 2)
            rows.append(out.reshape(b, -1, 5 + self.num_classes))  # [B, h*w*A, 5 + K]
            # float32 under autocast: bfloat16 would round a 373 px prior to 372
            level_priors = self.priors_per_level()[level].to(
                torch.promote_types(out.dtype, torch.float32)
            )
            priors.append(yolo_grid_priors((h, w), self.strides[level], level_priors))
            sizes.append((h, w))
        return torch.cat(rows, dim=1), torch.cat(priors), sizes

    def losses(
        self, features: list[Tensor], targets: list[dict[str, Tensor]], image_size: tuple[int, int]
    ) -> dict[str, Tensor]:
        """:func:`yolov3_loss` for a batch (targets in input pixels), assigned batch-wise."""
        raw, priors, sizes = self(features)
        decoded = decode_yolov3_boxes(raw[..., :4], priors)  # [B, T, 4]
        gt_boxes, gt_labels, valid = padded_boxes_and_labels(targets)
        config = self.loss_config
        matched = assign_yolov3_targets(
            gt_boxes, valid, self.priors_per_level(), self.strides, sizes, config.assign_thresh
        )
        ignore = yolov3_ignore_mask(decoded, gt_boxes, valid, matched, config.ignore_thresh)
        return yolov3_loss(raw, priors, decoded, matched, ignore, gt_boxes, gt_labels, config)

    def candidates(
        self, features: list[Tensor], image_size: tuple[int, int]
    ) -> tuple[Tensor, Tensor]:
        """``Float[B, T, 4]`` xyxy boxes and ``Float[B, T, K]`` scores
        ``sigmoid(objectness) x sigmoid(class logit)``; both float32 for half-precision
        outputs (autocast)."""
        raw, priors, _ = self(features)
        logits = raw[..., 4:].to(torch.promote_types(raw.dtype, torch.float32))
        scores = logits[..., :1].sigmoid() * logits[..., 1:].sigmoid()
        return decode_yolov3_boxes(raw[..., :4], priors), scores
