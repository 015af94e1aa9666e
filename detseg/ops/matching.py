"""Assigning anchors/proposals to ground truth, and choosing which ones train.

- :class:`Matcher`: IoU thresholds -> matched gt index or a named negative code
  (Faster R-CNN's RPN and RoI heads, RetinaNet).
- :class:`BalancedSampler`: a fixed-size random sample with a bounded positive fraction
  (Faster R-CNN).
- :func:`hard_negative_mining`: the highest-loss negatives, 3 per positive (SSD).
"""

from __future__ import annotations

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

    def __call__(self, iou: Tensor) -> Tensor:
        """Match predictions to gts.

        Args:
            iou: ``[num_gt, num_pred]`` match quality (usually :func:`box_iou`).

        Returns:
            Int64 ``[num_pred]``: gt index in ``[0, num_gt)``, or ``BELOW_LOW_THRESHOLD`` /
            ``BETWEEN_THRESHOLDS``. An image without gt gives all ``BELOW_LOW_THRESHOLD``.
        """
        if iou.dim() != 2:
            raise ValueError(f"iou must be [num_gt, num_pred], got shape {tuple(iou.shape)}")
        num_gt, num_pred = iou.shape
        if num_gt == 0 or num_pred == 0:
            return torch.full(
                (num_pred,), self.BELOW_LOW_THRESHOLD, dtype=torch.int64, device=iou.device
            )

        best_iou, best_gt = iou.max(dim=0)  # [num_pred] each
        matches = best_gt.clone()
        matches[best_iou < self.low_threshold] = self.BELOW_LOW_THRESHOLD
        between = (best_iou >= self.low_threshold) & (best_iou < self.high_threshold)
        matches[between] = self.BETWEEN_THRESHOLDS

        if self.allow_low_quality_matches:
            best_iou_per_gt = iou.max(dim=1).values  # [num_gt]
            _, preds = torch.where(iou == best_iou_per_gt[:, None])
            matches[preds] = best_gt[preds]
        return matches


class BalancedSampler:
    """Sample a fixed number of training examples per image with a bounded positive share.

    Per image: up to ``int(batch_size_per_image * positive_fraction)`` positives, then
    negatives to fill ``batch_size_per_image`` (fewer when the image lacks them). The choice
    is uniform at random through ``torch.randperm`` on torch's global generator (positives
    first, then negatives, image by image), so ``torch.manual_seed`` makes it reproducible and
    gives the same choice as torchvision's ``BalancedPositiveNegativeSampler``.

    Args:
        batch_size_per_image: Examples per image (e.g. 256 for the RPN, 512 for RoI heads).
        positive_fraction: Largest share of positives, in ``[0, 1]``.
    """

    def __init__(self, batch_size_per_image: int, positive_fraction: float) -> None:
        if batch_size_per_image <= 0:
            raise ValueError(f"batch_size_per_image must be > 0, got {batch_size_per_image}")
        if not 0.0 <= positive_fraction <= 1.0:
            raise ValueError(f"positive_fraction must be in [0, 1], got {positive_fraction}")
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, labels_per_image: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Choose the examples.

        Args:
            labels_per_image: One Int64 ``[N_i]`` per image: ``> 0`` positive, ``0`` negative,
                ``-1`` (any negative value) ignored.

        Returns:
            ``(pos_masks, neg_masks)``: lists of Bool ``[N_i]`` marking the sampled positives
            and negatives of each image.
        """
        pos_masks, neg_masks = [], []
        for labels in labels_per_image:
            positive = torch.where(labels >= 1)[0]
            negative = torch.where(labels == 0)[0]
            num_pos = min(positive.numel(), int(self.batch_size_per_image * self.positive_fraction))
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


def hard_negative_mining(loss: Tensor, positive: Tensor, neg_pos_ratio: float = 3) -> Tensor:
    """SSD's hard negative mining: keep the negatives with the highest loss.

    Each image keeps its ``neg_pos_ratio * num_positives`` negatives of highest
    classification loss (all its negatives when it has fewer). An image without positives
    keeps no negatives (as in the SSD paper and torchvision). Ties are broken by torch's
    descending sort, as torchvision does. Unlike torchvision, a positive is never returned
    even when the quota exceeds the number of negatives.

    Args:
        loss: ``[B, N]`` per-anchor classification loss (its values are only ranked).
        positive: Bool ``[B, N]``, True for anchors matched to a gt.
        neg_pos_ratio: Negatives kept per positive.

    Returns:
        Bool ``[B, N]``, True for the negatives that enter the loss.
    """
    if loss.dim() != 2 or positive.shape != loss.shape:
        raise ValueError(
            f"loss and positive must both be [B, N], got {tuple(loss.shape)} and "
            f"{tuple(positive.shape)}"
        )
    positive = positive.bool()
    num_negative = neg_pos_ratio * positive.sum(dim=1, keepdim=True)  # [B, 1]
    negative_loss = loss.detach().clone()
    negative_loss[positive] = -float("inf")
    _, order = negative_loss.sort(dim=1, descending=True)
    rank = order.sort(dim=1)[1]  # rank of each anchor by decreasing loss
    return (rank < num_negative) & ~positive
