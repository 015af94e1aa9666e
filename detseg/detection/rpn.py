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

from detseg.detection.proposals import Proposals
from detseg.detection.settings_checks import (
    require_at_least,
    require_fractions,
    require_iou_order,
)
from detseg.detection.transform import ImageBatch
from detseg.losses import smooth_l1_loss
from detseg.ops.anchors import AnchorGenerator
from detseg.ops.box_coder import BoxCoder
from detseg.ops.boxes import batched_box_iou, clip_boxes_to_sizes
from detseg.ops.matching import BalancedSampler, Matcher
from detseg.ops.nms import grouped_nms, kept_per_image, top_kept
from detseg.ops.padding import host_reads_are_free, pad_rows


@dataclass
class RPNConfig:
    """Thresholds and sizes of the RPN (defaults: torchvision / Detectron FPN settings).

    Attributes:
        fg_iou_thresh: anchors with IoU >= this with a gt box are positives (and so is each
            gt's best anchor).
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

    Raises:
        ValueError: (at construction) if a threshold or fraction is outside ``[0, 1]``, a
            count is below 1 or ``min_box_size < 0``.
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

    def __post_init__(self) -> None:
        require_fractions(self, "fg_iou_thresh", "bg_iou_thresh", "positive_fraction")
        require_iou_order(self)
        require_fractions(self, "nms_thresh", "score_thresh")
        require_at_least(self, 1, "batch_size_per_image", "conv_depth")
        require_at_least(self, 1, "pre_nms_top_n_train", "pre_nms_top_n_test")
        require_at_least(self, 1, "post_nms_top_n_train", "post_nms_top_n_test")
        require_at_least(self, 0, "min_box_size")


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
                assert layer.bias is not None  # nn.Conv2d's default bias=True
                nn.init.zeros_(layer.bias)

    def forward(self, features: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Run the head on every level.

        Args:
            features: ``Float[B, C, H_l, W_l]`` per level.

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

    Args:
        logits: ``Float[B, A, H_l, W_l]`` per level.
        deltas: ``Float[B, A*4, H_l, W_l]`` per level.

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

    Raises:
        ValueError: If the anchors per location differ between levels or from the head's.
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
    ) -> tuple[Proposals, dict[str, Tensor]]:
        """Propose regions, and compute the RPN loss when targets are given.

        Args:
            images: the padded batch (its ``image_sizes`` clip the proposals).
            features: backbone/FPN feature maps ``Float[B, C, H_l, W_l]``, all used.
            targets: per-image ``boxes`` ``Float[N_i, 4]`` xyxy in resized-image pixels.

        Returns:
            the :class:`Proposals` (detached, by decreasing objectness per image), and
            ``{"loss_rpn_cls", "loss_rpn_box"}`` (empty dict without targets).
        """
        feature_list = list(features.values())
        logits, deltas, counts = flatten_predictions(*self.head(feature_list))
        # float32 anchors under autocast: bfloat16 would round them by up to 2 px at 800 px
        anchors = self.anchor_generator(
            (images.tensors.shape[-2], images.tensors.shape[-1]),
            [(f.shape[-2], f.shape[-1]) for f in feature_list],
            dtype=torch.promote_types(feature_list[0].dtype, torch.float32),
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
    ) -> Proposals:
        """Top-n per level, then for the whole batch at once: clip, drop small/low-score boxes,
        NMS per (image, level), top-n per image.

        Every step runs on ``[B, K]`` tensors, and the NMS is one :func:`grouped_nms` call over
        the ``B x levels`` groups. On the CPU each image's proposals are listed as torchvision
        lists them (equal scores included, :func:`kept_per_image`) and padded to the longest
        image's count. Elsewhere the top-n cut runs on the padded batch (:func:`top_kept`), so
        no count is read on the host.

        Args:
            boxes: ``Float[B, N, 4]`` decoded anchors, xyxy (batch-tensor pixels).
            logits: ``Float[B, N]`` objectness logits.
            image_sizes: ``(h, w)`` of each resized image.
            counts: anchors per level (they sum to ``N``).

        Returns:
            the :class:`Proposals`, by decreasing objectness per image.
        """
        pre_n = self.config.pre_nms_top_n_train if self.training else self.config.pre_nms_top_n_test
        level_top_idx: list[Tensor] = []
        level_sizes: list[int] = []
        offset = 0
        for level_logits in logits.split(counts, dim=1):
            k = min(pre_n, level_logits.shape[1])
            level_top_idx.append(level_logits.topk(k, dim=1).indices + offset)
            level_sizes.append(k)
            offset += level_logits.shape[1]
        top_idx = torch.cat(level_top_idx, dim=1)  # [B, K]
        batch_idx = torch.arange(boxes.shape[0], device=boxes.device)[:, None]
        # float32 scores for half-precision logits, as the decoded boxes: NMS takes one dtype
        top_logits = logits[batch_idx, top_idx]
        scores = torch.sigmoid(top_logits.to(torch.promote_types(top_logits.dtype, torch.float32)))
        boxes = clip_boxes_to_sizes(boxes[batch_idx, top_idx], image_sizes)  # [B, K, 4]
        sides = boxes[..., 2:] - boxes[..., :2]
        valid = (sides >= self.config.min_box_size).all(dim=-1)
        valid &= scores >= self.config.score_thresh
        keep = _nms_per_level(boxes, scores, valid, level_sizes, self.config.nms_thresh)
        post_n = (
            self.config.post_nms_top_n_train if self.training else self.config.post_nms_top_n_test
        )
        if host_reads_are_free(boxes.device):
            kept = kept_per_image(keep, scores, valid, post_n)
            return Proposals.from_list([b[k] for b, k in zip(boxes, kept, strict=True)])
        index, is_kept = top_kept(keep, scores, post_n)
        return Proposals(boxes.gather(1, index[..., None].expand(-1, -1, 4)), is_kept)

    def loss(
        self, logits: Tensor, deltas: Tensor, anchors: Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """RPN loss on a balanced sample of anchors, for the whole batch at once.

        ``loss_rpn_cls``: binary cross-entropy, mean over sampled anchors.
        ``loss_rpn_box``: smooth-L1 (beta 1/9) summed over sampled positives, divided by the
        number of sampled anchors; exactly zero when no anchor is positive.

        The gt boxes are padded to one count per image, so matching, sampling and both losses
        run on ``[B, N]`` tensors without a host synchronisation (see :class:`BalancedSampler`
        for the draw on a GPU).

        Args:
            logits: ``Float[B, N]``; deltas: ``Float[B, N, 4]``; anchors: ``Float[N, 4]`` xyxy.
            targets: per-image ``boxes`` ``Float[M_i, 4]`` xyxy (``M_i = 0`` allowed).

        Returns:
            ``{"loss_rpn_cls", "loss_rpn_box"}``, scalars.
        """
        labels, matched_boxes = self.assign(anchors, targets)
        pos_mask, neg_mask = self.sampler(labels)
        sampled = pos_mask | neg_mask
        num_sampled = sampled.sum().clamp(min=1)
        # non-positive anchors get their own box as target: finite deltas, masked out below
        target_boxes = torch.where(pos_mask[..., None], matched_boxes, anchors)
        regression_targets = self.box_coder.encode(
            target_boxes.reshape(-1, 4), anchors.expand_as(target_boxes).reshape(-1, 4)
        ).view_as(deltas)
        box_loss = smooth_l1_loss(deltas, regression_targets, beta=1 / 9, reduction="none")
        box_loss = torch.where(pos_mask[..., None], box_loss, 0.0).sum() / num_sampled
        cls_loss = F.binary_cross_entropy_with_logits(logits, labels.clamp(min=0), reduction="none")
        cls_loss = torch.where(sampled, cls_loss, 0.0).sum() / num_sampled
        return {"loss_rpn_cls": cls_loss, "loss_rpn_box": box_loss}

    def assign(self, anchors: Tensor, targets: list[dict[str, Tensor]]) -> tuple[Tensor, Tensor]:
        """Label anchors 1 (positive), 0 (negative) or -1 (ignored) and pick their gt box.

        Args:
            anchors: ``Float[N, 4]`` xyxy, shared by every image.
            targets: per-image ``boxes`` ``Float[M_i, 4]`` xyxy.

        Returns:
            labels ``Float[B, N]`` and matched gt boxes ``Float[B, N, 4]``: each anchor's best
            gt for positives; for the other anchors the image's gt 0 (zeros for an image
            without gt), to be masked with the labels.
        """
        # one padding row at least: a batch without gt boxes needs no special case
        gt_boxes, gt_valid = pad_rows([t["boxes"].to(anchors.dtype) for t in targets], min_width=1)
        matched_idx = self.matcher(batched_box_iou(gt_boxes, anchors), gt_valid)  # [B, N]
        labels = torch.where(matched_idx >= 0, 1.0, 0.0).to(anchors.dtype)
        labels = torch.where(matched_idx == Matcher.BETWEEN_THRESHOLDS, -1.0, labels)
        index = matched_idx.clamp(min=0)[..., None].expand(-1, -1, 4)
        return labels, gt_boxes.gather(1, index)


def _nms_per_level(
    boxes: Tensor, scores: Tensor, valid: Tensor, level_sizes: list[int], iou_threshold: float
) -> Tensor:
    """NMS inside each (image, level) group, all groups in one :func:`grouped_nms` call.

    Args:
        boxes: ``Float[B, K, 4]`` xyxy; scores, valid: ``[B, K]``; the ``K`` columns are the
            levels one after another, ``level_sizes`` columns each.

    Returns:
        Bool ``[B, K]``: the kept boxes.
    """
    device = boxes.device
    width = max(level_sizes)
    # per level: its columns padded to `width`, and where they land
    level_slots: list[Tensor] = []
    real: list[Tensor] = []
    offset = 0
    for level, size in enumerate(level_sizes):
        columns = torch.arange(offset, offset + size, device=device)
        level_slots.append(F.pad(columns, (0, width - size), value=-1))
        real.append(torch.arange(size, device=device) + level * width)
        offset += size
    slots = torch.stack(level_slots)  # [L, width]
    is_real = slots >= 0
    columns = slots.clamp(min=0)
    batch, levels = boxes.shape[0], len(level_sizes)
    keep = grouped_nms(
        boxes[:, columns].reshape(batch * levels, width, 4),
        scores[:, columns].reshape(batch * levels, width),
        iou_threshold,
        (valid[:, columns] & is_real).reshape(batch * levels, width),
        rows_per_call=levels,  # CPU: one batched_nms per image, as torchvision's RPN
    )
    return keep.view(batch, levels * width)[:, torch.cat(real)]
