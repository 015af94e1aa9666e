"""What RetinaNet and SSD share: the detector skeleton, head-output flattening, anchor
matching and the sigmoid / softmax post-processing.

A single-stage detector runs ``transform -> backbone -> head -> anchors`` and then either
computes its losses against the matched anchors or decodes, filters and suppresses boxes.
Head outputs are flattened to one row per anchor, in the order of the anchor generators
(level -> y -> x -> anchor), so ``cls_logits[b, i]`` and ``box_deltas[b, i]`` belong to
``anchors[i]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor, nn

from detseg.detection.settings_checks import checked_score_thresh
from detseg.detection.transform import DetectionTransform, clip_to_images
from detseg.detection.validation import images_to_list, target_list
from detseg.ops.anchors import AnchorGenerator
from detseg.ops.box_coder import BoxCoder
from detseg.ops.boxes import batched_box_iou, clip_boxes_to_image
from detseg.ops.default_boxes import DefaultBoxGenerator
from detseg.ops.nms import batched_nms, grouped_nms, kept_per_image
from detseg.ops.padding import pad_rows

HeadOutputs = dict[str, Tensor]


def flatten_per_level(maps: list[Tensor], columns: int) -> Tensor:
    """Concatenate per-level head maps into one row per anchor.

    Args:
        maps: ``Float[B, A_l * columns, h_l, w_l]`` per level, channels anchor-major.
        columns: Values per anchor (classes, or 4 box deltas).

    Returns:
        ``Float[B, sum_l h_l * w_l * A_l, columns]`` ordered level -> y -> x -> anchor.
    """
    rows = []
    for x in maps:
        b, _, h, w = x.shape
        x = x.view(b, -1, columns, h, w).permute(0, 3, 4, 1, 2)  # [B, h, w, A, columns]
        rows.append(x.reshape(b, -1, columns))
    return torch.cat(rows, dim=1)


def match_anchors(
    matcher: Callable[[Tensor, Tensor], Tensor], targets: list[dict[str, Tensor]], anchors: Tensor
) -> Tensor:
    """Match the anchors of every image to its ground truth, the whole batch at once.

    Args:
        matcher: ``(iou [B, M, num_anchors], gt_valid Bool[B, M]) -> Int64[B, num_anchors]``
            (a :class:`Matcher` or :class:`~detseg.detection.ssd_head.SSDMatcher`).
        targets: Per image ``boxes`` ``Float[N, 4]`` xyxy in the batch tensor's pixels.
        anchors: ``Float[A, 4]`` xyxy anchors shared by every image.

    Returns:
        Int64 ``[B, A]``: gt index, or a negative :class:`Matcher` code (an image without
        boxes gives all ``BELOW_LOW_THRESHOLD``).
    """
    gt_boxes, gt_valid = pad_rows([t["boxes"].to(anchors.dtype) for t in targets], min_width=1)
    return matcher(batched_box_iou(gt_boxes, anchors), gt_valid)


def matched_values(targets: list[dict[str, Tensor]], matched: Tensor, key: str) -> Tensor:
    """``targets[b][key][matched[b, i]]`` for every anchor ``(b, i)``, as one tensor.

    Anchors without a match (``matched < 0``) get the value of gt 0, or zeros when the image
    has none: mask them with ``matched >= 0``.

    Args:
        targets: per image dicts holding ``key`` (``[N_b, ...]``, e.g. ``labels`` ``Int64[N_b]``
            or ``boxes`` ``Float[N_b, 4]``).
        matched: Int64 ``[B, A]`` gt index of each anchor, or a negative code.
        key: the target entry to gather.

    Returns:
        ``[B, A, ...]`` values (``[B, A]`` labels, ``[B, A, 4]`` boxes).
    """
    values, _ = pad_rows([t[key] for t in targets], min_width=1)
    index = matched.clamp(min=0)
    index = index.view(*index.shape, *([1] * (values.dim() - 2))).expand(-1, -1, *values.shape[2:])
    return values.gather(1, index)


def postprocess_sigmoid_per_image(
    cls_logits: list[Tensor],
    box_deltas: list[Tensor],
    anchors: list[Tensor],
    image_size: tuple[int, int],
    box_coder: BoxCoder,
    score_thresh: float,
    topk_candidates: int,
    nms_thresh: float,
    detections_per_img: int,
) -> dict[str, Tensor]:
    """Per-level score filter and top-k over (anchor, class) pairs, then class-wise NMS.

    Args:
        cls_logits: Per level ``Float[A_l, K]`` logits of one image (independent sigmoids).
        box_deltas: Per level ``Float[A_l, 4]`` deltas.
        anchors: Per level ``Float[A_l, 4]`` xyxy anchors.
        image_size: ``(h, w)`` of the resized image (boxes are clipped to it).
        box_coder: Decodes the deltas.
        score_thresh: Pairs with ``score <= score_thresh`` are dropped.
        topk_candidates: Most pairs kept per level before NMS.
        nms_thresh: IoU threshold of the class-wise NMS.
        detections_per_img: Most detections kept.

    Returns:
        ``boxes`` ``Float[D, 4]`` xyxy (resized-image pixels), ``scores`` ``Float[D]``
        (decreasing) and ``labels`` ``Int64[D]`` in ``1..K``.
    """
    boxes, scores, labels = [], [], []
    for logits, deltas, level_anchors in zip(cls_logits, box_deltas, anchors, strict=True):
        num_classes = logits.shape[-1]
        # float32 for half-precision logits, as the decoded boxes
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
        level_scores = torch.sigmoid(logits).flatten()  # [A_l * K], anchor-major
        candidates = torch.where(level_scores > score_thresh)[0]
        top_scores, order = level_scores[candidates].topk(min(topk_candidates, len(candidates)))
        candidates = candidates[order]
        anchor_idx = torch.div(candidates, num_classes, rounding_mode="floor")
        decoded = box_coder.decode(deltas[anchor_idx], level_anchors[anchor_idx])[:, 0]
        boxes.append(clip_boxes_to_image(decoded, image_size))
        scores.append(top_scores)
        labels.append(candidates % num_classes + 1)
    boxes_t, scores_t, labels_t = torch.cat(boxes), torch.cat(scores), torch.cat(labels)
    keep = batched_nms(boxes_t, scores_t, labels_t, nms_thresh)[:detections_per_img]
    return {"boxes": boxes_t[keep], "scores": scores_t[keep], "labels": labels_t[keep]}


def postprocess_softmax(
    cls_logits: Tensor,
    boxes: Tensor,
    score_thresh: float,
    topk_candidates: int,
    nms_thresh: float,
    detections_per_img: int,
) -> list[dict[str, Tensor]]:
    """Softmax scores, per-class score filter and top-k, then class-wise NMS.

    The per-class top-k of every class of every image is one ``topk`` over a
    ``[B, K, A]`` tensor (scores at or below the threshold are masked to ``-1`` first, so the
    selected set is the top-k of the above-threshold scores). Each (image, class) row of that
    top-k is a group of one :func:`grouped_nms` call for the whole batch; each image's kept
    candidates (class-major, by decreasing score within a class) are then sorted as
    torchvision's ``batched_nms`` sorts them.

    Args:
        cls_logits: ``Float[B, A, K + 1]`` logits, column 0 is background.
        boxes: ``Float[B, A, 4]`` decoded xyxy boxes (already clipped).
        score_thresh: Scores ``<= score_thresh`` are dropped.
        topk_candidates: Most candidates per class and image before NMS.
        nms_thresh: IoU threshold of the class-wise NMS.
        detections_per_img: Most detections kept per image.

    Returns:
        Per image ``boxes`` ``Float[D, 4]``, ``scores`` ``Float[D]`` (decreasing) and
        ``labels`` ``Int64[D]`` in ``1..K``.
    """
    # float32 for half-precision logits, as the decoded boxes
    cls_logits = cls_logits.to(torch.promote_types(cls_logits.dtype, torch.float32))
    scores = torch.softmax(cls_logits, dim=-1)[..., 1:].transpose(1, 2)  # [B, K, A]
    num_classes = scores.shape[1]
    masked = torch.where(scores > score_thresh, scores, torch.full_like(scores, -1.0))
    top_scores, top_idx = masked.topk(min(topk_candidates, scores.shape[-1]), dim=-1)  # [B, K, k]
    batch, k = top_idx.shape[0], top_idx.shape[-1]
    valid = top_scores > score_thresh  # [B, K, k]
    top_boxes = boxes.gather(1, top_idx.reshape(batch, -1, 1).expand(-1, -1, 4))  # [B, K*k, 4]
    keep = grouped_nms(  # one group per (image, class)
        top_boxes.reshape(batch * num_classes, k, 4),
        top_scores.reshape(batch * num_classes, k),
        nms_thresh,
        valid.reshape(batch * num_classes, k),
        rows_per_call=num_classes,  # CPU: one batched_nms per image, as torchvision's SSD,
        max_kept_per_call=detections_per_img,
        first_group_id=1,  # with the labels 1..K as group ids
    ).view(batch, -1)
    # candidates class-major, by decreasing score within a class, as torchvision's SSD
    flat_scores = top_scores.flatten(1)
    kept = kept_per_image(keep, flat_scores, valid.flatten(1), detections_per_img)
    labels = torch.arange(1, num_classes + 1, device=scores.device).repeat_interleave(k)
    return [
        {"boxes": top_boxes[b, i], "scores": flat_scores[b, i], "labels": labels[i]}
        for b, i in enumerate(kept)
    ]


class ScoreThresholdConfig(Protocol):
    """What the skeleton needs of a subclass's ``config``: its inference score threshold."""

    score_thresh: float


class SingleStageDetector(nn.Module):
    """Skeleton of a dense detector: ``transform -> backbone -> head -> anchors``.

    Subclasses implement :meth:`compute_losses` and :meth:`postprocess`.

    Args:
        backbone: ``forward(x) -> OrderedDict[str, Float[B, C_l, h_l, w_l]]``.
        anchor_generator: ``(image_size, feature_sizes, dtype, device) -> Float[A, 4]``
            (an :class:`~detseg.ops.anchors.AnchorGenerator` or
            :class:`~detseg.ops.default_boxes.DefaultBoxGenerator`).
        head: ``forward(list of feature maps) -> {"cls_logits": Float[B, A, C],
            "box_deltas": Float[B, A, 4]}``.
        transform: The :class:`DetectionTransform` (given ``num_classes`` when it has none, so
            that it checks the target labels).
        num_classes: Foreground classes ``K`` (labels ``1..K``).

    Attributes:
        task: ``"detection"``. num_classes: ``K``.
    """

    task = "detection"
    config: ScoreThresholdConfig  # set by each subclass (RetinaNetConfig, SSDConfig)

    def __init__(
        self,
        backbone: nn.Module,
        anchor_generator: AnchorGenerator | DefaultBoxGenerator,
        head: nn.Module,
        transform: DetectionTransform,
        num_classes: int,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.anchor_generator = anchor_generator
        self.head = head
        self.transform = transform
        self.num_classes = num_classes
        if transform.num_classes is None:
            transform.num_classes = num_classes

    def _run(self, batch_tensor: Tensor) -> tuple[HeadOutputs, Tensor, list[int]]:
        """Head outputs, anchors ``Float[A, 4]`` and the anchor count of each level."""
        features = list(self.backbone(batch_tensor).values())
        outputs = self.head(features)
        feature_sizes = [(f.shape[-2], f.shape[-1]) for f in features]
        image_size = (batch_tensor.shape[-2], batch_tensor.shape[-1])
        # float32 anchors (and SSD default-box centres) under autocast, not rounded to bfloat16
        dtype = torch.promote_types(features[0].dtype, torch.float32)
        anchors = self.anchor_generator(image_size, feature_sizes, dtype, features[0].device)
        per_cell = self.anchor_generator.num_anchors_per_location()
        level_counts = [h * w * a for (h, w), a in zip(feature_sizes, per_cell, strict=True)]
        return outputs, anchors, level_counts

    def losses(
        self, images: list[Tensor] | Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """Training (or validation) losses; works in train and eval mode.

        Args:
            images: ``Float[3, H_i, W_i]`` RGB in ``[0, 1]`` (list) or ``Float[B, 3, H, W]``.
            targets: Per image ``boxes`` ``Float[N, 4]`` xyxy input-image pixels and ``labels``
                ``Int64[N]`` in ``1..K``; ``N = 0`` is a valid negative image.

        Returns:
            ``loss_cls`` and ``loss_box`` (scalars).

        Raises:
            ValueError: naming the image and box when an image or a target is invalid.
            TypeError: for non-float images or boxes, or labels that are not int64.
        """
        batch, targets = self.transform(images_to_list(images), target_list(targets))
        outputs, anchors, _ = self._run(batch.tensors)
        return self.compute_losses(outputs, anchors, targets)

    @property
    def score_thresh(self) -> float:
        """Inference score threshold: :meth:`predict` drops detections scoring at most this
        (``config.score_thresh``). ``infer.py --score-thr`` lowers it for one run."""
        return self.config.score_thresh

    @score_thresh.setter
    def score_thresh(self, value: float) -> None:
        self.config.score_thresh = checked_score_thresh(value)

    def predict(self, images: list[Tensor] | Tensor) -> list[dict[str, Tensor]]:
        """Detect objects; call ``model.eval()`` first (BatchNorm layers).

        Args:
            images: ``Float[3, H_i, W_i]`` RGB in ``[0, 1]`` (list) or ``Float[B, 3, H, W]``.

        Returns:
            One dict per image: ``boxes`` ``Float[D, 4]`` xyxy in that input image's pixels
            (clipped to it), ``scores`` ``Float[D]`` (decreasing), ``labels`` ``Int64[D]`` in
            ``1..K``.
        """
        images = images_to_list(images)
        original_sizes = [(int(im.shape[-2]), int(im.shape[-1])) for im in images]
        batch, _ = self.transform(images)
        outputs, anchors, level_counts = self._run(batch.tensors)
        detections = self.postprocess(outputs, anchors, level_counts, batch.image_sizes)
        detections = self.transform.postprocess(detections, batch.image_sizes, original_sizes)
        return clip_to_images(detections, original_sizes)  # an ulp past the border: clipped

    def forward(self, images: list[Tensor] | Tensor) -> list[dict[str, Tensor]]:
        """Same as :meth:`predict` (for export and torchvision-style calls)."""
        return self.predict(images)

    def compute_losses(
        self, outputs: HeadOutputs, anchors: Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """``{"loss_cls", "loss_box"}`` from head outputs and resized targets.

        Args:
            outputs: ``cls_logits`` ``Float[B, A, C]`` and ``box_deltas`` ``Float[B, A, 4]``.
            anchors: ``Float[A, 4]`` xyxy anchors (batch-tensor pixels).
            targets: per image ``boxes`` ``Float[N, 4]`` xyxy (resized-image pixels) and
                ``labels`` ``Int64[N]``.
        """
        raise NotImplementedError

    def postprocess(
        self,
        outputs: HeadOutputs,
        anchors: Tensor,
        level_counts: list[int],
        image_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Detections in resized-image pixels, one dict per image.

        Args:
            outputs: ``cls_logits`` ``Float[B, A, C]`` and ``box_deltas`` ``Float[B, A, 4]``.
            anchors: ``Float[A, 4]`` xyxy anchors (batch-tensor pixels).
            level_counts: anchors of each level (they sum to ``A``).
            image_sizes: ``(h, w)`` of each resized image.

        Returns:
            per image ``boxes`` ``Float[D, 4]`` xyxy, ``scores`` ``Float[D]`` (decreasing) and
            ``labels`` ``Int64[D]`` in ``1..K``.
        """
        raise NotImplementedError
