"""Faster R-CNN's inference for one image, as a module that traces into a size-independent graph.

:class:`FasterRCNNExport` wraps a :class:`~detseg.detection.faster_rcnn.FasterRCNN` (its
modules and weights, not a copy) and computes what ``model.predict([image])`` computes, step by
step: the transform, the backbone, the RPN's per-level top-n, clipping, filtering and NMS, RoI
pooling (one or several levels), the box head, the class-wise filtering and NMS, and the boxes
mapped back to the input image.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import roi_align, roi_pool

from detseg.detection.faster_rcnn import FasterRCNN
from detseg.detection.roi_pooling import RoIPooler
from detseg.export.traceable import (
    as_int,
    batched_nms,
    clip_boxes,
    detection_input,
    grid_anchors,
    image_size,
    length,
    level_rows,
    scale_boxes,
    topk_at_most,
)


def pool_rois(pooler: RoIPooler, features: dict[str, Tensor], rois: Tensor) -> Tensor:
    """:class:`RoIPooler`'s pooling of ``Float[R, 5]`` rois ``(0, x1, y1, x2, y2)``, each RoI's
    level picked by ``pooler.map_levels`` and the per-level results scattered back into RoI
    order (no host-side counts).

    Returns:
        ``Float[R, C, S, S]``.
    """
    maps = [features[name] for name in pooler.featmap_names]

    def pool(feature: Tensor, level_rois: Tensor, stride: int) -> Tensor:
        if pooler.kind == "align":
            return roi_align(
                feature,
                level_rois,
                pooler.output_size,
                1.0 / stride,
                pooler.sampling_ratio,
                aligned=False,
            )
        return roi_pool(feature, level_rois, pooler.output_size, 1.0 / stride)

    if len(maps) == 1:
        return pool(maps[0], rois, pooler.strides[0])
    levels = pooler.map_levels(rois[:, 1:])
    result = maps[0].new_zeros((as_int(length(rois)), maps[0].shape[1], *pooler.output_size))
    for level, (feature, stride) in enumerate(zip(maps, pooler.strides, strict=True)):
        index = torch.where(levels == level)[0]
        pooled = pool(feature, rois[index], stride).to(result.dtype)
        result = result.scatter(0, index[:, None, None, None].expand_as(pooled), pooled)
    return result


class FasterRCNNExport(nn.Module):
    """``FasterRCNN.predict`` of one image as a traceable module.

    Args:
        model: the detector, in eval mode.

    ``forward(images Float[1, 3, H, W] in [0, 1])`` returns ``boxes`` ``Float[N, 4]`` (xyxy
    pixels of the input image), ``scores`` ``Float[N]`` (decreasing) and ``labels``
    ``Int64[N]`` in ``1..K``.
    """

    def __init__(self, model: FasterRCNN) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        batch, resized, original = detection_input(self.model.transform, images)
        features = self.model.backbone(batch)
        proposals = self.proposals(batch, features, resized)
        boxes, scores, labels = self.detections(features, proposals, resized)
        # mapped back with float32 ratios, boxes can pass the border by an ulp: clipped, as
        # FasterRCNN.predict clips them
        return clip_boxes(scale_boxes(boxes, resized, original), original), scores, labels

    def proposals(self, batch: Tensor, features: dict[str, Tensor], resized: Tensor) -> Tensor:
        """RPN proposals ``Float[P, 4]`` (resized-image pixels), by decreasing objectness.

        Per level the ``pre_nms_top_n_test`` best anchors, decoded and clipped; boxes smaller
        than ``min_box_size`` or scoring below ``score_thresh`` dropped; NMS within each level;
        the ``post_nms_top_n_test`` best of the image.
        """
        rpn = self.model.rpn
        cfg = rpn.config
        feature_list = list(features.values())
        logits, deltas = rpn.head(feature_list)
        batch_size = image_size(batch)
        boxes, scores, level_ids = [], [], []
        for level, (feature, base) in enumerate(
            zip(feature_list, rpn.anchor_generator.cell_anchors, strict=True)
        ):
            base = base.to(dtype=feature.dtype, device=feature.device)
            anchors = grid_anchors(base, feature, batch_size)
            num_anchors = base.shape[0]
            top, index = topk_at_most(
                level_rows(logits[level], num_anchors, 1)[:, 0], cfg.pre_nms_top_n_test
            )
            level_deltas = level_rows(deltas[level], num_anchors, 4)[index]
            decoded = rpn.box_coder.decode(level_deltas, anchors[index])[:, 0]
            boxes.append(clip_boxes(decoded, resized))
            scores.append(torch.sigmoid(top))
            level_ids.append(torch.full_like(index, level))
        all_boxes, all_scores = torch.cat(boxes), torch.cat(scores)
        sides = all_boxes[:, 2:] - all_boxes[:, :2]
        valid = (sides >= cfg.min_box_size).all(dim=1) & (all_scores >= cfg.score_thresh)
        candidates = torch.where(valid)[0]
        keep = batched_nms(
            all_boxes[candidates],
            all_scores[candidates],
            torch.cat(level_ids)[candidates],
            cfg.nms_thresh,
        )
        return all_boxes[candidates[keep[: cfg.post_nms_top_n_test]]]

    def detections(
        self, features: dict[str, Tensor], proposals: Tensor, resized: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """The Fast R-CNN stage: boxes (resized-image pixels), scores and labels.

        Every (proposal, class) pair with a probability above ``score_thresh`` and sides of at
        least ``min_box_size`` is a candidate (in proposal-then-class order), NMS runs per
        class, and the ``detections_per_img`` best are kept.
        """
        heads = self.model.roi_heads
        cfg = heads.config
        rois = torch.cat([proposals.new_zeros((as_int(length(proposals)), 1)), proposals], dim=1)
        pooled = pool_rois(heads.pooler, features, rois)
        class_logits, box_deltas = heads.predictor(heads.box_head(pooled))
        boxes = clip_boxes(heads.box_coder.decode(box_deltas, proposals)[:, 1:], resized)
        probs = F.softmax(class_logits, -1)[:, 1:]  # [P, K]
        # labels 1..K, also the NMS groups: the model's NMS offsets each class's boxes by its
        # label (first_group_id=1), and other offsets round the IoUs differently
        labels = torch.arange(1, probs.shape[1] + 1, device=probs.device)
        labels = labels.expand_as(probs).reshape(-1)
        boxes, scores = boxes.reshape(-1, 4), probs.reshape(-1)
        sides = boxes[:, 2:] - boxes[:, :2]
        valid = (scores > cfg.score_thresh) & (sides >= cfg.min_box_size).all(dim=1)
        candidates = torch.where(valid)[0]
        keep = batched_nms(
            boxes[candidates], scores[candidates], labels[candidates], cfg.nms_thresh
        )
        kept = candidates[keep[: cfg.detections_per_img]]
        return boxes[kept], scores[kept], labels[kept]
