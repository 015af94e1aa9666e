"""Assigning anchors/proposals to ground truth, and choosing which ones train.

- :class:`Matcher`: IoU thresholds -> matched gt index or a named negative code
  (Faster R-CNN's RPN and RoI heads, RetinaNet).
- :class:`BalancedSampler`: a fixed-size random sample with a bounded positive fraction
  (Faster R-CNN).
- :func:`hard_negative_mining`: the highest-loss negatives, 3 per positive (SSD).
"""

from __future__ import annotations

from typing import overload

import torch
from torch import Tensor


class Matcher:
    """Match each prediction (anchor, proposal) to the ground-truth box it overlaps most.

    For prediction ``j`` with best quality ``q = max_i iou[i, j]`` (reached at gt ``i*``):

    - ``q >= high_threshold``: matched, result ``i*``;
    - ``low_threshold <= q < high_threshold``: ``BETWEEN_THRESHOLDS`` (-2), usually ignored;
    - ``q < low_threshold``: ``BELOW_LOW_THRESHOLD`` (-1), usually background.

    With ``allow_low_quality_matches``, every gt also keeps the predictions that overlap it
    best (all of them when tied, even when that best IoU is low or zero): those predictions
    get their ``i*`` back whatever their code was. Note ``i*`` is the prediction's own best
    gt, which may differ from the gt that selected it when two gts tie on the prediction.
    This is torchvision's and Detectron2's rule, kept exactly.

    Args:
        high_threshold: IoU from which a prediction is a positive match.
        low_threshold: IoU below which a prediction is a negative (``<= high_threshold``).
        allow_low_quality_matches: Give every gt at least its best predictions.

    Raises:
        ValueError: If ``low_threshold > high_threshold``.
    """

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(
        self, high_threshold: float, low_threshold: float, allow_low_quality_matches: bool = False
    ) -> None:
        if low_threshold > high_threshold:
            raise ValueError(
                f"low_threshold ({low_threshold}) must be <= high_threshold ({high_threshold})"
            )
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, iou: Tensor, gt_valid: Tensor | None = None) -> Tensor:
        """Match predictions to gts, for one image or a padded batch of images.

        Every step is a tensor operation on the whole input (no host synchronisation).

        Args:
            iou: ``[num_gt, num_pred]`` match quality (usually :func:`box_iou`), or
                ``[B, num_gt, num_pred]`` for a batch whose gts are padded to one count.
            gt_valid: Bool ``[num_gt]`` or ``[B, num_gt]``: the real gts (``None``: all).
                Padding rows never match.

        Returns:
            Int64 ``[num_pred]`` (``[B, num_pred]``): gt index in ``[0, num_gt)``, or
            ``BELOW_LOW_THRESHOLD`` / ``BETWEEN_THRESHOLDS``. An image without gt gives all
            ``BELOW_LOW_THRESHOLD``.

        Raises:
            ValueError: If ``iou`` is neither 2-D nor 3-D.
        """
        if iou.dim() not in (2, 3):
            raise ValueError(
                "iou must be [num_gt, num_pred] or [B, num_gt, num_pred], got shape "
                f"{tuple(iou.shape)}"
            )
        num_gt, num_pred = iou.shape[-2:]
        if num_gt == 0 or num_pred == 0:
            return torch.full(
                (*iou.shape[:-2], num_pred),
                self.BELOW_LOW_THRESHOLD,
                dtype=torch.int64,
                device=iou.device,
            )
        if gt_valid is not None:
            iou = iou.masked_fill(~gt_valid[..., None], -1.0)  # below every threshold

        best_iou, best_gt = iou.max(dim=-2)  # [..., num_pred] each
        between = (best_iou >= self.low_threshold) & (best_iou < self.high_threshold)
        matches = torch.where(between, self.BETWEEN_THRESHOLDS, best_gt)
        matches = torch.where(best_iou < self.low_threshold, self.BELOW_LOW_THRESHOLD, matches)

        if self.allow_low_quality_matches:
            best_iou_per_gt = iou.max(dim=-1, keepdim=True).values  # [..., num_gt, 1]
            is_best = iou == best_iou_per_gt
            if gt_valid is not None:
                is_best &= gt_valid[..., None]
            matches = torch.where(is_best.any(dim=-2), best_gt, matches)
        return matches


class BalancedSampler:
    """Sample a fixed number of training examples per image with a bounded positive share.

    Per image: up to ``int(batch_size_per_image * positive_fraction)`` positives, then
    negatives to fill ``batch_size_per_image`` (fewer when the image lacks them), chosen
    uniformly at random with torch's global generator (``torch.manual_seed`` makes it
    reproducible). Two ways to draw the same distribution:

    - CPU tensors, or a list of per-image labels: ``torch.randperm`` of the positives, then of
      the negatives, image by image: torchvision's ``BalancedPositiveNegativeSampler`` draw,
      so a seeded run samples exactly what torchvision samples;
    - a ``[B, N]`` tensor on a GPU: one random key per example, and the examples with the
      smallest keys (``topk``) among the positives, then among the negatives. Every count stays
      on the device, so there is no host synchronisation.

    Args:
        batch_size_per_image: Examples per image (e.g. 256 for the RPN, 512 for RoI heads).
        positive_fraction: Largest share of positives, in ``[0, 1]``.

    Raises:
        ValueError: If ``batch_size_per_image <= 0`` or ``positive_fraction`` is outside
            ``[0, 1]``.
    """

    def __init__(self, batch_size_per_image: int, positive_fraction: float) -> None:
        if batch_size_per_image <= 0:
            raise ValueError(f"batch_size_per_image must be > 0, got {batch_size_per_image}")
        if not 0.0 <= positive_fraction <= 1.0:
            raise ValueError(f"positive_fraction must be in [0, 1], got {positive_fraction}")
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    @property
    def max_positives(self) -> int:
        """The most positives a draw keeps in one image."""
        return int(self.batch_size_per_image * self.positive_fraction)

    @overload
    def __call__(self, labels_per_image: Tensor) -> tuple[Tensor, Tensor]: ...

    @overload
    def __call__(self, labels_per_image: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]: ...

    def __call__(
        self, labels_per_image: list[Tensor] | Tensor
    ) -> tuple[list[Tensor], list[Tensor]] | tuple[Tensor, Tensor]:
        """Choose the examples.

        Args:
            labels_per_image: One ``[N_i]`` label tensor per image, or a ``[B, N]`` tensor:
                ``>= 1`` positive, ``0`` negative, negative values ignored.

        Returns:
            ``(pos_masks, neg_masks)``: Bool masks of the sampled positives and negatives,
            lists of ``[N_i]`` for a list input, ``[B, N]`` tensors for a tensor input.

        Raises:
            ValueError: If a tensor ``labels_per_image`` is not 2-D.
        """
        if isinstance(labels_per_image, Tensor):
            if labels_per_image.dim() != 2:
                raise ValueError(f"labels must be [B, N], got {tuple(labels_per_image.shape)}")
            if labels_per_image.device.type != "cpu":
                return self.sample_with_keys(labels_per_image)
            pos_masks, neg_masks = self.sample_with_randperm(list(labels_per_image))
            return torch.stack(pos_masks), torch.stack(neg_masks)
        return self.sample_with_randperm(labels_per_image)

    def sample_with_randperm(
        self, labels_per_image: list[Tensor]
    ) -> tuple[list[Tensor], list[Tensor]]:
        """torchvision's draw, image by image: ``[N_i]`` labels -> Bool ``[N_i]`` masks."""
        pos_masks, neg_masks = [], []
        for labels in labels_per_image:
            positive = torch.where(labels >= 1)[0]
            negative = torch.where(labels == 0)[0]
            num_pos = min(positive.numel(), self.max_positives)
            num_neg = min(negative.numel(), self.batch_size_per_image - num_pos)
            pos_pick = positive[torch.randperm(positive.numel(), device=labels.device)[:num_pos]]
            neg_pick = negative[torch.randperm(negative.numel(), device=labels.device)[:num_neg]]
            pos_mask = torch.zeros_like(labels, dtype=torch.bool)
            neg_mask = torch.zeros_like(labels, dtype=torch.bool)
            pos_mask[pos_pick] = True
            neg_mask[neg_pick] = True
            pos_masks.append(pos_mask)
            neg_masks.append(neg_mask)
        return pos_masks, neg_masks

    def sample_with_keys(self, labels: Tensor) -> tuple[Tensor, Tensor]:
        """The draw by random keys, on any device: ``[B, N]`` labels -> Bool ``[B, N]`` masks.

        Used for GPU tensors (every count stays on the device); callable on CPU tensors too.
        """
        batch, n = labels.shape
        positive, negative = labels >= 1, labels == 0
        keys = torch.rand(labels.shape, device=labels.device)  # uniform in [0, 1)
        max_pos = min(self.max_positives, n)
        # the positives with the smallest keys: a uniform sample of min(#positives, max_pos)
        picked = keys.masked_fill(~positive, 2.0).topk(max_pos, dim=1, largest=False).indices
        pos_mask = torch.zeros_like(positive).scatter_(1, picked, True) & positive
        room = self.batch_size_per_image - pos_mask.sum(dim=1, keepdim=True)  # [B, 1]
        size = min(self.batch_size_per_image, n)
        picked = keys.masked_fill(~negative, 2.0).topk(size, dim=1, largest=False).indices
        first = torch.arange(size, device=labels.device).expand(batch, size) < room
        neg_mask = torch.zeros_like(negative).scatter_(1, picked, first) & negative
        return pos_mask, neg_mask


def hard_negative_mining(loss: Tensor, positive: Tensor, neg_pos_ratio: float = 3) -> Tensor:
    """SSD's hard negative mining: keep the negatives with the highest loss.

    Each image keeps its ``neg_pos_ratio * num_positives`` negatives of highest
    classification loss (all its negatives when it has fewer). An image without positives
    keeps no negatives (as in the SSD paper and torchvision). Ties are broken by torch's
    descending sort, as torchvision does. Unlike torchvision, a positive is never returned
    even when the quota exceeds the number of negatives.

    Args:
        loss: Float ``[B, N]`` per-anchor classification loss (its values are only ranked).
        positive: Bool ``[B, N]``, True for anchors matched to a gt.
        neg_pos_ratio: Negatives kept per positive.

    Returns:
        Bool ``[B, N]``, True for the negatives that enter the loss.

    Raises:
        ValueError: If ``loss`` is not 2-D or ``positive`` has another shape.
    """
    if loss.dim() != 2 or positive.shape != loss.shape:
        raise ValueError(
            f"loss and positive must both be [B, N], got {tuple(loss.shape)} and "
            f"{tuple(positive.shape)}"
        )
    positive = positive.bool()
    num_negative = neg_pos_ratio * positive.sum(dim=1, keepdim=True)  # [B, 1]
    negative_loss = loss.detach().masked_fill(positive, -float("inf"))
    _, order = negative_loss.sort(dim=1, descending=True)
    rank = order.sort(dim=1)[1]  # rank of each anchor by decreasing loss
    return (rank < num_negative) & ~positive
