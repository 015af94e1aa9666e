"""Region Proposal Network: head, proposal generation and loss (Faster R-CNN, Ren et al. 2015).

Shapes: ``B`` images, ``A`` anchors per location, ``N = sum_l H_l * W_l * A_l`` anchors per image,
ordered level -> y -> x -> anchor (the order of :class:`detseg.ops.anchors.AnchorGenerator`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.detection.transform import ImageBatch
from detseg.losses import smooth_l1_loss
from detseg.ops.anchors import AnchorGenerator
from detseg.ops.box_coder import BoxCoder
from detseg.ops.boxes import box_iou, clip_boxes_to_image, remove_small_boxes
from detseg.ops.matching import BalancedSampler, Matcher
from detseg.ops.nms import batched_nms


@dataclass
class RPNConfig:
    """Thresholds and sizes of the RPN (defaults: torchvision / Detectron FPN settings).

    Attributes:
        fg_iou_thresh: anchors with IoU >= this with a gt box are positives.
        bg_iou_thresh: anchors with max IoU < this are negatives (in between: ignored).
        batch_size_per_image: anchors sampled per image for the loss.
        positive_fraction: at most this fraction of the sample is positive.
        pre_nms_top_n_train: proposals kept per level, by objectness, before NMS (training).
        pre_nms_top_n_test: same, in eval mode.
        post_nms_top_n_train: proposals kept per image after NMS (training).
        post_nms_top_n_test: same, in eval mode.
        nms_thresh: IoU threshold of the per-level NMS.
        score_thresh: proposals with sigmoid objectness below this are dropped.
        min_box_size: proposals narrower or shorter than this (pixels) are dropped.
        conv_depth: number of 3x3 conv layers of the head.
    """

    fg_iou_thresh: float = 0.7
    bg_iou_thresh: float = 0.3
    batch_size_per_image: int = 256
    positive_fraction: float = 0.5
    pre_nms_top_n_train: int = 2000
    pre_nms_top_n_test: int = 1000
    post_nms_top_n_train: int = 2000
    post_nms_top_n_test: int = 1000
    nms_thresh: float = 0.7
    score_thresh: float = 0.0
    min_box_size: float = 1e-3
    conv_depth: int = 1


class RPNHead(nn.Module):
    """Shared 3x3 conv(s) + ReLU, then 1x1 objectness logits and 1x1 box deltas, per level.

    Args:
        in_channels: channels of every feature level (FPN levels share one head).
        num_anchors: anchors per location ``A``.
        conv_depth: number of 3x3 conv + ReLU layers before the two predictors.
    """

    def __init__(self, in_channels: int, num_anchors: int, conv_depth: int = 1) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(in_channels, in_channels, 3, padding=1) for _ in range(conv_depth)
        )
        self.cls_logits = nn.Conv2d(in_channels, num_anchors, 1)
        self.bbox_pred = nn.Conv2d(in_channels, num_anchors * 4, 1)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                nn.init.zeros_(layer.bias)

    def forward(self, features: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Args: ``features`` ``Float[B, C, H_l, W_l]`` per level.

        Returns:
            objectness ``Float[B, A, H_l, W_l]`` and deltas ``Float[B, A*4, H_l, W_l]`` per level.
        """
        logits, deltas = [], []
        for feature in features:
            x = feature
            for conv in self.convs:
                x = F.relu(conv(x))
            logits.append(self.cls_logits(x))
            deltas.append(self.bbox_pred(x))
        return logits, deltas


def flatten_predictions(
    logits: list[Tensor], deltas: list[Tensor]
) -> tuple[Tensor, Tensor, list[int]]:
    """Flatten per-level head outputs to anchor order (level -> y -> x -> anchor).

    Returns:
        objectness ``Float[B, N]``, deltas ``Float[B, N, 4]``, anchors per level ``list[int]``.
    """
    flat_logits, flat_deltas, counts = [], [], []
    for logit, delta in zip(logits, deltas, strict=True):
        b, a, h, w = logit.shape
        flat_logits.append(logit.permute(0, 2, 3, 1).reshape(b, -1))  # [B, H*W*A]
        delta = delta.view(b, a, 4, h, w).permute(0, 3, 4, 1, 2)  # [B, H, W, A, 4]
        flat_deltas.append(delta.reshape(b, -1, 4))
        counts.append(h * w * a)
    return torch.cat(flat_logits, 1), torch.cat(flat_deltas, 1), counts


class RegionProposalNetwork(nn.Module):
    """Anchors + :class:`RPNHead` + proposal filtering + RPN loss.

    Args:
        anchor_generator: one ``(sizes, ratios)`` entry per feature level.
        head: the :class:`RPNHead` (``A`` must match the generator's anchors per location).
        config: :class:`RPNConfig` thresholds; train/test top-n follow ``self.training``.
    """

    def __init__(
        self, anchor_generator: AnchorGenerator, head: RPNHead, config: RPNConfig | None = None
    ) -> None:
        super().__init__()
        per_level = anchor_generator.num_anchors_per_location()
        if len(set(per_level)) != 1 or per_level[0] != head.cls_logits.out_channels:
            raise ValueError(
                f"anchors per location {per_level} must be equal on every level and match the "
                f"head's {head.cls_logits.out_channels}; give each level as many sizes x ratios"
            )
        self.anchor_generator = anchor_generator
        self.head = head
        self.config = config or RPNConfig()
        self.box_coder = BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self.matcher = Matcher(
            self.config.fg_iou_thresh, self.config.bg_iou_thresh, allow_low_quality_matches=True
        )
        self.sampler = BalancedSampler(
            self.config.batch_size_per_image, self.config.positive_fraction
        )

    def forward(
        self,
        images: ImageBatch,
        features: OrderedDict[str, Tensor],
        targets: list[dict[str, Tensor]] | None = None,
    ) -> tuple[list[Tensor], dict[str, Tensor]]:
        """Propose regions, and compute the RPN loss when targets are given.

        Args:
            images: the padded batch (its ``image_sizes`` clip the proposals).
            features: backbone/FPN feature maps ``Float[B, C, H_l, W_l]``, all used.
            targets: per-image ``boxes`` ``Float[N_i, 4]`` xyxy in resized-image pixels.

        Returns:
            proposals ``Float[P_i, 4]`` xyxy per image (detached, sorted by objectness), and
            ``{"loss_rpn_cls", "loss_rpn_box"}`` (empty dict without targets).
        """
        feature_list = list(features.values())
        logits, deltas, counts = flatten_predictions(*self.head(feature_list))
        anchors = self.anchor_generator(
            tuple(images.tensors.shape[-2:]),
            [tuple(f.shape[-2:]) for f in feature_list],
            dtype=feature_list[0].dtype,
            device=feature_list[0].device,
        )  # [N, 4], shared by every image
        batch, num_anchors = logits.shape
        decoded = self.box_coder.decode(
            deltas.detach().reshape(-1, 4), anchors.repeat(batch, 1)
        ).view(batch, num_anchors, 4)
        proposals = self.filter_proposals(decoded, logits.detach(), images.image_sizes, counts)
        losses: dict[str, Tensor] = {}
        if targets is not None:
            losses = self.loss(logits, deltas, anchors, targets)
        return proposals, losses

    def filter_proposals(
        self,
        boxes: Tensor,
        logits: Tensor,
        image_sizes: list[tuple[int, int]],
        counts: list[int],
    ) -> list[Tensor]:
        """Top-n per level, then per image: clip, drop small/low-score boxes, NMS, top-n.

        Args:
            boxes: ``Float[B, N, 4]`` decoded anchors, xyxy.
            logits: ``Float[B, N]`` objectness logits.
            image_sizes: ``(h, w)`` of each resized image.
            counts: anchors per level (they sum to ``N``).

        Returns:
            ``Float[P_i, 4]`` proposals per image.
        """
        pre_n = self.config.pre_nms_top_n_train if self.training else self.config.pre_nms_top_n_test
        top_idx, levels = [], []
        offset = 0
        for level, level_logits in enumerate(logits.split(counts, dim=1)):
            k = min(pre_n, level_logits.shape[1])
            top_idx.append(level_logits.topk(k, dim=1).indices + offset)
            levels.append(torch.full((k,), level, dtype=torch.int64, device=logits.device))
            offset += level_logits.shape[1]
        top_idx = torch.cat(top_idx, dim=1)  # [B, K]
        level_ids = torch.cat(levels)
        batch_idx = torch.arange(boxes.shape[0], device=boxes.device)[:, None]
        scores = torch.sigmoid(logits[batch_idx, top_idx])
        boxes = boxes[batch_idx, top_idx]  # [B, K, 4]
        return [
            self._filter_per_image(b, s, level_ids, size)
            for b, s, size in zip(boxes, scores, image_sizes, strict=True)
        ]

    def _filter_per_image(
        self, boxes: Tensor, scores: Tensor, levels: Tensor, image_size: tuple[int, int]
    ) -> Tensor:
        boxes = clip_boxes_to_image(boxes, image_size)
        keep = remove_small_boxes(boxes, self.config.min_box_size)
        boxes, scores, levels = boxes[keep], scores[keep], levels[keep]
        keep = torch.where(scores >= self.config.score_thresh)[0]
        boxes, scores, levels = boxes[keep], scores[keep], levels[keep]
        keep = batched_nms(boxes, scores, levels, self.config.nms_thresh)
        post_n = (
            self.config.post_nms_top_n_train if self.training else self.config.post_nms_top_n_test
        )
        return boxes[keep[:post_n]]

    def loss(
        self, logits: Tensor, deltas: Tensor, anchors: Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """RPN loss on a balanced sample of anchors.

        ``loss_rpn_cls``: binary cross-entropy, mean over sampled anchors.
        ``loss_rpn_box``: smooth-L1 (beta 1/9) summed over sampled positives, divided by the
        number of sampled anchors; exactly zero when no anchor is positive.

        Args:
            logits: ``Float[B, N]``; deltas: ``Float[B, N, 4]``; anchors: ``Float[N, 4]`` xyxy.
            targets: per-image ``boxes`` ``Float[M_i, 4]`` xyxy (``M_i = 0`` allowed).
        """
        labels, matched = [], []
        for target in targets:
            label, gt = self._assign_per_image(anchors, target["boxes"].to(anchors.dtype))
            labels.append(label)
            matched.append(gt)
        pos_masks, neg_masks = self.sampler(labels)
        pos = torch.where(torch.cat(pos_masks))[0]
        neg = torch.where(torch.cat(neg_masks))[0]
        sampled = torch.cat([pos, neg])
        flat_anchors = anchors.repeat(len(targets), 1)
        regression_targets = self.box_coder.encode(torch.cat(matched)[pos], flat_anchors[pos])
        box_loss = smooth_l1_loss(
            deltas.reshape(-1, 4)[pos], regression_targets, beta=1 / 9, reduction="sum"
        ) / max(sampled.numel(), 1)
        cls_loss = F.binary_cross_entropy_with_logits(
            logits.reshape(-1)[sampled], torch.cat(labels)[sampled]
        )
        return {"loss_rpn_cls": cls_loss, "loss_rpn_box": box_loss}

    def _assign_per_image(self, anchors: Tensor, gt_boxes: Tensor) -> tuple[Tensor, Tensor]:
        """Label anchors 1 (positive), 0 (negative) or -1 (ignored) and pick their gt box.

        Returns:
            labels ``Float[N]`` and matched gt boxes ``Float[N, 4]`` (zeros where no gt).
        """
        if gt_boxes.numel() == 0:
            zeros = torch.zeros(anchors.shape[0], dtype=anchors.dtype, device=anchors.device)
            return zeros, torch.zeros_like(anchors)
        matched_idx = self.matcher(box_iou(gt_boxes, anchors))
        labels = (matched_idx >= 0).to(anchors.dtype)
        labels[matched_idx == Matcher.BELOW_LOW_THRESHOLD] = 0.0
        labels[matched_idx == Matcher.BETWEEN_THRESHOLDS] = -1.0
        return labels, gt_boxes[matched_idx.clamp(min=0)]
