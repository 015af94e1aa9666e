"""Fast R-CNN stage of Faster R-CNN: box heads, predictor, sampling, loss and post-processing.

Shapes: ``R`` RoIs over the batch, ``K`` foreground classes, ``C = K + 1`` scores per RoI
(index 0 is background), ``S`` pooled size.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.detection.roi_pooling import RoIPooler
from detseg.losses import smooth_l1_loss
from detseg.ops.box_coder import BoxCoder
from detseg.ops.boxes import box_iou, clip_boxes_to_image
from detseg.ops.matching import BalancedSampler, Matcher
from detseg.ops.nms import grouped_nms, order_like_batched_nms


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


class FastRCNNMLPHead(nn.Module):
    """Two fully connected layers with ReLU (the "2fc" head of FPN Faster R-CNN).

    Args:
        in_features: ``C * S * S`` of the pooled features.
        representation_size: width of both layers.
    """

    def __init__(self, in_features: int, representation_size: int = 1024) -> None:
        super().__init__()
        self.fc6 = nn.Linear(in_features, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)
        self.out_features = representation_size

    def forward(self, x: Tensor) -> Tensor:
        """``Float[R, C, S, S]`` -> ``Float[R, representation_size]``."""
        return F.relu(self.fc7(F.relu(self.fc6(x.flatten(1)))))


class FastRCNNConvFCHead(nn.Module):
    """3x3 conv + BatchNorm + ReLU blocks, then fully connected + ReLU layers ("4conv1fc").

    Args:
        in_channels: channels ``C`` of the pooled features.
        pooled_size: ``S``.
        conv_channels: output channels of each conv block (``(256,) * 4`` for the v2 model).
        fc_features: output width of each fully connected layer (``(1024,)``).
    """

    def __init__(
        self,
        in_channels: int,
        pooled_size: int,
        conv_channels: tuple[int, ...] = (256, 256, 256, 256),
        fc_features: tuple[int, ...] = (1024,),
    ) -> None:
        super().__init__()
        blocks = []
        for channels in conv_channels:
            conv = nn.Conv2d(in_channels, channels, 3, padding=1, bias=False)
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            blocks.append(nn.Sequential(conv, nn.BatchNorm2d(channels), nn.ReLU(inplace=True)))
            in_channels = channels
        self.convs = nn.Sequential(*blocks)
        features = in_channels * pooled_size * pooled_size
        fcs = []
        for width in fc_features:
            fcs.append(nn.Linear(features, width))
            features = width
        self.fcs = nn.ModuleList(fcs)
        self.out_features = features

    def forward(self, x: Tensor) -> Tensor:
        """``Float[R, C, S, S]`` -> ``Float[R, fc_features[-1]]``."""
        x = self.convs(x).flatten(1)
        for fc in self.fcs:
            x = F.relu(fc(x))
        return x


class FastRCNNPredictor(nn.Module):
    """Class scores (``K + 1``) and class-specific box deltas (``4 * (K + 1)``).

    Args:
        in_features: width of the box head output.
        num_classes: ``K + 1``, background included.
    """

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        self.cls_score = nn.Linear(in_features, num_classes)
        self.bbox_pred = nn.Linear(in_features, num_classes * 4)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``Float[R, F]`` -> logits ``Float[R, K+1]``, deltas ``Float[R, 4(K+1)]``."""
        x = x.flatten(1)
        return self.cls_score(x), self.bbox_pred(x)


def fast_rcnn_loss(
    class_logits: Tensor, box_deltas: Tensor, labels: Tensor, regression_targets: Tensor
) -> dict[str, Tensor]:
    """Fast R-CNN loss over the sampled RoIs of the batch.

    ``loss_roi_cls``: cross-entropy, mean over sampled RoIs. ``loss_roi_box``: smooth-L1
    (beta 1/9) of the true class's deltas, summed over foreground RoIs and divided by the number
    of sampled RoIs; exactly zero when no RoI is foreground.

    Args:
        class_logits: ``Float[R, K+1]``; box_deltas: ``Float[R, 4(K+1)]``.
        labels: ``Int64[R]`` (0 background); regression_targets: ``Float[R, 4]``.
    """
    cls_loss = F.cross_entropy(class_logits, labels)
    fg = torch.where(labels > 0)[0]
    deltas = box_deltas.reshape(box_deltas.shape[0], -1, 4)  # [R, K+1, 4]
    box_loss = smooth_l1_loss(
        deltas[fg, labels[fg]], regression_targets[fg], beta=1 / 9, reduction="sum"
    ) / max(labels.numel(), 1)
    return {"loss_roi_cls": cls_loss, "loss_roi_box": box_loss}


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
        self.box_coder = BoxCoder(weights=tuple(self.config.bbox_reg_weights))
        self.matcher = Matcher(self.config.fg_iou_thresh, self.config.bg_iou_thresh)
        self.sampler = BalancedSampler(
            self.config.batch_size_per_image, self.config.positive_fraction
        )

    def _predict_raw(
        self, features: OrderedDict[str, Tensor], proposals: list[Tensor]
    ) -> tuple[Tensor, Tensor]:
        return self.predictor(self.box_head(self.pooler(features, proposals)))

    def losses(
        self,
        features: OrderedDict[str, Tensor],
        proposals: list[Tensor],
        targets: list[dict[str, Tensor]],
    ) -> dict[str, Tensor]:
        """Sample proposals (gt boxes appended), then compute :func:`fast_rcnn_loss`.

        Args:
            features: feature maps by name.
            proposals: ``Float[P_i, 4]`` xyxy per image (resized-image pixels).
            targets: per image ``boxes`` ``Float[M_i, 4]`` (same pixels) and ``labels`` ``Int64``.
        """
        sampled, labels, regression_targets = [], [], []
        for boxes, target in zip(proposals, targets, strict=True):
            rois, label, reg = self._sample_per_image(boxes, target)
            sampled.append(rois)
            labels.append(label)
            regression_targets.append(reg)
        class_logits, box_deltas = self._predict_raw(features, sampled)
        return fast_rcnn_loss(
            class_logits, box_deltas, torch.cat(labels), torch.cat(regression_targets)
        )

    def _sample_per_image(
        self, proposals: Tensor, target: dict[str, Tensor]
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Match, label and sample one image's proposals.

        Returns:
            sampled RoIs ``Float[S, 4]``, labels ``Int64[S]`` (0 background) and regression
            targets ``Float[S, 4]`` (zeros for background RoIs).
        """
        gt_boxes = target["boxes"].to(proposals.dtype)
        proposals = torch.cat([proposals, gt_boxes])
        if gt_boxes.numel() == 0:
            labels = torch.zeros(proposals.shape[0], dtype=torch.int64, device=proposals.device)
            matched = labels
        else:
            matched_idx = self.matcher(box_iou(gt_boxes, proposals))
            matched = matched_idx.clamp(min=0)
            labels = target["labels"][matched].to(torch.int64)
            labels[matched_idx == Matcher.BELOW_LOW_THRESHOLD] = 0
            labels[matched_idx == Matcher.BETWEEN_THRESHOLDS] = -1
        pos_mask, neg_mask = self.sampler([labels])
        keep = torch.where(pos_mask[0] | neg_mask[0])[0]
        rois, labels, matched = proposals[keep], labels[keep], matched[keep]
        regression = torch.zeros_like(rois)
        fg = torch.where(labels > 0)[0]
        if fg.numel() > 0:
            regression[fg] = self.box_coder.encode(gt_boxes[matched[fg]], rois[fg])
        return rois, labels, regression

    def predict(
        self,
        features: OrderedDict[str, Tensor],
        proposals: list[Tensor],
        image_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Score, decode and filter detections.

        Args:
            features: feature maps by name.
            proposals: ``Float[P_i, 4]`` xyxy per image.
            image_sizes: ``(h, w)`` of each resized image (boxes are clipped to it).

        Returns:
            per image ``boxes`` ``Float[D, 4]`` xyxy (resized pixels), ``scores`` ``Float[D]``,
            ``labels`` ``Int64[D]`` in ``1..K``, sorted by decreasing score.
        """
        class_logits, box_deltas = self._predict_raw(features, proposals)
        boxes = self.box_coder.decode(box_deltas, torch.cat(proposals))  # [R, K+1, 4]
        scores = F.softmax(class_logits, -1)
        counts = [p.shape[0] for p in proposals]
        return self._postprocess_batch(boxes, scores, counts, image_sizes)

    def _postprocess_batch(
        self,
        boxes: Tensor,
        scores: Tensor,
        counts: list[int],
        image_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Clip, threshold and class-wise NMS for every image at once, then the top-k.

        The RoIs of each image are padded to the longest image's, and the (image, class) pairs
        form the groups of one :func:`grouped_nms` call. Each image's result is torchvision's:
        its candidates in (RoI, class) order, filtered, suppressed, sorted as ``batched_nms``
        sorts them.

        Args:
            boxes: ``Float[R, K+1, 4]`` decoded boxes (resized pixels) of all RoIs of the batch.
            scores: ``Float[R, K+1]`` class probabilities (column 0 is background).
            counts: RoIs per image (they sum to ``R``).
            image_sizes: ``(h, w)`` of each resized image.
        """
        batch, width, num_classes = len(counts), max(counts, default=0), scores.shape[1] - 1
        device = scores.device
        starts = torch.tensor(counts).cumsum(0).sub(torch.tensor(counts)).tolist()
        slot = torch.arange(width, device=device)
        rows = torch.stack([slot + start for start in starts])  # [B, width]
        real = torch.stack([slot < count for count in counts])
        rows = rows.where(real, 0)
        image_boxes = boxes[rows][:, :, 1:]  # [B, width, K, 4]
        image_boxes = torch.stack(
            [clip_boxes_to_image(b, size) for b, size in zip(image_boxes, image_sizes, strict=True)]
        )
        image_scores = scores[rows][:, :, 1:]  # [B, width, K]
        sides = image_boxes[..., 2:] - image_boxes[..., :2]
        candidate = real[:, :, None] & (image_scores > self.config.score_thresh)
        valid = candidate & (sides >= self.config.min_box_size).all(dim=-1)
        keep = grouped_nms(  # groups: (image, class)
            image_boxes.transpose(1, 2).reshape(batch * num_classes, width, 4),
            image_scores.transpose(1, 2).reshape(batch * num_classes, width),
            self.config.nms_thresh,
            valid.transpose(1, 2).reshape(batch * num_classes, width),
        )
        keep = keep.view(batch, num_classes, width).transpose(1, 2).reshape(batch, -1)
        # the one host sync: kept boxes and NMS candidates of each image
        kept_counts, candidates = torch.stack((keep.sum(1), valid.flatten(1).sum(1))).tolist()
        kept_first = torch.argsort(~keep, dim=1, stable=True)  # (RoI, class) order
        labels = torch.arange(1, num_classes + 1, device=device).repeat(width)
        detections = []
        for b in range(batch):
            kept = kept_first[b, : kept_counts[b]]
            flat_scores = image_scores[b].reshape(-1)
            kept = kept[order_like_batched_nms(flat_scores[kept], candidates[b])]
            kept = kept[: self.config.detections_per_img]
            detections.append(
                {
                    "boxes": image_boxes[b].reshape(-1, 4)[kept],
                    "scores": flat_scores[kept],
                    "labels": labels[kept],
                }
            )
        return detections
