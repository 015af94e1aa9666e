"""RetinaNet, SSD and YOLO inference for one image, as modules that trace into size-independent
graphs.

Each wrapper holds the detector (its modules and weights, not a copy) and computes what
``model.predict([image])`` computes: the transform, the backbone and head, the decoding and the
filtering (score threshold, top-k, class-wise NMS, detections per image), and the boxes mapped
back to the input image. SSD and YOLO resize every image to one fixed size, so their anchors
and priors are constants of the graph; RetinaNet's anchor grids follow the image size.

``forward(images Float[1, 3, H, W] in [0, 1])`` returns ``boxes`` ``Float[N, 4]`` (xyxy pixels of
the input image), ``scores`` ``Float[N]`` (decreasing) and ``labels`` ``Int64[N]`` in ``1..K``.
"""

from __future__ import annotations

import math
from typing import cast

import torch
from torch import Tensor, nn

from detseg.detection.retinanet import RetinaNet
from detseg.detection.ssd import SSD
from detseg.detection.yolo import YOLO
from detseg.detection.yolo_heads import YOLOv1GridHead
from detseg.export.traceable import (
    batched_nms,
    clip_boxes,
    detection_input,
    grid_anchors,
    image_size,
    length,
    scale_boxes,
    topk_at_most,
)
from detseg.ops.anchors import AnchorGenerator
from detseg.ops.yolo_priors import decode_yolov1_boxes


class RetinaNetExport(nn.Module):
    """``RetinaNet.predict`` of one image: per level the best ``topk_candidates`` (anchor,
    class) pairs above ``score_thresh``, decoded and clipped, then class-wise NMS."""

    def __init__(self, model: RetinaNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        model, cfg = self.model, self.model.config
        batch, resized, original = detection_input(model.transform, images)
        features = list(model.backbone(batch).values())
        outputs = model.head(features)
        cls_logits, box_deltas = outputs["cls_logits"][0], outputs["box_deltas"][0]
        num_classes = model.num_classes
        batch_size = image_size(batch)
        boxes, scores, labels = [], [], []
        start = torch.zeros((), dtype=torch.int64)
        generator = cast(AnchorGenerator, model.anchor_generator)  # RetinaNet's
        for feature, base in zip(features, generator.cell_anchors, strict=True):
            anchors = grid_anchors(base.to(feature), feature, batch_size)
            end = start + length(anchors)
            level_scores = torch.sigmoid(cls_logits[start:end]).flatten()  # anchor-major
            candidates = torch.where(level_scores > cfg.score_thresh)[0]
            top, order = topk_at_most(level_scores[candidates], cfg.topk_candidates)
            candidates = candidates[order]
            anchor_index = torch.div(candidates, num_classes, rounding_mode="floor")
            level_deltas = box_deltas[start:end][anchor_index]
            decoded = model.box_coder.decode(level_deltas, anchors[anchor_index])[:, 0]
            boxes.append(clip_boxes(decoded, resized))
            scores.append(top)
            labels.append(candidates % num_classes + 1)
            start = end
        all_boxes, all_scores, all_labels = torch.cat(boxes), torch.cat(scores), torch.cat(labels)
        keep = batched_nms(all_boxes, all_scores, all_labels, cfg.nms_thresh)
        keep = keep[: cfg.detections_per_img]
        final = clip_boxes(scale_boxes(all_boxes[keep], resized, original), original)
        return final, all_scores[keep], all_labels[keep]


class SSDExport(nn.Module):
    """``SSD.predict`` of one image: softmax scores, per class the best ``topk_candidates``
    above ``score_thresh``, class-wise NMS, the ``detections_per_img`` best."""

    anchors: Tensor  # Float[A, 4] default boxes of the fixed input size

    def __init__(self, model: SSD) -> None:
        super().__init__()
        self.model = model
        size = model.transform.fixed_size
        assert size is not None, "an SSD transform has a fixed size"
        with torch.no_grad():
            features = list(model.backbone(torch.zeros(1, 3, *size)).values())
        feature_sizes = [(f.shape[-2], f.shape[-1]) for f in features]
        anchors = model.anchor_generator((size[0], size[1]), feature_sizes)
        self.register_buffer("anchors", anchors, persistent=False)
        self.num_anchors = anchors.shape[0]

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        model, cfg = self.model, self.model.config
        batch, resized, original = detection_input(model.transform, images)
        outputs = model.head(list(model.backbone(batch).values()))
        decoded = model.box_coder.decode(outputs["box_deltas"][0], self.anchors)[:, 0]
        boxes = clip_boxes(decoded, resized)
        probs = torch.softmax(outputs["cls_logits"][0], dim=-1)[:, 1:].t()  # [K, A]
        masked = torch.where(probs > cfg.score_thresh, probs, torch.full_like(probs, -1.0))
        k = min(cfg.topk_candidates, self.num_anchors)
        top_scores, top_index = masked.topk(k, dim=-1)  # [K, k]
        flat_scores = top_scores.reshape(-1)  # class-major, decreasing within a class
        flat_boxes = boxes[top_index.reshape(-1)]
        # labels 1..K, also the NMS groups: the model's NMS offsets each class's boxes by its
        # label (first_group_id=1), and other offsets round the IoUs differently
        labels = torch.arange(1, model.num_classes + 1).repeat_interleave(k)
        candidates = torch.where(flat_scores > cfg.score_thresh)[0]
        keep = batched_nms(
            flat_boxes[candidates],
            flat_scores[candidates],
            labels[candidates],
            cfg.nms_thresh,
        )
        kept = candidates[keep[: cfg.detections_per_img]]
        final = clip_boxes(scale_boxes(flat_boxes[kept], resized, original), original)
        return final, flat_scores[kept], labels[kept]


def adaptive_avg_pool_matrix(size: int, output_size: int) -> Tensor:
    """``Float[output_size, size]`` averaging weights of ``F.adaptive_avg_pool1d``: row ``i``
    averages ``floor(i * size / output_size) .. ceil((i + 1) * size / output_size)``."""
    weights = torch.zeros(output_size, size)
    for i in range(output_size):
        start, end = (i * size) // output_size, -((-(i + 1) * size) // output_size)
        weights[i, start:end] = 1.0 / (end - start)
    return weights


class YOLOExport(nn.Module):
    """``YOLO.predict`` of one image: boxes clipped, candidates above ``score_thresh`` whose
    boxes keep ``min_box_size``, the ``pre_nms_top_n`` best (box, class) pairs, class-wise NMS,
    the ``max_detections`` best.

    The v1 head pools its last feature map to ``S x S`` with an adaptive average pool; the
    ONNX exporter only writes one whose input size is a multiple of ``S``, so here the pool is
    two products with its averaging matrices (the input size is fixed, so they are constants).
    """

    pool_h: Tensor  # Float[S, h] averaging weights (v1 head)
    pool_w: Tensor  # Float[S, w]

    def __init__(self, model: YOLO) -> None:
        super().__init__()
        self.model = model
        size = model.transform.fixed_size
        assert size is not None, "a YOLO transform has a fixed size"
        # the padded batch's size (the input size rounded up to size_divisible), against which
        # YOLO.predict decodes the boxes: the same for every image
        divisor = model.transform.size_divisible
        height, width = (int(math.ceil(int(side) / divisor) * divisor) for side in size)
        self.padded_size = (height, width)
        if isinstance(model.head, YOLOv1GridHead):
            with torch.no_grad():
                last = self.features(torch.zeros(1, 3, *self.padded_size))[-1]
            grid = model.head.grid_size
            self.register_buffer("pool_h", adaptive_avg_pool_matrix(last.shape[-2], grid), False)
            self.register_buffer("pool_w", adaptive_avg_pool_matrix(last.shape[-1], grid), False)

    def features(self, batch: Tensor) -> list[Tensor]:
        """The backbone levels the head reads, finest first."""
        levels = self.model.backbone(batch)
        return [levels[name] for name in self.model.in_features]

    def candidates(self, features: list[Tensor]) -> tuple[Tensor, Tensor]:
        """Boxes ``Float[T, 4]`` (network-input pixels) and scores ``Float[T, K]``."""
        head = self.model.head
        if not isinstance(head, YOLOv1GridHead):
            boxes, scores = head.candidates(features, self.padded_size)
            return boxes[0], scores[0]
        grid = self.pool_h @ features[-1] @ self.pool_w.t()  # [1, C, S, S]
        out = head.predictor(head.convs(grid)).permute(0, 2, 3, 1)  # [1, S, S, 5P + K]
        num_box_values = 5 * head.boxes_per_cell
        # reshape, not unflatten: the exporter writes unflatten from opset 13 only
        cells = (1, head.grid_size, head.grid_size, head.boxes_per_cell, 5)
        raw = out[..., :num_box_values].reshape(cells)
        class_probs = out[..., num_box_values:].softmax(dim=-1)
        decoded = decode_yolov1_boxes(raw[..., :4].sigmoid(), self.padded_size).flatten(1, 3)
        confidence = raw[..., 4].clamp(0.0, 1.0).unsqueeze(-1)
        scores = (confidence * class_probs.unsqueeze(-2)).flatten(1, 3)  # [1, S*S*P, K]
        return decoded[0], scores[0]

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        model, cfg = self.model, self.model.inference
        batch, resized, original = detection_input(model.transform, images)
        boxes, scores = self.candidates(self.features(batch))
        boxes = clip_boxes(boxes, resized)
        # boxes that clipping flattens below min_box_size (cells past the image) are dropped
        has_area = (boxes[:, 2:] - boxes[:, :2] >= cfg.min_box_size).all(dim=1)
        flat = scores.flatten()  # box-major
        valid = (flat > cfg.score_thresh) & has_area[:, None].expand_as(scores).flatten()
        candidates = torch.where(valid)[0]
        top, order = topk_at_most(flat[candidates], cfg.pre_nms_top_n)
        candidates = candidates[order]
        box_index = torch.div(candidates, model.num_classes, rounding_mode="floor")
        kept_boxes = boxes[box_index]
        labels = candidates % model.num_classes + 1
        keep = batched_nms(kept_boxes, top, labels, cfg.nms_thresh)[: cfg.max_detections]
        final = clip_boxes(scale_boxes(kept_boxes[keep], resized, original), original)
        return final, top[keep], labels[keep]
