"""torchvision ``FasterRCNN`` -> detseg ``FasterRCNN`` (ResNet-FPN v1/v2, MobileNetV3-FPN).

Every hyper-parameter is read from the torchvision instance; the weights are copied through
``_KEY_RULES`` (regular expressions tried in order on each torchvision key). Norm layer
``eps``/``momentum`` and each parameter's ``requires_grad`` are copied module by module.
"""

from __future__ import annotations

import logging
from typing import Any

from torch import nn

from detseg.backbones.mobilenet import MOBILENET_LEVELS, mobilenet_stage_indices
from detseg.convert.common import (
    TorchvisionModule,
    copy_state,
    map_keys,
    norm_of,
    resnet_backbone_kwargs,
    transform_kwargs,
)
from detseg.detection.faster_rcnn import faster_rcnn

logger = logging.getLogger(__name__)

# (torchvision key pattern, detseg replacement); the first match wins
_KEY_RULES: list[tuple[str, str]] = [
    (r"^backbone\.body\.(\d+)\.(.+)$", r"backbone.body.features.\1.\2"),  # MobileNet
    (r"^backbone\.body\.(.+)$", r"backbone.body.\1"),  # ResNet
    (r"^backbone\.fpn\.(.+)$", r"backbone.fpn.\1"),
    (r"^rpn\.head\.conv\.(\d+)\.0\.(weight|bias)$", r"rpn.head.convs.\1.\2"),
    (r"^rpn\.head\.(cls_logits|bbox_pred)\.(weight|bias)$", r"rpn.head.\1.\2"),
    (r"^roi_heads\.box_head\.(fc6|fc7)\.(weight|bias)$", r"roi_heads.box_head.\1.\2"),
    (r"^roi_heads\.box_predictor\.(.+)$", r"roi_heads.predictor.\1"),
]


def _conv_head_rules(box_head: nn.Module) -> list[tuple[str, str]]:
    """Rules for ``FastRCNNConvFCHead`` (a Sequential: conv blocks, Flatten, Linear/ReLU)."""
    rules: list[tuple[str, str]] = []
    num_fc = 0
    if not isinstance(box_head, nn.Sequential):
        return rules
    for index, layer in enumerate(box_head):
        if isinstance(layer, nn.Linear):
            rules.append(
                (
                    rf"^roi_heads\.box_head\.{index}\.(weight|bias)$",
                    rf"roi_heads.box_head.fcs.{num_fc}.\1",
                )
            )
            num_fc += 1
        elif isinstance(layer, nn.Sequential):
            rules.append(
                (
                    rf"^roi_heads\.box_head\.{index}\.([01])\.(.+)$",
                    rf"roi_heads.box_head.convs.{index}.\1.\2",
                )
            )
    return rules


def _mobilenet_backbone_kwargs(body: TorchvisionModule) -> dict[str, Any]:
    blocks = list(body.children())
    module = type(blocks[1]).__module__
    arch = "mobilenet_v3_large" if module.endswith("mobilenetv3") else "mobilenet_v2"
    stages = mobilenet_stage_indices(blocks)
    levels = [MOBILENET_LEVELS[stages.index(int(name))] for name in body.return_layers]
    trainable_blocks = [
        i for i, b in enumerate(blocks) if any(p.requires_grad for p in b.parameters())
    ]
    first = trainable_blocks[0] if trainable_blocks else None
    trainable = 0 if first is None else len(stages) - stages.index(first)
    return {"backbone": arch, "return_layers": levels, "trainable_layers": trainable}


def _backbone_kwargs(tv_backbone: TorchvisionModule) -> dict[str, Any]:
    body, fpn = tv_backbone.body, getattr(tv_backbone, "fpn", None)
    if fpn is None or type(fpn.extra_blocks).__name__ != "LastLevelMaxPool":
        raise ValueError(
            "only torchvision backbones with an FPN and a LastLevelMaxPool extra "
            "block are supported"
        )
    kwargs = (
        resnet_backbone_kwargs(body)
        if hasattr(body, "layer1")
        else (_mobilenet_backbone_kwargs(body))
    )
    norm, eps = norm_of(body)
    fpn_norm = "bn" if len(fpn.inner_blocks[0]) > 1 else None
    if fpn_norm and not isinstance(fpn.inner_blocks[0][1], nn.BatchNorm2d):
        raise ValueError(f"unsupported FPN norm {type(fpn.inner_blocks[0][1]).__name__}")
    return {
        **kwargs,
        "fpn": True,
        "norm": norm,
        "norm_eps": eps,
        "fpn_norm": fpn_norm,
        "fpn_channels": fpn.layer_blocks[0][0].out_channels,
    }


def _rpn_kwargs(rpn: TorchvisionModule) -> dict[str, Any]:
    if tuple(rpn.box_coder.weights) != (1.0, 1.0, 1.0, 1.0):
        raise ValueError(f"RPN box coder weights {rpn.box_coder.weights} != (1, 1, 1, 1)")
    generator = rpn.anchor_generator
    return {
        "anchor_sizes": [list(s) for s in generator.sizes],
        "aspect_ratios": [[float(r) for r in ratios] for ratios in generator.aspect_ratios],
        "rpn": {
            "fg_iou_thresh": float(rpn.proposal_matcher.high_threshold),
            "bg_iou_thresh": float(rpn.proposal_matcher.low_threshold),
            "batch_size_per_image": int(rpn.fg_bg_sampler.batch_size_per_image),
            "positive_fraction": float(rpn.fg_bg_sampler.positive_fraction),
            "pre_nms_top_n_train": int(rpn._pre_nms_top_n["training"]),
            "pre_nms_top_n_test": int(rpn._pre_nms_top_n["testing"]),
            "post_nms_top_n_train": int(rpn._post_nms_top_n["training"]),
            "post_nms_top_n_test": int(rpn._post_nms_top_n["testing"]),
            "nms_thresh": float(rpn.nms_thresh),
            "score_thresh": float(rpn.score_thresh),
            "min_box_size": float(rpn.min_size),
            "conv_depth": len(rpn.head.conv),
        },
    }


def _roi_kwargs(roi_heads: TorchvisionModule) -> dict[str, Any]:
    pool = roi_heads.box_roi_pool
    if type(pool).__name__ != "MultiScaleRoIAlign" or (
        pool.canonical_scale,
        pool.canonical_level,
    ) != (224, 4):
        raise ValueError(f"unsupported box_roi_pool {pool}")
    head = roi_heads.box_head
    if type(head).__name__ == "TwoMLPHead":
        box_head, width = "mlp", head.fc7.out_features
    elif type(head).__name__ == "FastRCNNConvFCHead":
        linears = [m for m in head if isinstance(m, nn.Linear)]
        convs = [m[0].out_channels for m in head if isinstance(m, nn.Sequential)]
        if convs != [256] * 4 or len(linears) != 1:
            raise ValueError(f"unsupported conv box head: convs {convs}, {len(linears)} FC")
        box_head, width = "conv", linears[0].out_features
    else:
        raise ValueError(f"unsupported box head {type(head).__name__}")
    return {
        "pooler": "align",
        "pool_size": int(pool.output_size[0]),
        "sampling_ratio": int(pool.sampling_ratio),
        "box_head": box_head,
        "representation_size": int(width),
        "roi_heads": {
            "fg_iou_thresh": float(roi_heads.proposal_matcher.high_threshold),
            "bg_iou_thresh": float(roi_heads.proposal_matcher.low_threshold),
            "batch_size_per_image": int(roi_heads.fg_bg_sampler.batch_size_per_image),
            "positive_fraction": float(roi_heads.fg_bg_sampler.positive_fraction),
            "bbox_reg_weights": [float(w) for w in roi_heads.box_coder.weights],
            "score_thresh": float(roi_heads.score_thresh),
            "nms_thresh": float(roi_heads.nms_thresh),
            "detections_per_img": int(roi_heads.detections_per_img),
        },
    }


def faster_rcnn_config_from_torchvision(tv_model: TorchvisionModule) -> tuple[dict[str, Any], int]:
    """The ``{"name": "faster_rcnn", **kwargs}`` config and ``num_classes`` of a torchvision
    ``FasterRCNN`` instance (every setting read from the instance)."""
    if tv_model.roi_heads.has_mask() or tv_model.roi_heads.has_keypoint():
        raise ValueError("Mask / Keypoint R-CNN heads are not supported")
    num_classes = tv_model.roi_heads.box_predictor.cls_score.out_features - 1
    levels = list(tv_model.backbone.body.return_layers.values())
    pooled = [n for n in levels if n in tv_model.roi_heads.box_roi_pool.featmap_names]
    if pooled != levels:
        raise ValueError(
            f"RoIs pool from {pooled}; only pooling every FPN level but the extra "
            f"one ({levels}) is supported"
        )
    cfg = {
        "name": "faster_rcnn",
        **_backbone_kwargs(tv_model.backbone),
        **transform_kwargs(tv_model.transform),
        **_rpn_kwargs(tv_model.rpn),
        **_roi_kwargs(tv_model.roi_heads),
    }
    return cfg, num_classes


def map_state_dict_keys(tv_model: TorchvisionModule, model: nn.Module) -> dict[str, str]:
    """torchvision key -> detseg key for every entry of both state dicts.

    Raises:
        KeyError: a torchvision key matches no rule, two keys map to one, or detseg keys are
            left without a source.
    """
    rules = _conv_head_rules(tv_model.roi_heads.box_head) + _KEY_RULES
    if not hasattr(tv_model.backbone.body, "layer1"):  # MobileNet body: numbered blocks
        rules = [r for r in rules if r[1] != r"backbone.body.\1"]
    else:
        rules = [r for r in rules if "features" not in r[1]]
    return map_keys(tv_model, model, rules)


def convert_faster_rcnn(tv_model: nn.Module) -> tuple[nn.Module, dict[str, Any]]:
    """Convert a torchvision ``FasterRCNN`` (the four torchvision presets and their
    hyper-parameter variants) into ``(detseg FasterRCNN, model config)``."""
    cfg, num_classes = faster_rcnn_config_from_torchvision(tv_model)
    model = faster_rcnn(num_classes, **{k: v for k, v in cfg.items() if k != "name"})
    mapping = map_state_dict_keys(tv_model, model)
    copy_state(tv_model, model, mapping)
    model.train(tv_model.training)
    return model, cfg
