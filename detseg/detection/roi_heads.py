"""Fast R-CNN stage of Faster R-CNN: proposals sampled for the loss, RoIs pooled, classified
and refined, detections post-processed.

The box heads and the predictor are in :mod:`~detseg.detection.fast_rcnn_heads`, the loss in
:mod:`~detseg.detection.fast_rcnn_loss`.

Shapes: ``R`` RoIs over the batch, ``K`` foreground classes, ``C = K + 1`` scores per RoI
(index 0 is background), ``S`` pooled size.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.detection.batch_statistics import uses_batch_statistics
from detseg.detection.fast_rcnn_heads import FastRCNNPredictor
from detseg.detection.fast_rcnn_loss import fast_rcnn_loss
from detseg.detection.proposals import Proposals
from detseg.detection.roi_pooling import RoIPooler
from detseg.detection.settings_checks import (
    require_at_least,
    require_fractions,
    require_iou_order,
)
from detseg.ops.box_coder import BoxCoder
from detseg.ops.boxes import batched_box_iou, clip_boxes_to_sizes
from detseg.ops.matching import BalancedSampler, Matcher
from detseg.ops.nms import grouped_nms, kept_per_image
from detseg.ops.padding import host_reads_are_free, pad_rows


@dataclass
class RoIHeadsConfig:
    """Thresholds of the Fast R-CNN stage (defaults: torchvision's Faster R-CNN).

    Attributes:
        fg_iou_thresh: proposals with IoU >= this with a gt box are foreground.
        bg_iou_thresh: proposals with max IoU < this are background.
        batch_size_per_image: proposals sampled per image for the loss.
        positive_fraction: at most this fraction of the sample is foreground.
        bbox_reg_weights: ``(wx, wy, ww, wh)`` of the box coder.
        score_thresh: detections with a class probability <= this are dropped.
        nms_thresh: IoU threshold of the class-wise NMS.
        detections_per_img: detections kept per image, by score.
        min_box_size: detections narrower or shorter than this (pixels) are dropped.

    Raises:
        ValueError: (at construction) if a threshold or fraction is outside ``[0, 1]``, a
            count is below 1 or ``min_box_size < 0``.
    """

    fg_iou_thresh: float = 0.5
    bg_iou_thresh: float = 0.5
    batch_size_per_image: int = 512
    positive_fraction: float = 0.25
    bbox_reg_weights: tuple[float, float, float, float] = (10.0, 10.0, 5.0, 5.0)
    score_thresh: float = 0.05
    nms_thresh: float = 0.5
    detections_per_img: int = 100
    min_box_size: float = 1e-2

    def __post_init__(self) -> None:
        require_fractions(self, "fg_iou_thresh", "bg_iou_thresh", "positive_fraction")
        require_iou_order(self)
        require_fractions(self, "nms_thresh", "score_thresh")
        require_at_least(self, 1, "batch_size_per_image", "detections_per_img")
        require_at_least(self, 0, "min_box_size")


class RoISample(NamedTuple):
    """The RoIs :meth:`RoIHeads.sample` chose for the loss, padded to ``S`` per image.

    Attributes:
        rois: ``Float[B, S, 4]`` xyxy (resized-image pixels), the sampled RoIs first (in
            increasing candidate order), then filler rows (unsampled candidates or padding).
        labels: ``Int64[B, S]`` class of each sampled RoI (0: background or padding).
        regression_targets: ``Float[B, S, 4]`` box-coder deltas (zeros but for foreground RoIs).
        valid: Bool ``[B, S]``: the sampled RoIs (``False`` for the filler rows).
        matched_gt: ``Int64[B, S]`` index, among the image's gt boxes, of the gt each foreground
            RoI was matched to (0 for the other RoIs).
    """

    rois: Tensor
    labels: Tensor
    regression_targets: Tensor
    valid: Tensor
    matched_gt: Tensor


class RoIHeads(nn.Module):
    """Pool RoI features, classify and refine them; train on sampled proposals.

    Args:
        pooler: the :class:`RoIPooler` (RoIAlign or RoIPool, one or several levels).
        box_head: maps pooled ``Float[R, C, S, S]`` to ``Float[R, F]``.
        predictor: :class:`FastRCNNPredictor` on ``F`` features.
        config: :class:`RoIHeadsConfig`.
    """

    def __init__(
        self,
        pooler: RoIPooler,
        box_head: nn.Module,
        predictor: FastRCNNPredictor,
        config: RoIHeadsConfig | None = None,
    ) -> None:
        super().__init__()
        self.pooler = pooler
        self.box_head = box_head
        self.predictor = predictor
        self.config = config or RoIHeadsConfig()
        self.box_coder = BoxCoder(weights=self.config.bbox_reg_weights)
        self.matcher = Matcher(self.config.fg_iou_thresh, self.config.bg_iou_thresh)
        self.sampler = BalancedSampler(
            self.config.batch_size_per_image, self.config.positive_fraction
        )

    def _predict_raw(
        self, features: OrderedDict[str, Tensor], proposals: list[Tensor]
    ) -> tuple[Tensor, Tensor]:
        """Logits ``Float[R, K+1]`` and deltas ``Float[R, 4(K+1)]`` of the concatenated
        per-image ``Float[R_i, 4]`` boxes."""
        return self.predictor(self.box_head(self.pooler(features, proposals)))

    def losses(
        self,
        features: OrderedDict[str, Tensor],
        proposals: Proposals | list[Tensor],
        targets: list[dict[str, Tensor]],
    ) -> dict[str, Tensor]:
        """Sample proposals (gt boxes appended), then compute :func:`fast_rcnn_loss`.

        Matching and sampling run on the padded batch (no host synchronisation); see
        :meth:`sample_losses` for the RoIs that are pooled.

        Args:
            features: feature maps by name.
            proposals: the RPN's :class:`Proposals`, or ``Float[P_i, 4]`` xyxy per image
                (resized-image pixels).
            targets: per image ``boxes`` ``Float[M_i, 4]`` (same pixels) and ``labels`` ``Int64``.

        Returns:
            ``{"loss_roi_cls", "loss_roi_box"}``, scalars (see :func:`fast_rcnn_loss`).
        """
        return self.sample_losses(features, self.sample(proposals, targets))

    def sample_losses(
        self, features: OrderedDict[str, Tensor], sample: RoISample
    ) -> dict[str, Tensor]:
        """:func:`fast_rcnn_loss` of the RoIs :meth:`sample` chose.

        The ``[B, S]`` padded rows are pooled whole (no count read on the host; the filler
        rows do not count in the loss), but for a box head that normalises with the statistics
        of its batch of RoIs (BatchNorm in training, see
        :func:`~detseg.detection.batch_statistics.uses_batch_statistics`): it gets the sampled
        RoIs only, image by image, as torchvision's does (one read of the counts), since filler
        rows would change those statistics, hence every RoI's loss and the running mean and
        variance.

        Args:
            features: feature maps by name.
            sample: the :class:`RoISample` (``Float[B, S, 4]`` RoIs, resized-image pixels).

        Returns:
            ``{"loss_roi_cls", "loss_roi_box"}``, scalars.
        """
        if uses_batch_statistics(self.box_head):
            valid = sample.valid
            rois = [r[v] for r, v in zip(sample.rois, valid, strict=True)]
            class_logits, box_deltas = self._predict_raw(features, rois)
            return fast_rcnn_loss(
                class_logits, box_deltas, sample.labels[valid], sample.regression_targets[valid]
            )
        class_logits, box_deltas = self._predict_raw(features, list(sample.rois))
        return fast_rcnn_loss(
            class_logits,
            box_deltas,
            sample.labels.flatten(),
            sample.regression_targets.flatten(0, 1),
            sample.valid.flatten(),
        )

    def sample(
        self, proposals: Proposals | list[Tensor], targets: list[dict[str, Tensor]]
    ) -> RoISample:
        """Match, label and sample every image's proposals (and gt boxes) at once.

        The candidates of image ``i`` are its proposals followed by its gt boxes, as in
        torchvision, each part padded to one count for the batch (the padding is never
        sampled, so the draw is torchvision's). Matching runs once: the returned
        ``matched_gt`` lets a further head (Mask R-CNN's masks) find each foreground RoI's gt.

        Args:
            proposals: the RPN's :class:`Proposals`, or ``Float[P_i, 4]`` xyxy per image
                (resized-image pixels).
            targets: per image ``boxes`` ``Float[M_i, 4]`` (same pixels) and ``labels`` ``Int64``.

        Returns:
            the :class:`RoISample`, ``S = min(batch_size_per_image, P + max(1, max_i M_i))``.
        """
        if not isinstance(proposals, Proposals):
            proposals = Proposals.from_list(proposals)
        dtype = proposals.boxes.dtype
        # one padding row at least, so that a batch without any gt box needs no special case
        gt_boxes, gt_valid = pad_rows([t["boxes"].to(dtype) for t in targets], min_width=1)
        gt_labels, _ = pad_rows([t["labels"].to(torch.int64) for t in targets], min_width=1)
        candidates = torch.cat([proposals.boxes, gt_boxes], dim=1)
        is_real = torch.cat([proposals.valid, gt_valid], dim=1)
        matched_idx = self.matcher(batched_box_iou(gt_boxes, candidates), gt_valid)
        matched = matched_idx.clamp(min=0)
        labels = gt_labels.gather(1, matched)
        labels = torch.where(matched_idx == Matcher.BELOW_LOW_THRESHOLD, 0, labels)
        labels = torch.where((matched_idx == Matcher.BETWEEN_THRESHOLDS) | ~is_real, -1, labels)
        pos_mask, neg_mask = self.sampler(labels)
        sampled = pos_mask | neg_mask
        size = min(self.config.batch_size_per_image, candidates.shape[1])
        order = torch.argsort(~sampled, dim=1, stable=True)[:, :size]  # sampled first, in order
        rois = candidates.gather(1, order[..., None].expand(-1, -1, 4))
        valid = sampled.gather(1, order)
        labels = labels.gather(1, order).where(valid, 0)
        matched = matched.gather(1, order)
        matched_boxes = gt_boxes.gather(1, matched[..., None].expand(-1, -1, 4))
        foreground = labels > 0
        # other RoIs get their own box as target: finite deltas, zeroed below
        target_boxes = torch.where(foreground[..., None], matched_boxes, rois)
        regression = self.box_coder.encode(target_boxes.reshape(-1, 4), rois.reshape(-1, 4))
        regression = torch.where(foreground[..., None], regression.view_as(rois), 0.0)
        return RoISample(rois, labels, regression, valid, matched.where(foreground, 0))

    def predict(
        self,
        features: OrderedDict[str, Tensor],
        proposals: Proposals | list[Tensor],
        image_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Score, decode and filter detections.

        On the CPU only the real proposals are pooled; elsewhere the padded batch is pooled
        whole, so that no count is read on the host before the final per-image lists.

        Args:
            features: feature maps by name.
            proposals: the RPN's :class:`Proposals`, or ``Float[P_i, 4]`` xyxy per image.
            image_sizes: ``(h, w)`` of each resized image (boxes are clipped to it).

        Returns:
            per image ``boxes`` ``Float[D, 4]`` xyxy (resized pixels), ``scores`` ``Float[D]``,
            ``labels`` ``Int64[D]`` in ``1..K``, sorted by decreasing score;
            ``D <= detections_per_img``.
        """
        if not isinstance(proposals, Proposals):
            proposals = Proposals.from_list(proposals)
        if host_reads_are_free(proposals.boxes.device):
            per_image = proposals.per_image()
            counts = [p.shape[0] for p in per_image]
            boxes, scores = self._decode(features, per_image)
            image_boxes, real = pad_rows(list(boxes.split(counts)))
            image_scores, _ = pad_rows(list(scores.split(counts)))
        else:
            batch, width = proposals.valid.shape
            boxes, scores = self._decode(features, list(proposals.boxes))
            image_boxes = boxes.view(batch, width, *boxes.shape[1:])
            image_scores, real = scores.view(batch, width, -1), proposals.valid
        return self._postprocess_batch(image_boxes, image_scores, real, image_sizes)

    def _decode(
        self, features: OrderedDict[str, Tensor], proposals: list[Tensor]
    ) -> tuple[Tensor, Tensor]:
        """Class boxes ``Float[R, K, 4]`` (decoded, resized pixels) and class probabilities
        ``Float[R, K]`` of the ``R`` concatenated proposals (background column dropped)."""
        class_logits, box_deltas = self._predict_raw(features, proposals)
        boxes = self.box_coder.decode(box_deltas, torch.cat(proposals))  # [R, K+1, 4]
        # float32 for half-precision logits (autocast), as the decoded boxes
        class_logits = class_logits.to(torch.promote_types(class_logits.dtype, torch.float32))
        return boxes[:, 1:], F.softmax(class_logits, -1)[:, 1:]

    def _postprocess_batch(
        self,
        image_boxes: Tensor,
        image_scores: Tensor,
        real: Tensor,
        image_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Clip, threshold and class-wise NMS for every image at once, then the top-k.

        The (image, class) pairs form the groups of one :func:`grouped_nms` call. Each image's
        result is torchvision's: its candidates in (RoI, class) order, filtered, suppressed,
        sorted as ``batched_nms`` sorts them.

        Args:
            image_boxes: ``Float[B, W, K, 4]`` decoded boxes (resized pixels), ``W`` RoIs per
                image (padded).
            image_scores: ``Float[B, W, K]`` class probabilities (background dropped).
            real: Bool ``[B, W]``: the real RoIs (``False`` for padding).
            image_sizes: ``(h, w)`` of each resized image.

        Returns:
            per image ``boxes`` ``Float[D, 4]``, ``scores`` ``Float[D]``, ``labels``
            ``Int64[D]`` in ``1..K`` (as :meth:`predict`).
        """
        image_boxes = clip_boxes_to_sizes(image_boxes, image_sizes)
        batch, width, num_classes = image_scores.shape
        device = image_scores.device
        sides = image_boxes[..., 2:] - image_boxes[..., :2]
        candidate = real[:, :, None] & (image_scores > self.config.score_thresh)
        valid = candidate & (sides >= self.config.min_box_size).all(dim=-1)
        keep = grouped_nms(  # groups: (image, class)
            image_boxes.transpose(1, 2).reshape(batch * num_classes, width, 4),
            image_scores.transpose(1, 2).reshape(batch * num_classes, width),
            self.config.nms_thresh,
            valid.transpose(1, 2).reshape(batch * num_classes, width),
            rows_per_call=num_classes,  # CPU: one batched_nms per image, as torchvision's,
            max_kept_per_call=self.config.detections_per_img,
            first_group_id=1,  # with the labels 1..K as group ids
        )
        keep = keep.view(batch, num_classes, width).transpose(1, 2).reshape(batch, -1)
        # candidates in (RoI, class) order, as torchvision's twin lists them
        flat_scores, flat_boxes = image_scores.flatten(1), image_boxes.flatten(1, 2)
        kept = kept_per_image(keep, flat_scores, valid.flatten(1), self.config.detections_per_img)
        labels = torch.arange(1, num_classes + 1, device=device).repeat(width)
        return [
            {"boxes": flat_boxes[b, k], "scores": flat_scores[b, k], "labels": labels[k]}
            for b, k in enumerate(kept)
        ]
