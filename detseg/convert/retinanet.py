"""torchvision ``RetinaNet`` -> detseg ``RetinaNet`` (ResNet-FPN v1 and v2 and their variants).

Every hyper-parameter is read from the torchvision instance. Labels: torchvision's RetinaNet
has ``C`` sigmoid outputs where output ``c`` *is* label ``c``, and output 0 is the unused
``"__background__"`` class of its COCO weights (never a positive in training). detseg labels
are ``1..K`` with logit ``k - 1`` for label ``k``, so the converted model has ``K = C - 1``
classes and drops torchvision's output 0: every torchvision detection of label ``c >= 1``
keeps the label ``c``. A torchvision model only gives a different answer when its output 0
scores above ``score_thresh`` (untrained weights): those label-0 detections have no detseg
equivalent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from detseg.convert.common import (
    TorchvisionModule,
    copy_state,
    map_keys,
    norm_of,
    resnet_backbone_kwargs,
    transform_kwargs,
)
from detseg.detection.retinanet import retinanet

_KEY_RULES: list[tuple[str, str]] = [
    (r"^backbone\.body\.(.+)$", r"backbone.body.\1"),
    (r"^backbone\.fpn\.(.+)$", r"backbone.fpn.\1"),
    (r"^head\.classification_head\.conv\.(\d+)\.(\d+)\.(.+)$", r"head.cls_convs.\1.\2.\3"),
    (r"^head\.classification_head\.cls_logits\.(weight|bias)$", r"head.cls_logits.\1"),
    (r"^head\.regression_head\.conv\.(\d+)\.(\d+)\.(.+)$", r"head.box_convs.\1.\2.\3"),
    (r"^head\.regression_head\.bbox_reg\.(weight|bias)$", r"head.box_deltas.\1"),
]


def drop_class_zero(num_classes: int) -> Callable[[Tensor], Tensor]:
    """Remove output 0 of every anchor from a ``[A * C, ...]`` class-logit weight or bias."""

    def transform(value: Tensor) -> Tensor:
        per_anchor = value.reshape(-1, num_classes, *value.shape[1:])  # [A, C, ...]
        return per_anchor[:, 1:].reshape(-1, *value.shape[1:]).clone()

    return transform


def retinanet_config_from_torchvision(tv_model: TorchvisionModule) -> tuple[dict[str, Any], int]:
    """``({"name": "retinanet", **kwargs}, num_classes)`` of a torchvision ``RetinaNet``."""
    backbone, head = tv_model.backbone, tv_model.head
    extra = getattr(backbone.fpn, "extra_blocks", None)
    if (
        extra is None
        or type(extra).__name__ != "LastLevelP6P7"
        or not hasattr(backbone.body, "layer1")
    ):
        raise ValueError(
            "only torchvision RetinaNets on a ResNet-FPN with LastLevelP6P7 extra "
            "blocks are supported"
        )
    norm, eps = norm_of(backbone.body)
    resnet = resnet_backbone_kwargs(backbone.body)
    first_conv = head.classification_head.conv[0]
    head_norm = None
    if len(first_conv) > 2:
        if not isinstance(first_conv[1], nn.GroupNorm) or first_conv[1].num_groups != 32:
            raise ValueError(f"unsupported RetinaNet head norm {first_conv[1]}")
        head_norm = "group"
    loss_type = head.regression_head._loss_type
    if loss_type not in ("l1", "smooth_l1", "giou"):
        raise ValueError(f"unsupported RetinaNet box loss {loss_type!r}")
    generator, matcher = tv_model.anchor_generator, tv_model.proposal_matcher
    if not matcher.allow_low_quality_matches or tuple(tv_model.box_coder.weights) != (1, 1, 1, 1):
        raise ValueError(
            "only low-quality matching and box coder weights (1, 1, 1, 1) are supported"
        )
    cfg = {
        "name": "retinanet",
        "backbone": resnet["backbone"],
        "return_layers": resnet["return_layers"],
        "trainable_layers": resnet["trainable_layers"],
        "norm": norm,
        "norm_eps": eps,
        "fpn_channels": backbone.out_channels,
        "p6p7_from": "p5" if extra.use_P5 else "c5",
        "head_norm": head_norm,
        **{k: v for k, v in transform_kwargs(tv_model.transform).items() if k != "fixed_size"},
        "anchor_sizes": [list(s) for s in generator.sizes],
        "aspect_ratios": [[float(r) for r in ratios] for ratios in generator.aspect_ratios],
        "box_loss": loss_type,
        "smooth_l1_beta": 1.0,
        "fg_iou_thresh": float(matcher.high_threshold),
        "bg_iou_thresh": float(matcher.low_threshold),
        "score_thresh": float(tv_model.score_thresh),
        "topk_candidates": int(tv_model.topk_candidates),
        "nms_thresh": float(tv_model.nms_thresh),
        "detections_per_img": int(tv_model.detections_per_img),
    }
    if tv_model.transform.fixed_size is not None:
        raise ValueError("a RetinaNet transform with fixed_size is not supported")
    return cfg, head.classification_head.num_classes - 1


def convert_retinanet(tv_model: nn.Module) -> tuple[nn.Module, dict[str, Any]]:
    """Convert a torchvision ``RetinaNet`` into ``(detseg RetinaNet, model config)``.

    See the module docstring for the class-0 rule.
    """
    cfg, num_classes = retinanet_config_from_torchvision(tv_model)
    if num_classes < 1:
        raise ValueError("the torchvision RetinaNet has a single class (its background)")
    model = retinanet(num_classes, **{k: v for k, v in cfg.items() if k != "name"})
    mapping = map_keys(tv_model, model, _KEY_RULES)
    drop = drop_class_zero(num_classes + 1)
    prefix = "head.classification_head.cls_logits."
    with torch.no_grad():
        copy_state(tv_model, model, mapping, {prefix + "weight": drop, prefix + "bias": drop})
    model.train(tv_model.training)
    return model, cfg


CONVERTERS: dict[str, Callable[[nn.Module], tuple[nn.Module, dict[str, Any]]]] = {
    "RetinaNet": convert_retinanet,
}
