"""Losses of the YOLO heads: the v1 sum-squared loss and the v3 BCE + box loss.

Both are per-image **sums** averaged over the batch (``/ B``), as in the papers' darknet
implementations; an image without objects contributes only to the objectness term, and its
box and class terms are exact zeros kept in the autograd graph. The v3 objectness sum runs over
every prediction (10647 at 416 px), so it starts near ``0.01 * T`` per image (the objectness
bias starts at ``p = 0.01``) and outweighs the box term early on; ``box_weight`` rebalances.

The sums run over the whole padded batch with masks (``where(mask, loss, 0).sum()``) instead
of boolean selections of the positives, so that no shape depends on tensor values and a GPU
step never waits for the device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from detseg.detection.settings_checks import require_at_least
from detseg.detection.yolo_targets import YOLOv1Targets, yolov1_responsible
from detseg.losses import giou_loss, smooth_l1_loss
from detseg.ops.yolo_priors import decode_yolov3_boxes, encode_yolov3_boxes

BOX_LOSSES = ("giou", "smooth_l1")


def masked_sum(values: Tensor, mask: Tensor) -> Tensor:
    """``sum(values[mask])`` without a boolean selection (whose size the host would read).

    Args:
        values: ``Float[...]`` element-wise losses; they must be finite where ``mask`` is
            False too, or their gradient there turns to NaN.
        mask: ``Bool[...]`` broadcastable to ``values``.

    Returns:
        A scalar, in the autograd graph of ``values`` (an exact 0 when ``mask`` is all False).
    """
    return torch.where(mask, values, 0.0).sum()


def class_one_hot(labels: Tensor, num_classes: int, dtype: torch.dtype) -> Tensor:
    """``Float[..., K]`` one-hot of labels ``1..K`` (all zeros for label 0, the background).

    A comparison with ``arange``: ``F.one_hot`` reads the smallest label back on the CPU.
    """
    classes = torch.arange(1, num_classes + 1, device=labels.device)
    return (labels[..., None] == classes).to(dtype)


@dataclass
class YOLOv1LossConfig:
    """Weights of the YOLOv1 loss (the paper's values).

    Attributes:
        lambda_coord: weight of the coordinate terms of the responsible predictors.
        lambda_noobj: weight of the confidence of the predictors that are not responsible.
        rescore: the confidence target of a responsible predictor is the IoU of its box with
            the ground truth (the paper); ``False`` uses 1.
    """

    lambda_coord: float = 5.0
    lambda_noobj: float = 0.5
    rescore: bool = True

    def __post_init__(self) -> None:
        # a negative weight would train its term upwards
        require_at_least(self, 0, "lambda_coord", "lambda_noobj")


@dataclass
class YOLOv3LossConfig:
    """Settings of the YOLOv3 loss.

    Attributes:
        box_loss: ``"giou"`` (``1 - GIoU`` of the decoded box) or ``"smooth_l1"`` (on
            ``(sigmoid(tx), sigmoid(ty), tw, th)`` against :func:`encode_yolov3_boxes`, its
            centre offsets clamped to ``[0, 1]``).
        ignore_thresh: unassigned predictions whose box has IoU ``> ignore_thresh`` with a
            ground truth are not penalised as negatives.
        assign_thresh: ``None``: each ground truth is assigned to its best prior only
            (YOLOv3); else also to every prior whose shape IoU with it is ``> assign_thresh``
            (YOLOv4 uses 0.213): more positives per object, faster learning from scratch.
        box_weight, obj_weight, noobj_weight, cls_weight: multipliers of the box term, of the
            objectness BCE of positives and of negatives, and of the class BCE.
        smooth_l1_beta: ``beta`` of the smooth-L1 box loss.
    """

    box_loss: str = "giou"
    ignore_thresh: float = 0.5
    assign_thresh: float | None = None
    box_weight: float = 1.0
    obj_weight: float = 1.0
    noobj_weight: float = 1.0
    cls_weight: float = 1.0
    smooth_l1_beta: float = 1.0 / 9

    def __post_init__(self) -> None:
        if self.box_loss not in BOX_LOSSES:
            raise ValueError(f"box_loss={self.box_loss!r} is not one of {BOX_LOSSES}")
        if not 0.0 <= self.ignore_thresh <= 1.0:
            raise ValueError(f"ignore_thresh must be in [0, 1], got {self.ignore_thresh}")
        if self.assign_thresh is not None and not 0.0 <= self.assign_thresh < 1.0:
            raise ValueError(
                f"assign_thresh must be in [0, 1) or null (best prior only), "
                f"got {self.assign_thresh}"
            )
        # a negative weight would train its term upwards
        weights = ("box_weight", "obj_weight", "noobj_weight", "cls_weight", "smooth_l1_beta")
        require_at_least(self, 0, *weights)


#: The settings dataclass of ``model.loss`` of each YOLO version (the one the builder makes of
#: it), against which the config loader checks the section's keys and values
#: (:func:`detseg.config.model_arg_rules.check_yolo_loss`).
LOSS_CONFIGS: dict[str, type[YOLOv1LossConfig] | type[YOLOv3LossConfig]] = {
    "v1": YOLOv1LossConfig,
    "v3": YOLOv3LossConfig,
}


def yolov1_loss(
    boxes: Tensor,
    confidence: Tensor,
    class_probs: Tensor,
    pred_boxes: Tensor,
    targets: YOLOv1Targets,
    config: YOLOv1LossConfig,
) -> dict[str, Tensor]:
    """The YOLOv1 sum-squared loss, averaged over the batch.

    With ``R`` the responsible predictors, ``N`` the others and ``O`` the object cells::

        loss_box = lambda_coord * sum_R [(x - x*)^2 + (y - y*)^2
                                         + (sqrt_w - sqrt_w*)^2 + (sqrt_h - sqrt_h*)^2] / B
        loss_obj = (sum_R (c - c*)^2 + lambda_noobj * sum_N c^2) / B
        loss_cls = sum_O sum_k (p_k - 1[k = label])^2 / B

    with ``c* = IoU(box, gt)`` (``rescore``) or 1.

    Args:
        boxes: ``Float[B, S, S, P, 4]`` predicted ``(x, y, sqrt_w, sqrt_h)`` in ``[0, 1]``.
        confidence: ``Float[B, S, S, P]`` predicted confidences in ``[0, 1]``.
        class_probs: ``Float[B, S, S, K]`` class probabilities per cell (softmax).
        pred_boxes: ``Float[B, S, S, P, 4]`` the decoded xyxy boxes (input pixels).
        targets: the batch's :class:`YOLOv1Targets`.
        config: the loss weights.

    Returns:
        ``loss_box``, ``loss_obj``, ``loss_cls`` scalars, float32 for float16 and bfloat16
        outputs.
    """
    batch_size = boxes.shape[0]
    # in float32 at least, as the v3 loss: half-precision outputs (autocast or a model cast
    # with .to(torch.bfloat16)) give float32 losses
    dtype = torch.promote_types(boxes.dtype, torch.float32)
    boxes, confidence, class_probs = boxes.to(dtype), confidence.to(dtype), class_probs.to(dtype)
    responsible, iou = yolov1_responsible(pred_boxes, targets)
    coord_target = targets.encoded.unsqueeze(-2).expand_as(boxes)  # [B, S, S, P, 4]
    coord_error = (boxes - coord_target).square().sum(dim=-1)  # [B, S, S, P]
    loss_box = config.lambda_coord * masked_sum(coord_error, responsible) / batch_size
    conf_target = iou if config.rescore else torch.ones_like(iou)
    obj = masked_sum((confidence - conf_target).square(), responsible)
    noobj = masked_sum(confidence.square(), ~responsible)
    loss_obj = (obj + config.lambda_noobj * noobj) / batch_size
    one_hot = class_one_hot(targets.labels, class_probs.shape[-1], class_probs.dtype)
    cls_error = (class_probs - one_hot).square().sum(dim=-1)  # [B, S, S]
    loss_cls = masked_sum(cls_error, targets.object_mask) / batch_size
    return {"loss_box": loss_box, "loss_obj": loss_obj, "loss_cls": loss_cls}


def yolov3_loss(
    raw: Tensor,
    priors: Tensor,
    pred_boxes: Tensor,
    matched: Tensor,
    ignore: Tensor,
    gt_boxes: Tensor,
    gt_labels: Tensor,
    config: YOLOv3LossConfig,
) -> dict[str, Tensor]:
    """The YOLOv3 loss, averaged over the batch.

    With ``Pos`` the assigned predictions and ``Neg`` the others minus the ignored ones::

        loss_box = box_weight * sum_Pos box_loss(pred, gt) / B
        loss_obj = (obj_weight * sum_Pos BCE(o, 1) + noobj_weight * sum_Neg BCE(o, 0)) / B
        loss_cls = cls_weight * sum_Pos sum_k BCE(s_k, 1[k = label]) / B

    Args:
        raw: ``Float[B, T, 5 + K]`` outputs ``(tx, ty, tw, th, objectness, K class logits)``.
        priors: ``Float[T, 5]`` rows of :func:`~detseg.ops.yolo_priors.yolo_grid_priors`.
        pred_boxes: ``Float[B, T, 4]`` decoded xyxy boxes (input pixels).
        matched: ``Int64[B, T]`` assigned ground-truth index or ``-1``.
        ignore: ``Bool[B, T]`` predictions left out of the objectness loss.
        gt_boxes: ``Float[B, N, 4]`` xyxy ground-truth boxes (input pixels), padded per image
            as :func:`~detseg.detection.yolo_targets.padded_boxes_and_labels` pads them (the
            rows that ``matched`` indexes; ``N = 0`` allowed).
        gt_labels: ``Int64[B, N]`` their labels ``1..K`` (padded alike).
        config: loss settings.

    Returns:
        ``loss_box``, ``loss_obj``, ``loss_cls`` scalars, float32 for float16 and bfloat16
        outputs.
    """
    batch_size, num_classes = raw.shape[0], raw.shape[-1] - 5
    positive = matched >= 0  # [B, T]
    gt_boxes, gt_labels = matched_ground_truths(matched, gt_boxes, gt_labels, priors)
    # every term in float32 at least (half-precision outputs: autocast or a model cast with
    # .to(torch.bfloat16)). Under float16 the areas of GIoU overflow (65504 is 256 x 256 px),
    # and its enclosing box turns the loss to NaN for a large object; in bfloat16 the BCE of
    # a negative at the initial objectness logit -4.6 is -4.6 + log(1 + e^4.6), about 0.01,
    # which cancels to 0 and drops most of the objectness loss
    dtype = torch.promote_types(raw.dtype, torch.float32)
    raw, gt_boxes = raw.to(dtype), gt_boxes.to(dtype)
    if config.box_loss == "giou":
        box_error = giou_loss(pred_boxes.to(dtype), gt_boxes, reduction="none")  # [B, T]
    else:
        box_target = encode_yolov3_boxes(gt_boxes, priors.to(dtype))  # [B, T, 4]
        # sigmoid(tx), sigmoid(ty) live in [0, 1]: a centre outside the image (a box more than
        # half out, in a border cell) gets the offset of the nearest edge of its cell, not an
        # unreachable target that swamps the loss (as the v1 targets)
        box_target = torch.cat((box_target[..., 0:2].clamp(0, 1), box_target[..., 2:4]), dim=-1)
        box_raw = raw[..., :4]
        box_pred = torch.cat((box_raw[..., 0:2].sigmoid(), box_raw[..., 2:4]), dim=-1)
        box_error = smooth_l1_loss(
            box_pred, box_target, beta=config.smooth_l1_beta, reduction="none"
        ).sum(dim=-1)
    box = masked_sum(box_error, positive)
    bce_obj = F.binary_cross_entropy_with_logits(
        raw[..., 4], positive.to(raw.dtype), reduction="none"
    )  # [B, T]
    negative = ~positive & ~ignore
    obj = config.obj_weight * masked_sum(bce_obj, positive) + config.noobj_weight * masked_sum(
        bce_obj, negative
    )
    one_hot = class_one_hot(gt_labels, num_classes, raw.dtype)  # [B, T, K]
    bce_cls = F.binary_cross_entropy_with_logits(raw[..., 5:], one_hot, reduction="none")
    cls = masked_sum(bce_cls, positive[..., None])
    return {
        "loss_box": config.box_weight * box / batch_size,
        "loss_obj": obj / batch_size,
        "loss_cls": config.cls_weight * cls / batch_size,
    }


def matched_ground_truths(
    matched: Tensor, boxes: Tensor, labels: Tensor, priors: Tensor
) -> tuple[Tensor, Tensor]:
    """The assigned ground truth of every prediction, gathered from the padded targets.

    A prediction without a ground truth gets its prior box as a stand-in (finite box and
    smooth-L1 targets, so that the masked-out losses keep finite gradients) and label 0.

    Args:
        matched: ``Int64[B, T]`` assigned ground-truth index or ``-1``.
        boxes: ``Float[B, N, 4]`` padded xyxy ground-truth boxes (input pixels); ``N = 0``
            allowed.
        labels: ``Int64[B, N]`` their labels.
        priors: ``Float[T, 5]`` rows of :func:`~detseg.ops.yolo_priors.yolo_grid_priors`.

    Returns:
        ``Float[B, T, 4]`` xyxy boxes (input pixels) and ``Int64[B, T]`` labels.
    """
    if boxes.shape[1] == 0:  # one zero row, so that a batch without any ground truth gathers
        boxes = boxes.new_zeros(boxes.shape[0], 1, 4)
        labels = labels.new_zeros(labels.shape[0], 1)
    positive = matched >= 0
    index = matched.clamp(min=0)  # [B, T]
    gathered = boxes.gather(1, index[..., None].expand(-1, -1, 4))
    prior_boxes = decode_yolov3_boxes(priors.new_zeros(priors.shape[0], 4), priors)  # [T, 4]
    gt_boxes = torch.where(positive[..., None], gathered, prior_boxes.to(boxes.dtype))
    gt_labels = torch.where(positive, labels.gather(1, index), 0)
    return gt_boxes, gt_labels
